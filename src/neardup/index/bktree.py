"""BK-tree backend (pybktree): exact, uses the triangle inequality of the Hamming metric.

Good for single queries at small radii; at radius 10 in 64-bit space a query visits a
large share of the tree, so :meth:`pairs` grows nearly quadratically (see docs/performance).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, NamedTuple

import numpy as np
import pybktree

from neardup.bits import HashArray, from_array
from neardup.index.base import BaseIndex, IndexOption, Match, PairBlock


class _Item(NamedTuple):
    hash: int
    row: int


def _distance(a: _Item, b: _Item) -> int:
    return (a.hash ^ b.hash).bit_count()


class BKTreeIndex(BaseIndex):
    """pybktree over integer hashes; identical hashes are stored once with all their rows."""

    name: ClassVar[str] = "bktree"
    exact: ClassVar[bool] = True
    options: ClassVar[dict[str, IndexOption]] = {
        "block_pairs": IndexOption(int, 100_000, "pairs per yielded block", minimum=1),
    }

    def _setup(self) -> None:
        values = from_array(self.hashes)
        self._rows: dict[int, list[int]] = {}
        for row, value in enumerate(values):
            self._rows.setdefault(value, []).append(row)
        # one tree node per distinct hash keeps identical images from deepening the tree
        self._tree = pybktree.BKTree(
            _distance, [_Item(v, rows[0]) for v, rows in self._rows.items()]
        )

    def query(self, h: HashArray, radius: int) -> list[Match]:
        r = self.check_radius(radius)
        row = self.check_query(h)
        value = from_array(row.reshape(1, -1))[0]
        found = [
            Match(d, member)
            for d, item in self._tree.find(_Item(value, -1), r)
            for member in self._rows[item.hash]
        ]
        return sorted(found)

    def pairs(self, radius: int) -> Iterator[PairBlock]:
        r = self.check_radius(radius)
        size = max(1, int(self.opts["block_pairs"]))
        left: list[int] = []
        right: list[int] = []
        dist: list[int] = []
        for value, rows in self._rows.items():
            for d, item in self._tree.find(_Item(value, -1), r):
                others = self._rows[item.hash]
                if item.hash == value:  # pairs among identical hashes
                    for a_pos, a in enumerate(rows):
                        for b in rows[a_pos + 1 :]:
                            left.append(a)
                            right.append(b)
                            dist.append(0)
                elif item.hash > value:  # each pair of distinct hashes once
                    for a in rows:
                        for b in others:
                            left.append(min(a, b))
                            right.append(max(a, b))
                            dist.append(d)
                if len(left) >= size:
                    yield _block(left, right, dist)
                    left, right, dist = [], [], []
        if left:
            yield _block(left, right, dist)


def _block(left: list[int], right: list[int], dist: list[int]) -> PairBlock:
    return PairBlock(
        np.asarray(left, dtype=np.int64),
        np.asarray(right, dtype=np.int64),
        np.asarray(dist, dtype=np.int64),
    )
