"""Data helpers for testing and benchmarking backends: planted hashes with known pairs, and
exact answers by brute force. numpy only: importable on a plain install (no pytest)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from neardup.bits import HashArray
from neardup.index.base import Match, PairBlock


def planted_hashes(
    n: int, words: int = 1, *, planted: int = 50, max_flip: int = 12, seed: int = 0
) -> tuple[HashArray, list[tuple[int, int, int]]]:
    """Random hashes with ``planted`` near-duplicates of random rows at known distances.

    Returns the ``(n + planted, words)`` array and the planted ``(original, copy, distance)``
    triples (distance 0..max_flip, chosen uniformly).
    """
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**64, size=(n, words), dtype=np.uint64)
    bits = words * 64
    rows = [base]
    truth: list[tuple[int, int, int]] = []
    for k in range(planted):
        src = int(rng.integers(0, n))
        dist = int(rng.integers(0, max_flip + 1))
        copy = base[src].copy()
        for bit in rng.choice(bits, size=dist, replace=False):
            word, offset = divmod(int(bit), 64)
            copy[word] ^= np.uint64(1) << np.uint64(offset)
        rows.append(copy.reshape(1, words))
        truth.append((src, n + k, dist))
    return np.ascontiguousarray(np.vstack(rows)), truth


def pair_set(blocks: Any) -> set[tuple[int, int, int]]:
    """All pairs from an iterator of :class:`PairBlock`, asserting block shape invariants."""
    found: list[tuple[int, int, int]] = []
    for block in blocks:
        assert isinstance(block, PairBlock)
        assert block.left.shape == block.right.shape == block.distance.shape
        found.extend(
            zip(block.left.tolist(), block.right.tolist(), block.distance.tolist(), strict=True)
        )
    as_set = set(found)
    assert len(as_set) == len(found), "a pair was reported twice"
    assert all(a < b for a, b, _ in found), "pairs must have left < right"
    return as_set


def brute_pairs(hashes: HashArray, radius: int) -> set[tuple[int, int, int]]:
    """The exact answer, computed directly (not through any backend)."""
    n = hashes.shape[0]
    out: set[tuple[int, int, int]] = set()
    for i in range(n):
        d = np.bitwise_count(hashes[i + 1 :] ^ hashes[i]).sum(axis=1)
        for j in np.flatnonzero(d <= radius).tolist():
            out.add((i, i + 1 + j, int(d[j])))
    return out


def brute_query(hashes: HashArray, h: NDArray[np.uint64], radius: int) -> list[Match]:
    d = np.bitwise_count(hashes ^ h.reshape(1, -1)).sum(axis=1)
    return sorted(Match(int(d[k]), int(k)) for k in np.flatnonzero(d <= radius))
