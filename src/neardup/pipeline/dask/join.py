"""Exact all-pairs search on a Dask cluster: a distributed multi-index join.

Each hash emits one row per chunk ``(chunk, chunk value)`` (plus replicas, see
:mod:`neardup.pipeline.dask.kernel`); a Dask DataFrame shuffle brings equal partition keys
together; each partition generates candidate pairs by probing chunk values with up to
``f`` flipped bits and verifies them with XOR + popcount; pairs are de-duplicated on the
client. Identical hashes are collapsed before the join and expanded after it, so a
thousand copies of a blank image cost one row, not a million candidate pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from neardup.bits import HashArray, as_hash_array
from neardup.index.base import PairBlock, empty_block
from neardup.pipeline.dask import require_dask
from neardup.pipeline.dask.kernel import (
    JoinPlan,
    emit_rows,
    empty_pairs,
    empty_rows,
    partition_pairs,
    plan_join,
)

#: Input rows per Dask partition before the shuffle.
INPUT_ROWS = 200_000


def distributed_pairs(
    hashes: HashArray,
    radius: int,
    client: Any | None = None,
    *,
    target_rows: int = 2_000_000,
    show_progress: bool = False,
) -> PairBlock:
    """All pairs of rows of ``hashes`` within ``radius`` (inclusive), computed with Dask.

    Args:
        hashes: ``(n, words)`` ``uint64`` array.
        radius: Hamming radius.
        client: a ``distributed.Client``; ``None`` uses Dask's default scheduler.
        target_rows: rows per shuffled partition to aim for (memory per task).
        show_progress: show Dask's progress bar while computing.

    Returns:
        One :class:`PairBlock` with ``left < right``, sorted by ``(left, right)``.
    """
    require_dask()
    import dask.dataframe as dd
    import pandas as pd

    arr = as_hash_array(hashes)
    n, words = arr.shape
    if n < 2:
        return empty_block()
    uniq, inverse = np.unique(arr, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    workers = _worker_count(client)
    plan = plan_join(
        words * 64,
        radius,
        uniq.shape[0],
        target_rows=target_rows,
        min_partitions=max(4, 4 * workers),
    )
    frame = pd.DataFrame({"id": np.arange(uniq.shape[0], dtype=np.int64)})
    for w in range(words):
        frame[f"h{w}"] = uniq[:, w]
    ddf = dd.from_pandas(frame, npartitions=max(1, -(-uniq.shape[0] // INPUT_ROWS)), sort=False)
    rows = ddf.map_partitions(emit_rows, plan, words, meta=empty_rows(words))
    shuffled = rows.shuffle(on="pkey", npartitions=plan.partitions)
    pairs = shuffled.map_partitions(partition_pairs, plan, words, meta=empty_pairs())
    found = _compute(pairs, client, show_progress)
    left = found["left"].to_numpy(dtype=np.int64)
    right = found["right"].to_numpy(dtype=np.int64)
    dist = found["distance"].to_numpy(dtype=np.int64)
    # a pair close on several chunks is found in several partitions: keep it once
    _, first = np.unique(left * np.int64(uniq.shape[0]) + right, return_index=True)
    return expand_duplicates(inverse, left[first], right[first], dist[first])


def _worker_count(client: Any | None) -> int:
    if client is None:
        return 1
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # a client that cannot answer is treated as one worker
        return 1


def _compute(collection: Any, client: Any | None, show_progress: bool) -> Any:
    if client is None:
        return collection.compute()
    future = client.compute(collection)
    if show_progress:
        from distributed import progress

        progress(future)
    return future.result()


def expand_duplicates(
    inverse: NDArray[np.int64],
    left: NDArray[np.int64],
    right: NDArray[np.int64],
    dist: NDArray[np.int64],
) -> PairBlock:
    """Map pairs of distinct hashes back to rows, adding pairs among identical rows."""
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    a_parts: list[NDArray[np.int64]] = []
    b_parts: list[NDArray[np.int64]] = []
    d_parts: list[NDArray[np.int64]] = []
    # pairs between distinct hashes: every member of one with every member of the other
    single = (counts[left] == 1) & (counts[right] == 1)
    a_parts.append(order[starts[left[single]]])
    b_parts.append(order[starts[right[single]]])
    d_parts.append(dist[single])
    for u, v, d in zip(
        left[~single].tolist(), right[~single].tolist(), dist[~single].tolist(), strict=True
    ):
        mu = order[starts[u] : starts[u] + counts[u]]
        mv = order[starts[v] : starts[v] + counts[v]]
        aa, bb = np.meshgrid(mu, mv, indexing="ij")
        a_parts.append(aa.ravel())
        b_parts.append(bb.ravel())
        d_parts.append(np.full(aa.size, d, dtype=np.int64))
    # pairs among identical hashes (distance 0)
    for u in np.flatnonzero(counts > 1).tolist():
        members = np.sort(order[starts[u] : starts[u] + counts[u]])
        i, j = np.triu_indices(members.size, k=1)
        a_parts.append(members[i])
        b_parts.append(members[j])
        d_parts.append(np.zeros(i.size, dtype=np.int64))
    a = np.concatenate(a_parts).astype(np.int64)
    b = np.concatenate(b_parts).astype(np.int64)
    d = np.concatenate(d_parts).astype(np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    idx = np.lexsort((hi, lo))
    return PairBlock(lo[idx], hi[idx], d[idx])


__all__ = ["JoinPlan", "distributed_pairs", "expand_duplicates"]
