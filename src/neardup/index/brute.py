"""Exact brute force: XOR + popcount over blocks of rows; the reference for every backend.

Cost: ``O(n² · words)`` bit operations for :meth:`pairs`, ``O(n · words)`` per query.
Memory stays bounded: rows are compared in blocks of at most ``block_cells`` distances.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np

from neardup.bits import HashArray, distances_to
from neardup.index.base import BaseIndex, IndexOption, Match, PairBlock, matches_from


class BruteIndex(BaseIndex):
    """Compare every hash with every other one, in memory-bounded blocks."""

    name: ClassVar[str] = "brute"
    exact: ClassVar[bool] = True
    options: ClassVar[dict[str, IndexOption]] = {
        "block_cells": IndexOption(
            int,
            4_000_000,
            "distances computed per block (bounds memory: ~9 bytes each)",
            minimum=1,
        ),
    }

    def query(self, h: HashArray, radius: int) -> list[Match]:
        r = self.check_radius(radius)
        row = self.check_query(h)
        if len(self) == 0:
            return []
        return matches_from(distances_to(self.hashes, row), r)

    def pairs(self, radius: int) -> Iterator[PairBlock]:
        r = self.check_radius(radius)
        n = len(self)
        hashes = self.hashes
        cells = max(1, int(self.opts["block_cells"]))
        start = 0
        while start < n:
            rows = max(1, min(n - start, cells // max(1, n - start)))
            stop = start + rows
            block = hashes[start:stop]
            rest = hashes[start:]
            dist = np.zeros((rows, n - start), dtype=np.int64)
            for w in range(hashes.shape[1]):
                dist += np.bitwise_count(block[:, w, None] ^ rest[None, :, w])
            # keep only j > i (strict upper triangle relative to the block's diagonal)
            ii, jj = np.nonzero(dist <= r)
            keep = jj > ii
            ii, jj = ii[keep], jj[keep]
            if ii.size:
                yield PairBlock(
                    (ii + start).astype(np.int64),
                    (jj + start).astype(np.int64),
                    dist[ii, jj].astype(np.int64),
                )
            start = stop
