"""An exact neardup backend in one file: sort hashes into buckets by pigeonhole pieces.

Cut each hash into ``pieces`` bit ranges. Two hashes within Hamming distance ``r`` agree
exactly on at least one piece when ``r < pieces`` (pigeonhole), so for small radii only
hashes sharing a bucket need comparing. For larger radii it falls back to comparing all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from neardup.index.base import BaseIndex, IndexOption, Match, PairBlock, matches_from


class PrefixIndex(BaseIndex):
    """Exact: pigeonhole buckets on bit pieces, verified by XOR + popcount."""

    name: ClassVar[str] = "prefix"
    exact: ClassVar[bool] = True
    options: ClassVar[dict[str, IndexOption]] = {
        "pieces": IndexOption(
            int, 4, "bit pieces per hash (buckets for radius < pieces)", minimum=1, maximum=64
        ),
    }

    def _setup(self) -> None:
        bits = self.hashes.shape[1] * 64
        as_bytes = self.hashes.astype(">u8").view(np.uint8).reshape(len(self), bits // 8)
        self._bits = np.unpackbits(as_bytes, axis=1)
        self._pieces = np.array_split(np.arange(bits), self.opts["pieces"])

    def _distances(self, rows: NDArray[np.int64], h: NDArray[np.uint64]) -> NDArray[np.int64]:
        return np.bitwise_count(self.hashes[rows] ^ h).sum(axis=1).astype(np.int64)

    def query(self, h: NDArray[np.uint64], radius: int) -> list[Match]:
        r = self.check_radius(radius)
        row = self.check_query(h)
        return matches_from(self._distances(np.arange(len(self)), row), r)

    def _candidates(self, radius: int) -> NDArray[np.int64]:
        """Encoded pairs ``i * n + j`` (``i < j``) that may be within ``radius``."""
        n = len(self)
        if radius >= len(self._pieces):  # no pigeonhole guarantee: every pair is a candidate
            i, j = np.triu_indices(n, 1)
            return (i * n + j).astype(np.int64)
        codes: list[NDArray[np.int64]] = [np.empty(0, dtype=np.int64)]
        for cols in self._pieces:
            keys = np.packbits(self._bits[:, cols], axis=1)
            _, bucket = np.unique(keys, axis=0, return_inverse=True)
            order = np.argsort(bucket.reshape(-1), kind="stable")
            sorted_buckets = bucket.reshape(-1)[order]
            for start, stop in _runs(sorted_buckets):
                members = order[start:stop]
                i, j = np.triu_indices(members.size, 1)
                a, b = np.minimum(members[i], members[j]), np.maximum(members[i], members[j])
                codes.append((a * n + b).astype(np.int64))
        return np.unique(np.concatenate(codes))

    def pairs(self, radius: int) -> Iterator[PairBlock]:
        r = self.check_radius(radius)
        n = len(self)
        codes = self._candidates(r)
        left, right = codes // n, codes % n
        dist = np.bitwise_count(self.hashes[left] ^ self.hashes[right]).sum(axis=1)
        keep = dist <= r
        if keep.any():
            yield PairBlock(left[keep], right[keep], dist[keep].astype(np.int64))


def _runs(values: NDArray[np.int64]) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of every run of equal values longer than one."""
    if values.size == 0:
        return
    edges = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [values.size]])
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        if stop - start > 1:
            yield start, stop
