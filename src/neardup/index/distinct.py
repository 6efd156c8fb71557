"""Identical hashes collapsed to one representative, and pairs expanded back to rows.

Photo libraries hold many exact duplicates (the same file copied around). Tree and LSH
backends index each distinct hash once and expand their answers here, so a thousand copies
of one image neither deepen a tree nor fill an LSH bucket.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from neardup.bits import HashArray
from neardup.index.base import Match, PairBlock, empty_block


class DistinctHashes:
    """The distinct rows of a hash array and, for each, the original rows holding it.

    >>> d = DistinctHashes(np.array([[5], [3], [5]], dtype=np.uint64))
    >>> d.values.tolist(), d.members(1).tolist()
    ([[3], [5]], [0, 2])
    """

    def __init__(self, hashes: HashArray) -> None:
        n, words = hashes.shape
        if n == 0:
            self.values: HashArray = np.empty((0, words), dtype=np.uint64)
            self.counts: NDArray[np.int64] = np.empty(0, dtype=np.int64)
            self._order: NDArray[np.int64] = np.empty(0, dtype=np.int64)
            self._starts: NDArray[np.int64] = np.empty(0, dtype=np.int64)
            return
        values, inverse, counts = np.unique(hashes, axis=0, return_inverse=True, return_counts=True)
        self.values = np.ascontiguousarray(values, dtype=np.uint64)
        self.counts = counts.astype(np.int64)
        # rows grouped by distinct value, ascending row order inside each group
        self._order = np.argsort(inverse.reshape(-1), kind="stable").astype(np.int64)
        self._starts = (np.cumsum(self.counts) - self.counts).astype(np.int64)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def members(self, value_id: int) -> NDArray[np.int64]:
        """Original rows holding distinct value ``value_id``, ascending."""
        start = int(self._starts[value_id])
        return self._order[start : start + int(self.counts[value_id])]

    def matches(self, value_ids: NDArray[np.int64], distances: NDArray[np.int64]) -> list[Match]:
        """Query hits on distinct values → matches on every original row, sorted."""
        found = [
            Match(int(d), int(row))
            for v, d in zip(value_ids.tolist(), distances.tolist(), strict=True)
            for row in self.members(v).tolist()
        ]
        return sorted(found)

    def identical_pairs(self) -> PairBlock:
        """Every pair of rows sharing one hash (distance 0)."""
        lefts: list[NDArray[np.int64]] = []
        rights: list[NDArray[np.int64]] = []
        for value_id in np.flatnonzero(self.counts > 1).tolist():
            rows = self.members(value_id)
            a, b = np.triu_indices(rows.shape[0], 1)
            lefts.append(rows[a])
            rights.append(rows[b])
        if not lefts:
            return empty_block()
        left = np.concatenate(lefts)
        return PairBlock(left, np.concatenate(rights), np.zeros_like(left))

    def expand(
        self, a: NDArray[np.int64], b: NDArray[np.int64], distance: NDArray[np.int64]
    ) -> PairBlock:
        """Pairs of distinct values ``(a[k], b[k])``, ``a[k] != b[k]`` → pairs of rows.

        Each value pair becomes the cross product of their rows, ordered ``left < right``.
        """
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        distance = np.asarray(distance, dtype=np.int64)
        ca, cb = self.counts[a], self.counts[b]
        if a.size == 0 or (np.all(ca == 1) and np.all(cb == 1)):
            left, right = self._order[self._starts[a]], self._order[self._starts[b]]
            dist = distance
        else:
            sizes = ca * cb
            which = np.repeat(np.arange(a.size), sizes)
            k = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            left = self._order[self._starts[a][which] + k // cb[which]]
            right = self._order[self._starts[b][which] + k % cb[which]]
            dist = distance[which]
        lo, hi = np.minimum(left, right), np.maximum(left, right)
        return PairBlock(lo.astype(np.int64), hi.astype(np.int64), dist.astype(np.int64))


def expanded_blocks(
    distinct: DistinctHashes,
    a: NDArray[np.int64],
    b: NDArray[np.int64],
    distance: NDArray[np.int64],
    size: int,
) -> Iterator[PairBlock]:
    """:meth:`DistinctHashes.expand` over ``size`` value pairs at a time."""
    for start in range(0, a.size, size):
        stop = start + size
        yield distinct.expand(a[start:stop], b[start:stop], distance[start:stop])


def unpack_bits(hashes: HashArray) -> NDArray[np.uint8]:
    """``(n, words)`` hashes → ``(n, 64·words)`` 0/1 vectors, most significant bit first.

    On 0/1 vectors the Manhattan distance and the squared Euclidean distance both equal
    the Hamming distance of the hashes, which is what makes k-d trees exact here.

    >>> unpack_bits(np.array([[5]], dtype=np.uint64))[0, -4:].tolist()
    [0, 1, 0, 1]
    """
    arr = np.ascontiguousarray(hashes, dtype=np.uint64)
    big_endian = arr.astype(">u8").view(np.uint8).reshape(arr.shape[0], 8 * arr.shape[1])
    return np.unpackbits(big_endian, axis=1)


def pair_distances(
    values: HashArray, a: NDArray[np.int64], b: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Hamming distances between rows ``a[k]`` and ``b[k]`` of ``values``."""
    out: NDArray[np.int64] = np.bitwise_count(values[a] ^ values[b]).sum(axis=1, dtype=np.int64)
    return out


def blocks_of(block: PairBlock, size: int) -> list[PairBlock]:
    """Split one block into blocks of at most ``size`` pairs (none when empty)."""
    n = len(block)
    return [
        PairBlock(block.left[s : s + size], block.right[s : s + size], block.distance[s : s + size])
        for s in range(0, n, max(1, size))
    ]
