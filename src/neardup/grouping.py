"""From pairs to groups.

neardup groups by connected components of the "within threshold" graph: if A~B and B~C,
A, B and C form one group even when A and C are further apart than the threshold
("chaining"). Every group therefore reports each member's distance to a proposed keeper
and its largest internal distance, and flags members beyond the threshold of the keeper.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from neardup.hashing import HashArray, distances_to
from neardup.index.base import PairBlock


@dataclass(frozen=True, slots=True)
class Group:
    """A set of near-duplicate images (row numbers into the scan's records).

    ``members[0]`` is the proposed keeper; ``distances[k]`` is the Hamming distance of
    ``members[k]`` to it; ``max_distance`` is the largest distance between any two members.
    """

    members: tuple[int, ...]
    distances: tuple[int, ...]
    max_distance: int
    threshold: int

    @property
    def keeper(self) -> int:
        return self.members[0]

    @property
    def chained(self) -> bool:
        """True when some member is further than the threshold from the keeper."""
        return any(d > self.threshold for d in self.distances)

    def __len__(self) -> int:
        return len(self.members)


def components(n: int, blocks: Iterable[PairBlock]) -> list[NDArray[np.int64]]:
    """Connected components (size >= 2) of the graph on ``n`` nodes given by pair blocks."""
    lefts: list[NDArray[np.int64]] = []
    rights: list[NDArray[np.int64]] = []
    for block in blocks:
        if len(block):
            lefts.append(block.left)
            rights.append(block.right)
    if not lefts or n == 0:
        return []
    left = np.concatenate(lefts)
    right = np.concatenate(rights)
    graph = coo_matrix((np.ones(left.size, dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    cuts = np.flatnonzero(np.diff(sorted_labels)) + 1
    return [c.astype(np.int64) for c in np.split(order, cuts) if c.size > 1]


def max_internal_distance(hashes: HashArray, rows: Sequence[int] | NDArray[np.int64]) -> int:
    """Largest Hamming distance between any two of ``rows`` (blocked, bounded memory)."""
    sub = hashes[np.asarray(rows, dtype=np.int64)]
    k = sub.shape[0]
    best = 0
    step = max(1, 2_000_000 // max(1, k))
    for start in range(0, k, step):
        block = sub[start : start + step]
        dist = np.zeros((block.shape[0], k), dtype=np.int64)
        for w in range(sub.shape[1]):
            dist += np.bitwise_count(block[:, w, None] ^ sub[None, :, w])
        best = max(best, int(dist.max(initial=0)))
    return best


def build_groups(
    hashes: HashArray,
    blocks: Iterable[PairBlock],
    threshold: int,
    keeper_key: Callable[[int], Any],
) -> list[Group]:
    """Group rows of ``hashes`` connected by the pairs in ``blocks``.

    Args:
        hashes: the ``(n, words)`` hash array the pairs refer to.
        blocks: pairs within ``threshold`` (from :meth:`Index.pairs`).
        threshold: the threshold used, to flag chained members.
        keeper_key: sort key for rows; the smallest member becomes the proposed keeper.

    Returns:
        Groups, largest first, ties by keeper row.
    """
    groups: list[Group] = []
    for comp in components(int(hashes.shape[0]), blocks):
        rows = sorted(comp.tolist(), key=keeper_key)
        keeper = rows[0]
        dist = distances_to(hashes[rows], hashes[keeper])
        order = sorted(range(len(rows)), key=lambda k: (k != 0, int(dist[k]), keeper_key(rows[k])))
        members = tuple(rows[k] for k in order)
        distances = tuple(int(dist[k]) for k in order)
        groups.append(Group(members, distances, max_internal_distance(hashes, members), threshold))
    groups.sort(key=lambda g: (-len(g), keeper_key(g.keeper)))
    return groups
