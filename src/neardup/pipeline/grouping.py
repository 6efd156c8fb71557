"""From pairs to groups.

Two ways to turn "within threshold" pairs into groups (``GROUPINGS``):

* ``centre`` (the default): greedy centre clustering. The image with the most ungrouped
  neighbours becomes a centre; it and all its ungrouped neighbours form a group; repeat.
  Every member is within the threshold of its group's centre, so unrelated images that
  merely share a composition cannot be chained into one group through intermediaries.
* ``components``: connected components of the pair graph. If A~B and B~C, A, B and C form
  one group even when A and C are further apart than the threshold ("chaining").

Every group reports each member's distance to a proposed keeper and its largest internal
distance, and flags members beyond the threshold of the keeper.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neardup.bits import HashArray
from neardup.errors import UsageError
from neardup.index.base import PairBlock
from neardup.model import GROUPINGS, Group


def components(n: int, blocks: Iterable[PairBlock]) -> list[NDArray[np.int64]]:
    """Connected components (size >= 2) of the graph on ``n`` nodes given by pair blocks."""
    left, right = pair_arrays(blocks)
    return component_clusters(n, left, right)


def component_clusters(
    n: int, left: NDArray[np.int64], right: NDArray[np.int64]
) -> list[NDArray[np.int64]]:
    """Connected components (size >= 2) of the graph on ``n`` nodes with edges left–right."""
    if left.size == 0 or n == 0:
        return []
    from scipy.sparse import coo_matrix  # imported on first use: it costs start-up time
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(left.size, dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    cuts = np.flatnonzero(np.diff(sorted_labels)) + 1
    return [c.astype(np.int64) for c in np.split(order, cuts) if c.size > 1]


def pair_arrays(blocks: Iterable[PairBlock]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Concatenate the left and right rows of pair blocks."""
    lefts: list[NDArray[np.int64]] = []
    rights: list[NDArray[np.int64]] = []
    for block in blocks:
        if len(block):
            lefts.append(block.left)
            rights.append(block.right)
    if not lefts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(lefts).astype(np.int64), np.concatenate(rights).astype(np.int64)


