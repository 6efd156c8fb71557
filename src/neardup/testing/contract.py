"""The contract every ``neardup.indexes`` backend must pass.

Exact backends (``exact = True``) must return exactly what brute force returns; approximate
ones must return a subset (never a wrong pair or distance) with recall at least
``recall_floor`` (a fixture a subclass may override; default 0.95). Approximate backends
report the recall they measured as the ``recall`` user property of each test (shown in
JUnit XML, and printed: run pytest with ``-rP`` to see it).

The data is seeded, so a run is reproducible; sizes stay near 2,000 hashes so that even
tree backends, slow at radius 10 in 64-bit space, finish the suite in seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from neardup.errors import IndexOptionError
from neardup.index.base import Index, Match
from neardup.testing.data import brute_pairs, brute_query, pair_set, planted_hashes


class IndexContract:
    """Subclass with an ``index_cls`` fixture; ``index_options``/``recall_floor`` are optional."""

    @pytest.fixture
    def index_cls(self) -> type[Index]:
        raise NotImplementedError("provide an index_cls fixture")

    @pytest.fixture
    def index_options(self) -> dict[str, Any]:
        return {}

    @pytest.fixture
    def recall_floor(self) -> float:
        return 0.95

    @pytest.fixture
    def record_recall(self, record_property: Any) -> Any:
        """``record_recall(value)``: report a measured recall (user property + stdout)."""

        def record(value: float) -> None:
            record_property("recall", round(value, 6))
            print(f"recall {value:.4f}")

        return record

    # helpers -----------------------------------------------------------------
    def check_pairs(
        self,
        index_cls: type[Index],
        got: set[tuple[int, int, int]],
        want: set[tuple[int, int, int]],
        floor: float,
        record: Any = None,
    ) -> float:
        if index_cls.exact:
            missed, extra = sorted(want - got)[:5], sorted(got - want)[:5]
            assert got == want, f"exact index differs from brute force: {missed=} {extra=}"
            return 1.0
        assert got <= want, f"approximate index invented pairs: {sorted(got - want)[:5]}"
        recall = len(got) / len(want) if want else 1.0
        if record is not None:
            record(recall)
        assert recall >= floor, f"recall {recall:.4f} below floor {floor}"
        return recall

    # tests -------------------------------------------------------------------
    def test_declares_protocol(self, index_cls: type[Index]) -> None:
        assert isinstance(index_cls.name, str) and index_cls.name
        assert isinstance(index_cls.exact, bool)
        assert index_cls.metric == "hamming"
        assert index_cls.viable()

    def test_empty_finds_nothing(
        self, index_cls: type[Index], index_options: dict[str, Any]
    ) -> None:
        idx = index_cls.build(np.empty((0, 1), dtype=np.uint64), **index_options)
        assert len(idx) == 0
        assert pair_set(idx.pairs(10)) == set()
        assert idx.query(np.zeros(1, dtype=np.uint64), 64) == []

    def test_one_item(self, index_cls: type[Index], index_options: dict[str, Any]) -> None:
        h = np.array([[0xDEADBEEF]], dtype=np.uint64)
        idx = index_cls.build(h, **index_options)
        assert len(idx) == 1
        assert pair_set(idx.pairs(64)) == set()
        assert idx.query(h[0], 0) == [Match(0, 0)]

    def test_identical_hashes(self, index_cls: type[Index], index_options: dict[str, Any]) -> None:
        h = np.array([[7], [7], [7], [2**63]], dtype=np.uint64)
        idx = index_cls.build(h, **index_options)
        assert pair_set(idx.pairs(0)) == {(0, 1, 0), (0, 2, 0), (1, 2, 0)}
        assert [m.index for m in idx.query(h[0], 0)] == [0, 1, 2]

    def test_many_identical_and_near_copies(
        self, index_cls: type[Index], index_options: dict[str, Any]
    ) -> None:
        # 12 copies of a, 5 of b (3 bits from a), 1 of c (far away), interleaved
        a, b, c = 0x0123456789ABCDEF, 0x0123456789ABCDEF ^ 0b10101, 0xFEDCBA9876543210
        values = [a] * 12 + [b] * 5 + [c]
        order = np.random.default_rng(7).permutation(len(values))
        h = np.array([[values[k]] for k in order], dtype=np.uint64)
        idx = index_cls.build(h, **index_options)
        assert len(idx) == len(values)
        want = brute_pairs(h, 3)
        assert len(want) == 17 * 16 // 2
        assert pair_set(idx.pairs(3)) == want
        assert pair_set(idx.pairs(2)) == brute_pairs(h, 2)
        q = np.array([b], dtype=np.uint64)
        assert idx.query(q, 3) == brute_query(h, q, 3)

    def test_radius_zero(self, index_cls: type[Index], index_options: dict[str, Any]) -> None:
        hashes, truth = planted_hashes(500, planted=60, max_flip=2, seed=21)
        idx = index_cls.build(hashes, **index_options)
        want = brute_pairs(hashes, 0)
        assert {(a, b, 0) for a, b, d in truth if d == 0} <= want
        got = pair_set(idx.pairs(0))
        assert got == want, "radius 0 must find exactly the identical hashes"

    def test_radius_inclusive(self, index_cls: type[Index], index_options: dict[str, Any]) -> None:
        h = np.array([[0], [0b111], [0b1111111]], dtype=np.uint64)
        idx = index_cls.build(h, **index_options)
        assert pair_set(idx.pairs(3)) == {(0, 1, 3)}
        got = pair_set(idx.pairs(4))
        assert got == {(0, 1, 3), (1, 2, 4)}
        assert idx.query(h[0], 3) == [Match(0, 0), Match(3, 1)]
        assert idx.query(h[0], 2) == [Match(0, 0)]

    @pytest.mark.parametrize("words", [1, 4])
    def test_radius_full_width(
        self, index_cls: type[Index], index_options: dict[str, Any], record_recall: Any, words: int
    ) -> None:
        hashes, _ = planted_hashes(40, words=words, planted=5, seed=3)
        # include the extremes: all zeros and all ones are the full width apart
        hashes[0], hashes[1] = 0, np.iinfo(np.uint64).max
        idx = index_cls.build(hashes, **index_options)
        bits = 64 * words
        got = pair_set(idx.pairs(bits))
        n = hashes.shape[0]
        want = brute_pairs(hashes, bits)
        assert len(want) == n * (n - 1) // 2
        assert (0, 1, bits) in want
        # approximate backends are tuned for small radii: at full width only "no wrong pair"
        self.check_pairs(index_cls, got, want, 1.0 if index_cls.exact else 0.0, record_recall)
        found = idx.query(hashes[0], bits)
        assert {m.index for m in found} <= set(range(n))
        if index_cls.exact:
            assert len(found) == n

    def test_planted_distances(
        self,
        index_cls: type[Index],
        index_options: dict[str, Any],
        recall_floor: float,
        record_recall: Any,
    ) -> None:
        """Planted copies at known distances 0..12 are found with exactly that distance."""
        hashes, truth = planted_hashes(1500, planted=260, max_flip=12, seed=17)
        idx = index_cls.build(hashes, **index_options)
        got = {(a, b): d for a, b, d in pair_set(idx.pairs(10))}
        planted = [(min(a, b), max(a, b), d) for a, b, d in truth if d <= 10]
        found = [(a, b, d) for a, b, d in planted if (a, b) in got]
        for a, b, d in found:
            assert got[(a, b)] == d, f"pair {(a, b)} reported at {got[(a, b)]}, planted at {d}"
        for a, b, d in truth:
            if d > 10:  # planted beyond the radius: reported only via other rows, never as-is
                assert got.get((min(a, b), max(a, b))) is None
        recall = len(found) / len(planted)
        if index_cls.exact:
            assert recall == 1.0, f"missed planted pairs: {sorted(set(planted) - set(found))[:5]}"
        else:
            record_recall(recall)
            assert recall >= recall_floor

    def test_rejects_unknown_option(self, index_cls: type[Index]) -> None:
        h = np.zeros((3, 1), dtype=np.uint64)
        with pytest.raises(IndexOptionError, match="no_such_option"):
            index_cls.build(h, no_such_option="1")

    def test_rejects_malformed_option_values(self, index_cls: type[Index]) -> None:
        h = np.zeros((3, 1), dtype=np.uint64)
        for key, option in getattr(index_cls, "options", {}).items():
            if option.type in (int, float, bool):
                with pytest.raises(IndexOptionError, match=key):
                    index_cls.build(h, **{key: "not-a-number"})

    @pytest.mark.parametrize("radius", [0, 4, 10])
    def test_matches_brute(
        self,
        index_cls: type[Index],
        index_options: dict[str, Any],
        recall_floor: float,
        record_recall: Any,
        radius: int,
    ) -> None:
        hashes, truth = planted_hashes(2000, planted=200, max_flip=12, seed=radius)
        idx = index_cls.build(hashes, **index_options)
        assert len(idx) == hashes.shape[0]
        want = brute_pairs(hashes, radius)
        assert {(a, b, d) for a, b, d in truth if d <= radius} <= want
        got = pair_set(idx.pairs(radius))
        self.check_pairs(index_cls, got, want, recall_floor, record_recall)

    def test_query_matches_brute(
        self, index_cls: type[Index], index_options: dict[str, Any], recall_floor: float
    ) -> None:
        hashes, truth = planted_hashes(1000, planted=100, seed=11)
        idx = index_cls.build(hashes, **index_options)
        hits = total = 0
        for src, _, _ in truth[:30]:
            want = brute_query(hashes, hashes[src], 10)
            got = idx.query(hashes[src], 10)
            assert got == sorted(got), "matches must be sorted by (distance, index)"
            if index_cls.exact:
                assert got == want
            else:
                assert set(got) <= set(want)
            hits += len(got)
            total += len(want)
        assert hits / total >= (1.0 if index_cls.exact else recall_floor)

    def test_wide_hashes(
        self,
        index_cls: type[Index],
        index_options: dict[str, Any],
        recall_floor: float,
        record_recall: Any,
    ) -> None:
        hashes, truth = planted_hashes(300, words=4, planted=40, max_flip=30, seed=5)
        idx = index_cls.build(hashes, **index_options)
        want = brute_pairs(hashes, 24)
        assert any(d <= 24 for *_, d in truth)
        got = pair_set(idx.pairs(24))
        self.check_pairs(index_cls, got, want, recall_floor, record_recall)
        row = hashes[truth[0][0]]
        found = idx.query(row, 24)
        if index_cls.exact:
            assert found == brute_query(hashes, row, 24)
        else:
            assert set(found) <= set(brute_query(hashes, row, 24))
