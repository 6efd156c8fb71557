"""k-d tree backend (scipy ``cKDTree``): exact Hamming search on unpacked bit vectors.

Each distinct hash becomes a 0/1 vector of ``bits`` coordinates. On such vectors the
Manhattan distance (``p=1``) *is* the Hamming distance, so ``query_ball_point`` and
``query_pairs`` with ``p=1`` return exactly the pairs within the radius.

Cost: building is ``O(n log n)``; a search prunes well only while the radius is small
compared with the spread of the data. 64-bit hashes are 64-dimensional points, where the
pruning of a k-d tree degrades towards a scan of every leaf; at radius 10 an all-pairs
search is therefore far slower than brute force (see ``docs/backends.md``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from neardup.bits import HashArray, distances_to
from neardup.index.base import BaseIndex, IndexOption, Match, PairBlock, Requirement
from neardup.index.distinct import (
    DistinctHashes,
    blocks_of,
    expanded_blocks,
    pair_distances,
    unpack_bits,
)


class KDTreeIndex(BaseIndex):
    """scipy cKDTree over distinct hashes as 0/1 vectors, searched with p=1 (Manhattan)."""

    name: ClassVar[str] = "kdtree"
    exact: ClassVar[bool] = True
    requires: ClassVar[tuple[Requirement, ...]] = (
        Requirement("scipy.spatial", "pip install scipy"),
    )
    options: ClassVar[dict[str, IndexOption]] = {
        "leafsize": IndexOption(int, 16, "points per leaf of the tree", minimum=1),
        "balanced_tree": IndexOption(
            bool, True, "split at medians (slower build, usually faster search)"
        ),
        "compact_nodes": IndexOption(bool, True, "shrink node boxes to the data they hold"),
        "block_pairs": IndexOption(int, 100_000, "pairs per yielded block", minimum=1),
    }

    def _setup(self) -> None:
        from scipy.spatial import cKDTree

        self._distinct = DistinctHashes(self.hashes)
        self._tree: Any = None
        if len(self._distinct):
            self._tree = cKDTree(
                unpack_bits(self._distinct.values),
                leafsize=self.opts["leafsize"],
                balanced_tree=self.opts["balanced_tree"],
                compact_nodes=self.opts["compact_nodes"],
            )

    def query(self, h: HashArray, radius: int) -> list[Match]:
        r = self.check_radius(radius)
        row = self.check_query(h)
        if self._tree is None:
            return []
        point = unpack_bits(row.reshape(1, -1))[0]
        # distances are integers: any bound in [r, r + 1) selects the same points
        found = np.asarray(self._tree.query_ball_point(point, r + 0.5, p=1), dtype=np.int64)
        return self._distinct.matches(found, distances_to(self._distinct.values[found], row))

    def pairs(self, radius: int) -> Iterator[PairBlock]:
        r = self.check_radius(radius)
        size = int(self.opts["block_pairs"])
        yield from blocks_of(self._distinct.identical_pairs(), size)
        if self._tree is None:
            return
        found = self._tree.query_pairs(r + 0.5, p=1, output_type="ndarray").astype(np.int64)
        a, b = found[:, 0], found[:, 1]
        dist = pair_distances(self._distinct.values, a, b)
        yield from expanded_blocks(self._distinct, a, b, dist, size)