def centre_clusters(
    n: int,
    left: NDArray[np.int64],
    right: NDArray[np.int64],
    rank: NDArray[np.int64] | None = None,
) -> list[NDArray[np.int64]]:
    """Greedy centre clusters (size >= 2) of the graph on ``n`` nodes with edges left–right.

    Repeatedly the ungrouped node with the most ungrouped neighbours (ties: lowest
    ``rank``, then lowest row) becomes a centre and takes all its ungrouped neighbours.

    >>> [c.tolist() for c in centre_clusters(4, np.array([0, 1, 2]), np.array([1, 2, 3]))]
    [[1, 0, 2]]
    """
    if n == 0 or left.size == 0:
        return []
    # The adjacency in CSR form (neighbours of each node sorted, each once), with numpy:
    # importing scipy.sparse for this costs more than the grouping of a big scan.
    edges = np.unique(
        np.concatenate([left, right]).astype(np.int64) * n
        + np.concatenate([right, left]).astype(np.int64)
    )
    indices = edges % n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(edges // n, minlength=n), out=indptr[1:])
    degree = np.diff(indptr).astype(np.int64)
    order = np.arange(n, dtype=np.int64) if rank is None else np.asarray(rank, dtype=np.int64)
    # Among equal degrees prefer the smallest rank: score = degree * n + (n - 1 - rank order).
    tie = np.empty(n, dtype=np.int64)
    tie[np.lexsort((np.arange(n), order))] = np.arange(n - 1, -1, -1)
    free = np.ones(n, dtype=bool)
    clusters: list[NDArray[np.int64]] = []
    while True:
        score = np.where(free, degree * n + tie, -1)
        centre = int(np.argmax(score))
        if not free[centre] or degree[centre] <= 0:
            break
        nb = indices[indptr[centre] : indptr[centre + 1]].astype(np.int64)
        members = np.concatenate([[centre], nb[free[nb]]]).astype(np.int64)
        free[members] = False
        touched = np.concatenate([indices[indptr[m] : indptr[m + 1]] for m in members])
        np.subtract.at(degree, touched, 1)
        clusters.append(members)
    return clusters


def _min_distances(
    arrays: Sequence[HashArray], rows: NDArray[np.int64], cols: NDArray[np.int64]
) -> NDArray[np.int64]:
    """``(len(rows), len(cols))`` Hamming distances, the smallest over every pair of hash
    arrays (an image's primary and trimmed hashes, say)."""
    best: NDArray[np.int64] | None = None
    for a in arrays:
        left = a[rows]
        for b in arrays:
            right = b[cols]
            dist = np.zeros((left.shape[0], right.shape[0]), dtype=np.int64)
            for w in range(left.shape[1]):
                dist += np.bitwise_count(left[:, w, None] ^ right[None, :, w])
            best = dist if best is None else np.minimum(best, dist)
    assert best is not None
    return best


def max_internal_distance(
    hashes: HashArray,
    rows: Sequence[int] | NDArray[np.int64],
    trimmed: HashArray | None = None,
) -> int:
    """Largest distance between any two of ``rows`` (blocked, bounded memory); with
    ``trimmed`` (a second hash per row) the distance of two rows is the smallest over
    their hashes."""
    arrays = [hashes] if trimmed is None else [hashes, trimmed]
    idx = np.asarray(rows, dtype=np.int64)
    k = idx.size
    best = 0
    step = max(1, 2_000_000 // max(1, k * len(arrays) ** 2))
    for start in range(0, k, step):
        block = _min_distances(arrays, idx[start : start + step], idx)
        best = max(best, int(block.max(initial=0)))
    return best


def clusters(
    grouping: str,
    n: int,
    left: NDArray[np.int64],
    right: NDArray[np.int64],
    rank: NDArray[np.int64] | None = None,
) -> list[NDArray[np.int64]]:
    """Clusters of ``n`` nodes from pairs with the named grouping strategy."""
    if grouping == "centre":
        return centre_clusters(n, left, right, rank)
    if grouping == "components":
        return component_clusters(n, left, right)
    raise UsageError(f"unknown grouping {grouping!r}; choose one of: {', '.join(GROUPINGS)}")


def build_groups(
    hashes: HashArray,
    blocks: Iterable[PairBlock],
    threshold: int,
    keeper_key: Callable[[int], Any],
    grouping: str = "components",
    distance: Callable[[int, int], int] | None = None,
    trimmed: HashArray | None = None,
) -> list[Group]:
    """Group rows of ``hashes`` connected by the pairs in ``blocks``.

    Args:
        hashes: the ``(n, words)`` hash array the pairs refer to.
        blocks: pairs within ``threshold`` (from :meth:`Index.pairs`).
        threshold: the threshold used, to flag chained members.
        keeper_key: sort key for rows; the smallest member becomes the proposed keeper.
        grouping: ``centre`` or ``components`` (see the module docstring).
        distance: distance of two rows when it is not the plain Hamming distance of their
            hashes (flip/rotation invariance, crop hashes).
        trimmed: a second hash per row (the trimmed hash); the distance of two rows is then
            the smallest over their hashes (vectorised; ignored when ``distance`` is given).

    Returns:
        Groups, largest first, ties by keeper row.
    """
    n = int(hashes.shape[0])
    left, right = pair_arrays(blocks)
    rank = None
    if grouping == "centre" and left.size:
        rank = np.empty(n, dtype=np.int64)
        rank[np.asarray(sorted(range(n), key=keeper_key), dtype=np.int64)] = np.arange(n)
    groups: list[Group] = []
    for comp in clusters(grouping, n, left, right, rank):
        rows = sorted(comp.tolist(), key=keeper_key)
        keeper = rows[0]
        if distance is None:
            arrays = [hashes] if trimmed is None else [hashes, trimmed]
            to_keeper = _min_distances(
                arrays, np.asarray(rows, dtype=np.int64), np.array([keeper], dtype=np.int64)
            )
            dist = to_keeper[:, 0].tolist()
        else:
            dist = [distance(keeper, r) for r in rows]
        order = sorted(range(len(rows)), key=lambda k: (k != 0, int(dist[k]), keeper_key(rows[k])))
        members = tuple(rows[k] for k in order)
        distances = tuple(int(dist[k]) for k in order)
        if distance is None:
            widest = max_internal_distance(hashes, members, trimmed)
        else:
            widest = max(distance(a, b) for a in members for b in members)
        groups.append(Group(members, distances, widest, threshold))
    groups.sort(key=lambda g: (-len(g), keeper_key(g.keeper)))
    return groups
