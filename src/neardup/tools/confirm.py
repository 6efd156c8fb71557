"""Which candidate pairs of an evaluation a scan's verification accepts (spread over
processes when there are many)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from neardup.hashing.views import Views
from neardup.model import DEFAULT_VERIFY_MIN
from neardup.pipeline.verify import verified

#: Verification is measured on candidate pairs up to this distance (the loop is per pair).
VERIFY_UP_TO: Final = 14


#: Verification is spread over processes from this many candidate pairs on.
PARALLEL_FROM: Final = 4000
#: The views the verifying processes read (inherited when they are forked).
_SHARED: dict[str, Sequence[Views | None]] = {}


def _verify_part(job: tuple[list[tuple[int, int]], float, frozenset[str], bool]) -> list[Any]:
    pairs, minimum, invariant, aligned = job
    # threshold -1: no pair is near enough for the views, only the aligned frames decide
    return list(
        verified(
            dict.fromkeys(pairs, 0),
            _SHARED["views"],
            minimum,
            invariant=invariant,
            threshold=-1 if aligned else None,
            crop=aligned,
        )
    )


def confirmed(
    distance: NDArray[np.int16],
    views: Sequence[Views | None],
    minimum: float = DEFAULT_VERIFY_MIN,
    invariant: frozenset[str] = frozenset(),
    *,
    aligned: bool = False,
    jobs: int = 1,
) -> NDArray[np.bool_]:
    """Which pairs within :data:`VERIFY_UP_TO` a scan's verification accepts, decided by
    the scan's own :func:`neardup.pipeline.verify.verified`: on the views, or with ``aligned``
    only by aligning whole frames (``--crop``, beyond the threshold). Many pairs are
    verified in ``jobs`` forked processes."""
    left, right = np.nonzero(np.triu(distance <= VERIFY_UP_TO, k=1))
    pairs = list(zip(left.tolist(), right.tolist(), strict=True))
    parts = max(1, jobs * 4 if len(pairs) >= PARALLEL_FROM and "fork" in _methods() else 1)
    _SHARED["views"] = views
    try:
        jobs_ = [(pairs[k::parts], minimum, invariant, aligned) for k in range(parts)]
        if parts == 1:
            kept = _verify_part(jobs_[0])
        else:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(jobs, mp_context=context) as pool:
                kept = [p for part in pool.map(_verify_part, jobs_) for p in part]
    finally:
        _SHARED.clear()
    out = np.zeros((len(views), len(views)), dtype=bool)
    if kept:
        a, b = np.array(kept, dtype=np.int64).T
        out[a, b] = out[b, a] = True
    return out


def _methods() -> list[str]:
    return multiprocessing.get_all_start_methods()
