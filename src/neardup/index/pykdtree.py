"""pykdtree backend: k-nearest-neighbour queries made exact by growing ``k``.

pykdtree only answers "the ``k`` nearest neighbours within a distance bound" under the
Euclidean metric. On 0/1 bit vectors the *squared* Euclidean distance equals the Hamming
distance, so a query with ``distance_upper_bound = sqrt(radius + 0.5)`` and
``sqr_dists=True`` returns Hamming distances directly.

A fixed ``k`` would silently drop neighbours when more than ``k - 1`` hashes lie within the
radius (a large group of near-duplicates). This backend therefore re-queries every point
whose ``k``-th neighbour is still inside the radius with ``2k``, until each point's list ends
beyond the radius (or holds every point). The result is **exact**; the option ``k`` only
sets the starting size, trading memory per round against the number of rounds.

pykdtree accepts at most 127 dimensions. A wider hash (256 bits with ``hash_size=16``) is
cut into ``s`` pieces, one tree each; a pair within ``radius`` lies within ``radius // s`` in
at least one piece (pigeonhole), so the union of the piece searches, verified on all bits,
is still exact.

Identical hashes are indexed once (see :mod:`neardup.index.distinct`). pykdtree runs its
queries in parallel with OpenMP (``OMP_NUM_THREADS`` limits the threads).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from neardup.bits import HashArray
from neardup.index.base import BaseIndex, IndexOption, Match, PairBlock, Requirement
from neardup.index.distinct import DistinctHashes, blocks_of, expanded_blocks, unpack_bits

#: pykdtree's limit on the number of dimensions.
_MAX_DIMS = 127


class PyKDTreeIndex(BaseIndex):
    """pykdtree KDTree over distinct hashes as 0/1 vectors; exact by growing k."""

    name: ClassVar[str] = "pykdtree"
    exact: ClassVar[bool] = True
    requires: ClassVar[tuple[Requirement, ...]] = (
        Requirement("pykdtree.kdtree", "pip install pykdtree"),
    )
    options: ClassVar[dict[str, IndexOption]] = {
        "k": IndexOption(
            int,
            16,
            "neighbours asked for first; doubled for points whose k-th is within the radius",
            minimum=2,
        ),
        "leafsize": IndexOption(int, 16, "points per leaf of the tree", minimum=1),
        "query_cells": IndexOption(
            int, 4_000_000, "query rows × k per call (bounds memory: ~8 bytes each)", minimum=1
        ),
        "block_pairs": IndexOption(int, 100_000, "pairs per yielded block", minimum=1),
    }

    def _setup(self) -> None:
        from pykdtree.kdtree import KDTree

        self._distinct = DistinctHashes(self.hashes)
        bits = self.hashes.shape[1] * 64
        # pykdtree handles at most 127 dimensions: wider hashes are cut into pieces
        self._pieces = np.array_split(np.arange(bits), -(-bits // _MAX_DIMS))
        # float32 holds the small integer coordinates and distances exactly
        self._points = unpack_bits(self._distinct.values).astype(np.float32)
        self._trees: list[Any] = []
        if len(self._distinct):
            self._trees = [
                KDTree(np.ascontiguousarray(self._points[:, cols]), leafsize=self.opts["leafsize"])
                for cols in self._pieces
            ]

    def _neighbours(
        self, points: NDArray[np.float32], radius: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """All ``(query row, distinct value, distance)`` within ``radius``, exactly.

        With ``s`` pieces, a pair within ``radius`` is within ``radius // s`` in at least one
        piece (pigeonhole), so the union of the piece searches, verified on all bits, is
        complete.
        """
        if len(self._trees) == 1:
            return self._search(self._trees[0], points, radius)
        piece_radius = radius // len(self._trees)
        m = len(self._distinct)
        codes = np.unique(
            np.concatenate(
                [
                    q * m + v
                    for tree, cols in zip(self._trees, self._pieces, strict=True)
                    for q, v, _ in [
                        self._search(tree, np.ascontiguousarray(points[:, cols]), piece_radius)
                    ]
                ]
            )
        )
        q, v = codes // m, codes % m
        dist = np.abs(points[q] - self._points[v]).sum(axis=1).astype(np.int64)
        keep = dist <= radius
        return q[keep], v[keep], dist[keep]

    def _search(
        self, tree: Any, points: NDArray[np.float32], radius: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """k-nearest-neighbour queries of one tree, ``k`` doubled until every list is complete."""
        m = len(self._distinct)
        bound = float(np.sqrt(radius + 0.5))
        k = min(int(self.opts["k"]), m)
        cells = int(self.opts["query_cells"])
        pending = np.arange(points.shape[0], dtype=np.int64)
        out_q: list[NDArray[np.int64]] = [np.empty(0, dtype=np.int64)]
        out_v: list[NDArray[np.int64]] = [np.empty(0, dtype=np.int64)]
        out_d: list[NDArray[np.int64]] = [np.empty(0, dtype=np.int64)]
        while pending.size:
            unfinished: list[NDArray[np.int64]] = []
            step = max(1, cells // k)
            for start in range(0, pending.size, step):
                rows = pending[start : start + step]
                dist, idx = tree.query(
                    points[rows], k=k, distance_upper_bound=bound, sqr_dists=True
                )
                dist = np.asarray(dist).reshape(rows.size, k)
                idx = np.asarray(idx).reshape(rows.size, k)
                # the list is complete when its last slot is empty (beyond the radius)
                # or when it already holds every point
                done = ~np.isfinite(dist[:, -1]) | (k >= m)
                hit_q, hit_k = np.nonzero(np.isfinite(dist[done]))
                out_q.append(rows[done][hit_q])
                out_v.append(idx[done][hit_q, hit_k].astype(np.int64))
                out_d.append(np.rint(dist[done][hit_q, hit_k]).astype(np.int64))
                unfinished.append(rows[~done])
            pending = np.concatenate(unfinished)
            k = min(2 * k, m)
        return np.concatenate(out_q), np.concatenate(out_v), np.concatenate(out_d)

    def query(self, h: HashArray, radius: int) -> list[Match]:
        r = self.check_radius(radius)
        row = self.check_query(h)
        if not self._trees:
            return []
        point = unpack_bits(row.reshape(1, -1)).astype(np.float32)
        _, values, dist = self._neighbours(point, r)
        return self._distinct.matches(values, dist)

    def pairs(self, radius: int) -> Iterator[PairBlock]:
        r = self.check_radius(radius)
        size = int(self.opts["block_pairs"])
        yield from blocks_of(self._distinct.identical_pairs(), size)
        if not self._trees:
            return
        a, b, dist = self._neighbours(self._points, r)
        keep = a < b  # each unordered pair once; drops every point's match with itself
        a, b, dist = a[keep], b[keep], dist[keep]
        yield from expanded_blocks(self._distinct, a, b, dist, size)
