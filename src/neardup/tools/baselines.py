"""The baselines an evaluation compares with (imagededup's defaults and the KD-tree
method, judged on the pairs they report)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neardup.tools.scoring import Score, Truth, score_pairs

#: A baseline's name, description, overall score and score per transform.
Baseline = tuple[str, dict[str, Any], Score, dict[str, Score]]


def kdtree_pairs(hashes: Sequence[int], k: int = 5, radius: float = 25) -> NDArray[np.int64]:
    """The KD-tree method: 16 hex digits as a point, Manhattan distance, k nearest, <= radius."""
    from scipy.spatial import cKDTree

    points = np.array([[int(c, 16) for c in f"{h:016x}"] for h in hashes], dtype=np.float64)
    tree = cKDTree(points)
    dist, idx = tree.query(points, k=min(k, len(points)), p=1)
    pairs = set()
    for i in range(len(points)):
        for d, j in zip(dist[i], idx[i], strict=True):
            if j != i and d <= radius:
                pairs.add((min(i, int(j)), max(i, int(j))))
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def baselines_dict(baselines: Sequence[Baseline]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            **info,
            **s.to_dict(),
            "per_transform": {k: v.to_dict() for k, v in per.items()},
        }
        for name, info, s, per in baselines
    ]


def pairs_within(
    pairs: NDArray[np.int64] | None, rows: NDArray[np.int64]
) -> NDArray[np.int64] | None:
    """``pairs`` with both ends in ``rows``, renumbered within ``rows``."""
    if pairs is None:
        return None
    where = np.full(int(max(pairs.max(initial=0), rows.max(initial=0))) + 1, -1, dtype=np.int64)
    where[rows] = np.arange(rows.size)
    mapped = where[pairs]
    return mapped[(mapped >= 0).all(axis=1)]


def baselines_of(
    truth: Truth, dd: NDArray[np.int16], kd: NDArray[np.int64] | None, kinds: Sequence[str]
) -> list[Baseline]:
    """The imagededup and KD-tree baselines, judged on the pairs they report."""
    baselines: list[Baseline] = []
    li, ri = np.nonzero(np.triu(dd <= 10, k=1))
    overall, per = score_pairs(truth, li.astype(np.int64), ri.astype(np.int64), kinds)
    baselines.append(("imagededup", {"hash": "imagededup PHash", "threshold": 10}, overall, per))
    if kd is not None:
        overall, per = score_pairs(truth, kd[:, 0], kd[:, 1], kinds)
        baselines.append(
            ("kdtree-hex-manhattan", {"hash": "phash-8", "k": 5, "threshold": 25}, overall, per)
        )
    return baselines
