"""Exact all-pairs search on a Dask cluster: a distributed multi-index join.

Identical hashes are collapsed first (a thousand copies of a blank image cost one row).
The distinct hashes are cut into blocks; one *emit* task per block sends every hash to
its partition on each chunk (plus the replicas the probes need), and one *join* task per
partition runs the local ``mih`` backend's compiled probe-and-verify kernel over it (see
:mod:`neardup.pipeline.dask.kernel`). Each pair is found by exactly one partition; the
client only concatenates and expands the collapsed duplicates back to rows.

Partitions are sized from the workers' memory limit (``MEMORY_SHARE`` of it per
partition, at the measured bytes per row) and there are at least four per worker (up to
``MAX_BALANCE_PARTITIONS``), so tasks balance across the cluster.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import MutableMapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neardup.bits import HashArray, as_hash_array
from neardup.index.base import PairBlock, empty_block
from neardup.index.mih import Distinct
from neardup.pipeline.dask import require_dask
from neardup.pipeline.dask.kernel import (
    DEFAULT_TARGET_ROWS,
    MEMORY_SHARE,
    JoinPlan,
    emit,
    empty_pairs,
    partition_pairs,
    plan_join,
    row_bytes,
)

#: Distinct hashes per emit task.
INPUT_ROWS = 250_000
#: Partitions asked for balance (four per worker) are capped here: every prefix bit adds
#: replicas, so on a large cluster the workers' memory, not balance, sets the count.
MAX_BALANCE_PARTITIONS = 64


def distributed_pairs(
    hashes: HashArray,
    radius: int,
    client: Any | None = None,
    *,
    target_rows: int | None = None,
    kernel: str = "auto",
    show_progress: bool = False,
    stats: MutableMapping[str, Any] | None = None,
) -> PairBlock:
    """All pairs of rows of ``hashes`` within ``radius`` (inclusive), computed with Dask.

    Args:
        hashes: ``(n, words)`` ``uint64`` array.
        radius: Hamming radius.
        client: a ``distributed.Client``; ``None`` uses Dask's default scheduler.
        target_rows: rows per partition to aim for; ``None`` sizes partitions from the
            workers' memory limit.
        kernel: ``auto``, ``numba`` or ``numpy`` (as the ``mih`` backend's option).
        show_progress: show Dask's progress bar while computing.
        stats: filled with the plan, the number of distinct hashes and the seconds of
            the join's steps.

    Returns:
        One :class:`PairBlock` with ``left < right``, sorted by ``(left, right)``.
    """
    require_dask()
    info: MutableMapping[str, Any] = stats if stats is not None else {}
    started = time.perf_counter()
    arr = as_hash_array(hashes)
    n, words = arr.shape
    if n < 2:
        return empty_block()
    distinct = Distinct.of(arr)
    k = int(distinct.hashes.shape[0])
    info["distinct"] = k
    info["collapse_s"] = round(time.perf_counter() - started, 3)
    found = empty_pairs()
    if k >= 2 and radius > 0:
        workers, memory = _workers(client)
        if target_rows is None:
            target_rows = (
                int(memory * MEMORY_SHARE / row_bytes(words)) if memory else DEFAULT_TARGET_ROWS
            )
        plan = plan_join(
            words * 64,
            radius,
            k,
            target_rows=max(1, target_rows),
            min_partitions=min(4 * workers, MAX_BALANCE_PARTITIONS),
            workers=workers,
            kernel=kernel,
        )
        info["plan"] = str(plan)
        info["partitions"] = plan.partitions
        found = _join(distinct.hashes, plan, client, show_progress, info)
    inverse = np.empty(n, dtype=np.int64)
    inverse[distinct.rows] = np.repeat(np.arange(k, dtype=np.int64), distinct.counts)
    out = expand_duplicates(inverse, found[0], found[1], found[2])
    info["total_s"] = round(time.perf_counter() - started, 3)
    return out


def _join(
    uniq: HashArray,
    plan: JoinPlan,
    client: Any | None,
    show_progress: bool,
    info: MutableMapping[str, Any],
) -> NDArray[np.int64]:
    """Emit and join tasks over the distinct hashes ``uniq``; ``(3, k)`` pairs of rows."""
    from dask.base import compute
    from dask.delayed import delayed

    t0 = time.perf_counter()
    token = uuid.uuid4().hex[:12]
    starts = list(range(0, uniq.shape[0], INPUT_ROWS))
    blocks: list[Any] = [np.ascontiguousarray(uniq[s : s + INPUT_ROWS]) for s in starts]
    if client is not None:
        blocks = client.scatter(blocks)
    emitted = [
        delayed(emit, nout=plan.partitions, pure=True)(
            block, first, plan, dask_key_name=f"neardup-emit-{token}-{i}"
        )
        for i, (block, first) in enumerate(zip(blocks, starts, strict=True))
    ]
    joins = [
        delayed(partition_pairs, pure=True)(
            plan, key, *[e[key] for e in emitted], dask_key_name=f"neardup-join-{token}-{key}"
        )
        for key in range(plan.partitions)
    ]
    info["scatter_s"] = round(time.perf_counter() - t0, 3)
    t1 = time.perf_counter()
    if client is None:
        results = list(compute(*joins))
    else:
        futures = client.compute(joins)
        if show_progress:
            from distributed import progress

            progress(futures)
        results = client.gather(futures)
    info["join_s"] = round(time.perf_counter() - t1, 3)
    parts = [r for r in results if r.shape[1]]
    return np.concatenate(parts, axis=1) if parts else empty_pairs()


def _workers(client: Any | None) -> tuple[int, int]:
    """Number of workers and the smallest worker memory limit in bytes (0: unknown)."""
    if client is None:
        return 1, 0
    try:
        count = len(client.nthreads())
        workers = client.scheduler_info().get("workers", {})
    except Exception:  # a client that cannot answer is treated as one worker
        return 1, 0
    limits = [int(w.get("memory_limit") or 0) for w in workers.values()]
    return max(1, count), min((x for x in limits if x > 0), default=0)


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
