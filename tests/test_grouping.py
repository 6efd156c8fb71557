from __future__ import annotations

import numpy as np

from neardup.index.brute import BruteIndex
from neardup.pipeline.grouping import build_groups, max_internal_distance


def test_chaining_is_reported() -> None:
    # 0 ~ 1 (6 bits), 1 ~ 2 (6 bits), but 0 and 2 are 12 bits apart: one chained group
    h = np.array([[0], [0b111111], [0b111111111111], [2**64 - 1]], dtype=np.uint64)
    blocks = BruteIndex.build(h).pairs(8)
    (group,) = build_groups(h, blocks, 8, keeper_key=lambda row: row)
    assert group.members == (0, 1, 2)
    assert group.distances == (0, 6, 12)
    assert group.max_distance == 12
    assert group.chained


def test_keeper_follows_key_and_members_sorted_by_distance() -> None:
    h = np.array([[0b1], [0b0], [0b11]], dtype=np.uint64)
    (group,) = build_groups(h, BruteIndex.build(h).pairs(2), 2, keeper_key=lambda row: -row)
    assert group.keeper == 2
    assert group.distances[0] == 0
    assert list(group.distances) == sorted(group.distances)
    assert not group.chained


def test_max_internal_distance_blocks() -> None:
    rng = np.random.default_rng(0)
    h = rng.integers(0, 2**64, size=(50, 4), dtype=np.uint64)
    rows = list(range(50))
    full = max(int(np.bitwise_count(h[i] ^ h[j]).sum()) for i in rows for j in rows)
    assert max_internal_distance(h, rows) == full
