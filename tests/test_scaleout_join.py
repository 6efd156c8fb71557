"""The distributed multi-index join equals brute force, on Dask's local schedulers."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dask.dataframe", reason="needs the dask extra")

from neardup.index.brute import BruteIndex
from neardup.pipeline.dask.join import distributed_pairs, expand_duplicates
from neardup.pipeline.dask.kernel import plan_join
from neardup.testing.contract import planted_hashes


def as_set(block) -> set[tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    return set(zip(block.left.tolist(), block.right.tolist(), block.distance.tolist(), strict=True))


def brute(hashes: np.ndarray, radius: int) -> set[tuple[int, int, int]]:
    out: set[tuple[int, int, int]] = set()
    for block in BruteIndex.build(hashes).pairs(radius):
        out |= as_set(block)
    return out


@pytest.mark.parametrize("radius", [0, 3, 10, 14])
def test_join_equals_brute_64(radius: int) -> None:
    hashes, truth = planted_hashes(3000, planted=300, max_flip=14, seed=radius)
    got = distributed_pairs(hashes, radius)
    assert len(got) == len(as_set(got))  # each pair once
    assert bool(np.all(got.left < got.right))
    want = brute(hashes, radius)
    assert {(a, b, d) for a, b, d in truth if d <= radius} <= want
    assert as_set(got) == want


@pytest.mark.parametrize("kernel", ["numpy", "numba"])
@pytest.mark.parametrize("target_rows", [300, 5000])
def test_join_with_prefix_partitions_equals_brute(kernel: str, target_rows: int) -> None:
    # small partitions: several prefix bits per chunk, so most probes hit replicated rows
    if kernel == "numba":
        pytest.importorskip("numba")
    hashes, _ = planted_hashes(4000, planted=400, max_flip=12, seed=7)
    stats: dict[str, object] = {}
    got = distributed_pairs(hashes, 10, target_rows=target_rows, kernel=kernel, stats=stats)
    assert len(got) == len(as_set(got))
    assert as_set(got) == brute(hashes, 10)
    assert str(stats["plan"]).startswith(kernel)
    assert int(str(stats["partitions"])) > (16 if target_rows == 300 else 3)


def test_join_equals_brute_256_bits() -> None:
    hashes, _ = planted_hashes(800, words=4, planted=80, max_flip=30, seed=4)
    assert as_set(distributed_pairs(hashes, 24)) == brute(hashes, 24)


def test_identical_hashes_collapse_and_expand() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**64, size=(200, 1), dtype=np.uint64)
    blank = np.zeros((300, 1), dtype=np.uint64)  # 300 copies of one "blank image" hash
    near_blank = np.array([[0b111]], dtype=np.uint64)
    hashes = np.vstack([base, blank, near_blank])
    got = distributed_pairs(hashes, 5)
    want = brute(hashes, 5)
    assert len(want) >= 300 * 299 // 2 + 300
    assert as_set(got) == want


def test_expand_duplicates_maps_rows() -> None:
    inverse = np.array([0, 1, 0, 2])
    block = expand_duplicates(inverse, np.array([0]), np.array([2]), np.array([3]))
    assert as_set(block) == {(0, 2, 0), (0, 3, 3), (2, 3, 3)}


def test_plan_is_exact_by_pigeonhole() -> None:
    for bits in (64, 256):
        for radius in range(33):
            plan = plan_join(bits, radius, 100_000, kernel="numpy")
            # generalised pigeonhole: sum(t_i + 1) > radius
            assert sum(t + 1 for t in plan.thresholds) > radius
            assert sum(plan.widths) == bits
