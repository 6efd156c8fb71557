"""The ``mih`` backend beyond the shared contract: layouts, kernels, duplicates, streaming."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neardup.errors import IndexOptionError, IndexUnavailable
from neardup.index.base import PairBlock
from neardup.index.mih import MIHIndex, expand_ranges, numba_available
from neardup.index.mih_plan import (
    choose_plan,
    extract_chunk,
    flip_patterns,
    high_bits,
    layout,
)
from neardup.testing.contract import brute_pairs, pair_set, planted_hashes
from tests.conftest import expected_planted_groups

needs_numba = pytest.mark.skipif(not numba_available(), reason="numba not installed")
KERNELS = ["numpy", pytest.param("numba", marks=needs_numba)]


def mih_pairs(hashes: np.ndarray, radius: int, **opts: object) -> set[tuple[int, int, int]]:
    return pair_set(MIHIndex.build(hashes, **opts).pairs(radius))


@pytest.mark.parametrize("bits", [64, 128, 256])
@pytest.mark.parametrize("radius", [0, 1, 5, 10, 20])
def test_every_layout_satisfies_the_pigeonhole_bound(bits: int, radius: int) -> None:
    for m in range(1, min(bits, radius + 3) + 1):
        plan = layout(bits, m, radius)
        assert sum(plan.widths) == bits
        assert plan.starts == tuple(int(s) for s in np.cumsum((0, *plan.widths[:-1])))
        assert sum(plan.thresholds) >= radius - m + 1
    chosen = choose_plan(100_000, bits, radius)
    assert max(chosen.widths) <= 63


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(
    ("chunks", "radius"), [(2, 3), (3, 10), (4, 10), (5, 3), (8, 10), (11, 10), (13, 10)]
)
def test_forced_layouts_are_exact(kernel: str, chunks: int, radius: int) -> None:
    """Each layout, including chunks that never match (threshold -1), equals brute force."""
    hashes, _ = planted_hashes(600, planted=120, max_flip=12, seed=chunks)
    want = brute_pairs(hashes, radius)
    assert mih_pairs(hashes, radius, kernel=kernel, chunks=chunks) == want


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("radius", [8, 24, 40])
def test_256_bit_hashes(kernel: str, radius: int) -> None:
    """Chunks cross 64-bit word boundaries; distances add up over four words."""
    hashes, truth = planted_hashes(400, words=4, planted=80, max_flip=48, seed=radius)
    want = brute_pairs(hashes, radius)
    assert any(d <= radius for *_, d in truth)
    assert mih_pairs(hashes, radius, kernel=kernel) == want


def test_extract_chunk_across_words() -> None:
    rng = np.random.default_rng(1)
    hashes = rng.integers(0, 2**64, size=(50, 4), dtype=np.uint64)
    as_int = [int("".join(f"{int(w):064b}" for w in row), 2) for row in hashes]
    for start, width in [(0, 13), (60, 9), (100, 40), (250, 6), (64, 64 - 1)]:
        got = extract_chunk(hashes, start, width).tolist()
        want = [(v >> (256 - start - width)) & ((1 << width) - 1) for v in as_int]
        assert got == want


def test_flip_patterns_and_high_bits() -> None:
    pats = flip_patterns(20, 3)
    assert pats.size == 20 + 190 + 1140
    assert len(set(pats.tolist())) == pats.size
    assert all(1 <= int(p).bit_count() <= 3 for p in pats)
    wide = np.array([1, 3, 2**62 + 5, 2**63 - 1, 2**53 + 1], dtype=np.uint64)
    assert high_bits(wide).tolist() == [1 << (int(p).bit_length() - 1) for p in wide]


def as_keys(blocks: list[PairBlock], n: int) -> np.ndarray:
    """Pairs as sorted ``left * n + right`` keys, with their distances, checked unique."""
    left = np.concatenate([b.left for b in blocks])
    right = np.concatenate([b.right for b in blocks])
    dist = np.concatenate([b.distance for b in blocks])
    assert np.all(left < right)
    keys = left * n + right
    order = np.argsort(keys)
    assert np.unique(keys).size == keys.size, "a pair was reported twice"
    return np.column_stack([keys[order], dist[order]])


@pytest.mark.parametrize("kernel", KERNELS)
def test_huge_bucket_of_identical_hashes(kernel: str) -> None:
    """1000 copies of one hash (blank images) collapse to one item; pairs still all come out."""
    rng = np.random.default_rng(7)
    copies = 1000
    blank = np.full((copies, 1), 0xFFFF0000FFFF0000, dtype=np.uint64)
    near = blank[:5].copy()
    near[:, 0] ^= np.uint64(0b1011)  # 3 bits away from every blank
    others = rng.integers(0, 2**64, size=(500, 1), dtype=np.uint64)
    hashes = np.vstack([others[:200], blank, near, others[200:]])
    n = hashes.shape[0]
    index = MIHIndex.build(hashes, kernel=kernel, block_pairs=20_000)
    assert index.distinct.hashes.shape[0] == 500 + 1 + 1
    blocks = list(index.pairs(3))
    assert all(len(b) <= 20_000 for b in blocks)
    assert not brute_pairs(others, 3)  # random 64-bit hashes are never that close
    blank_rows = np.arange(200, 200 + copies)
    near_rows = np.arange(200 + copies, 205 + copies)
    a, b = np.triu_indices(copies, 1)
    c, d = np.triu_indices(5, 1)
    e, f = np.meshgrid(blank_rows, near_rows, indexing="ij")
    want_keys = np.concatenate(
        [
            blank_rows[a] * n + blank_rows[b],
            near_rows[c] * n + near_rows[d],
            e.ravel() * n + f.ravel(),
        ]
    )
    want_dist = np.concatenate([np.zeros(a.size + c.size), np.full(e.size, 3)])
    order = np.argsort(want_keys)
    got = as_keys(blocks, n)
    assert np.array_equal(got[:, 0], want_keys[order])
    assert np.array_equal(got[:, 1], want_dist[order])


def test_streaming_blocks_are_bounded_and_lazy() -> None:
    hashes, _ = planted_hashes(3000, planted=600, max_flip=10, seed=4)
    hashes = np.vstack([hashes, hashes[:400]])  # duplicates too
    index = MIHIndex.build(hashes, block_pairs=64, kernel="numpy")
    stream = index.pairs(10)
    first = next(stream)  # available before the whole answer is computed
    blocks = [first, *stream]
    assert len(blocks) > 5
    assert all(0 < len(b) <= 64 for b in blocks)
    assert pair_set(blocks) == brute_pairs(hashes, 10)


@needs_numba
@pytest.mark.parametrize("radius", [4, 10, 14])
def test_numba_and_numpy_kernels_agree(radius: int) -> None:
    hashes, _ = planted_hashes(20_000, planted=2_000, max_flip=16, seed=radius)
    hashes = np.vstack([hashes, hashes[:300]])
    fast = mih_pairs(hashes, radius, kernel="numba", block_pairs=500)
    slow = mih_pairs(hashes, radius, kernel="numpy", block_pairs=500)
    assert fast == slow
    assert len(fast) > 300


@pytest.mark.parametrize("kernel", KERNELS)
def test_thread_count_does_not_change_pairs(kernel: str) -> None:
    hashes, _ = planted_hashes(8000, planted=800, seed=9)
    one = mih_pairs(hashes, 10, kernel=kernel, workers=1)
    two = mih_pairs(hashes, 10, kernel=kernel, workers=2)
    assert one == two == brute_pairs(hashes, 10)


def test_bad_kernel_option() -> None:
    with pytest.raises(IndexOptionError, match="kernel"):
        MIHIndex.build(np.zeros((2, 1), dtype=np.uint64), kernel="gpu")


def test_numba_kernel_requested_but_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(IndexOptionError, match=r"neardup\[fast\]"):
        MIHIndex.build(np.zeros((2, 1), dtype=np.uint64), kernel="numba")
    index = MIHIndex.build(np.zeros((3, 1), dtype=np.uint64))  # auto falls back to numpy
    assert len(pair_set(index.pairs(2))) == 3
    assert index.kernel == "numpy"


def test_expand_ranges_splits_long_ranges() -> None:
    starts = np.array([10, 0, 100], dtype=np.int64)
    counts = np.array([3, 0, 5], dtype=np.int64)
    pieces = list(expand_ranges(starts, counts, 2))
    assert all(q.size <= 2 for q, _ in pieces)
    q = np.concatenate([q for q, _ in pieces]).tolist()
    pos = np.concatenate([p for _, p in pieces]).tolist()
    assert q == [0, 0, 0, 2, 2, 2, 2, 2]
    assert pos == [10, 11, 12, 100, 101, 102, 103, 104]


def test_faiss_not_viable_without_faiss(monkeypatch: pytest.MonkeyPatch) -> None:
    from neardup.index.faiss import FaissIndex

    monkeypatch.setitem(sys.modules, "faiss", None)
    assert FaissIndex.viable() is False
    with pytest.raises(IndexUnavailable, match="faiss"):
        FaissIndex.build(np.zeros((2, 1), dtype=np.uint64))


def test_mih_is_the_default_backend_of_scan(cli: Any, planted_folder: Path) -> None:
    res = cli("scan", str(planted_folder), "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["settings"]["index"] == "mih"
    groups = {frozenset(m["path"] for m in g["members"]) for g in doc["groups"]}
    assert groups == expected_planted_groups(planted_folder)
