"""The two steps of the distributed multi-index join, in plain numpy (no Dask here).

The join uses the chunk layout of the local ``mih`` backend
(:func:`neardup.index.mih_plan.choose_plan`): ``m`` chunks with thresholds ``t_i`` such that
two hashes within the radius differ in at most ``t_i`` bits on some chunk. Chunk ``c`` is
cut into ``2^p`` *partitions* by the top ``p`` bits (the *prefix*) of its value.

**Emit** (:func:`emit`, one task per block of input hashes): every hash goes to the
partition of its own prefix on every chunk (a *native* row) and is *replicated* to the
partitions whose prefix differs from its own by a mask ``q`` (``1 <= |q| <= t_c``) whose
highest bit is set in its prefix. ``mih`` finds a pair once, from the member whose chunk
value has a 0 where the flip pattern's highest bit is; that member's partition is exactly
where the rule above sends the other member, so every probe of a native row lands in its
own partition. A partition costs about ``1 + (V(p, t_c) - 1) / 2`` rows per hash.

**Join** (:func:`partition_pairs`, one task per partition): the rows are sorted by chunk
value; the native rows are then one contiguous range (they share the prefix). That range is
scanned by the same probe-and-verify kernel as the local backend
(:func:`neardup.index.mih.scan_job`: numba when installed, numpy otherwise), including its
earlier-chunk filter, so each pair is reported by exactly one partition: no de-duplication
anywhere.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np
from numpy.typing import NDArray

from neardup.index.mih import chunk_table, numba_available, scan_job
from neardup.index.mih_plan import ScanJob, choose_kernel, choose_plan, extract_chunk

#: At most this many prefix bits cut a chunk into partitions.
MAX_TOP_BITS = 12
#: Bytes a partition task holds per row of one hash word, measured with tracemalloc on
#: partitions of 1-4 M rows (pieces + concatenated rows + sorted copy + order + chunk
#: values + table); ``row_bytes`` adds the per-word part.
ROW_BASE_BYTES = 72
ROW_WORD_BYTES = 32
#: Share of a worker's memory limit one partition may use.
MEMORY_SHARE = 0.25
#: Rows per partition when the workers' memory is unknown.
DEFAULT_TARGET_ROWS = 4_000_000
#: Pairs per block inside a partition task.
BLOCK_PAIRS = 1_000_000

Pairs = NDArray[np.int64]  # (3, k): left, right, distance


def row_bytes(words: int) -> int:
    """Memory a partition task needs per row of ``words``-word hashes."""
    return ROW_BASE_BYTES + ROW_WORD_BYTES * words


@dataclass(frozen=True, slots=True)
class JoinPlan:
    """Chunk layout (``mih``'s), prefix bits per chunk and the kernel."""

    bits: int
    radius: int
    starts: tuple[int, ...]
    widths: tuple[int, ...]
    thresholds: tuple[int, ...]
    top_bits: int
    kernel: str = "numpy"

    @property
    def chunks(self) -> int:
        return len(self.widths)

    def prefix_bits(self, c: int) -> int:
        return min(self.top_bits, self.widths[c])

    @property
    def active(self) -> list[int]:
        """Chunks that are probed (``mih`` skips a chunk with threshold -1)."""
        return [c for c, t in enumerate(self.thresholds) if t >= 0]

    @property
    def offsets(self) -> dict[int, int]:
        """First partition number of each active chunk."""
        out: dict[int, int] = {}
        total = 0
        for c in self.active:
            out[c] = total
            total += 1 << self.prefix_bits(c)
        return out

    @property
    def partitions(self) -> int:
        return sum(1 << self.prefix_bits(c) for c in self.active)

    def partition(self, key: int) -> tuple[int, int]:
        """``(chunk, prefix)`` of partition number ``key``."""
        for c, first in self.offsets.items():
            if key < first + (1 << self.prefix_bits(c)):
                return c, key - first
        raise ValueError(f"no partition {key}")

    def replication(self) -> float:
        """Expected rows per hash and chunk (native + replicas), averaged over chunks."""
        active = self.active or [0]
        total = 0.0
        for c in active:
            p, t = self.prefix_bits(c), max(0, self.thresholds[c])
            total += 1 + sum(comb(p, k) for k in range(1, min(p, t) + 1)) / 2
        return total / len(active)

    def partition_rows(self, n: int) -> float:
        """Expected rows of the largest partition for ``n`` distinct random hashes."""
        worst = 0.0
        for c in self.active:
            p, t = self.prefix_bits(c), max(0, self.thresholds[c])
            rep = 1 + sum(comb(p, k) for k in range(1, min(p, t) + 1)) / 2
            worst = max(worst, n * rep / (1 << p))
        return worst

    def __str__(self) -> str:
        parts = [f"{w}b/t{t}" for w, t in zip(self.widths, self.thresholds, strict=True)]
        return (
            f"{self.kernel} kernel, {self.chunks} chunks [{', '.join(parts)}], "
            f"{self.partitions} partitions ({self.top_bits} prefix bits, "
            f"{self.replication():.2f} rows per hash and chunk)"
        )


def plan_join(
    bits: int,
    radius: int,
    n: int,
    *,
    target_rows: int = DEFAULT_TARGET_ROWS,
    min_partitions: int = 4,
    workers: int = 1,
    kernel: str = "auto",
) -> JoinPlan:
    """``mih``'s layout for ``n`` distinct hashes; the fewest prefix bits that keep every
    partition under ``target_rows`` and give at least ``min_partitions`` partitions.

    >>> p = plan_join(64, 10, 1_000_000, min_partitions=8)
    >>> (p.widths, p.thresholds, p.top_bits, p.partitions)
    ((16, 16, 16, 16), (2, 2, 2, 1), 1, 8)
    """
    if kernel == "auto":
        kernel = choose_kernel(max(n, 2), bits, radius, workers)
    mih = choose_plan(max(n, 2), bits, radius, 0, kernel)
    shape = (bits, radius, mih.starts, mih.widths, mih.thresholds)
    smallest = min(min(mih.widths), MAX_TOP_BITS)
    plan = JoinPlan(*shape, 0, kernel)
    for t in range(smallest + 1):
        plan = JoinPlan(*shape, t, kernel)
        if plan.partition_rows(n) <= target_rows and plan.partitions >= min_partitions:
            break
    return plan


def _highest_bit(q: int) -> int:
    return 1 << (q.bit_length() - 1)


def replica_masks(prefix_bits: int, threshold: int) -> list[int]:
    """Non-zero ``prefix_bits``-bit masks of weight ``<= threshold``.

    >>> replica_masks(3, 1)
    [1, 2, 4]
    """
    out: list[int] = []
    for k in range(1, min(prefix_bits, max(0, threshold)) + 1):
        for combo in combinations(range(prefix_bits), k):
            out.append(sum(1 << b for b in combo))
    return out


def emit(block: NDArray[np.uint64], first_id: int, plan: JoinPlan) -> list[NDArray[np.uint64]]:
    """Rows ``(id, hash words...)`` of ``block`` (ids from ``first_id``) per partition.

    Returns one ``(rows, 1 + words)`` ``uint64`` array per partition number.
    """
    hashes = np.ascontiguousarray(block, dtype=np.uint64)
    k, words = hashes.shape
    rows = np.empty((k, 1 + words), dtype=np.uint64)
    rows[:, 0] = np.arange(first_id, first_id + k, dtype=np.uint64)
    rows[:, 1:] = hashes
    dests: list[NDArray[np.int64]] = []
    sources: list[NDArray[np.int64]] = []
    every = np.arange(k, dtype=np.int64)
    for c, base in plan.offsets.items():
        width, p = plan.widths[c], plan.prefix_bits(c)
        values = extract_chunk(hashes, plan.starts[c], width)
        top = (values >> np.uint64(width - p)).astype(np.int64) if p else np.zeros(k, np.int64)
        dests.append(base + top)
        sources.append(every)
        for q in replica_masks(p, plan.thresholds[c]):
            sel = np.flatnonzero(top & _highest_bit(q))
            dests.append(base + (top[sel] ^ q))
            sources.append(sel)
    dest = np.concatenate(dests) if dests else np.empty(0, np.int64)
    src = np.concatenate(sources) if sources else np.empty(0, np.int64)
    order = np.argsort(dest, kind="stable")
    counts = np.bincount(dest, minlength=plan.partitions)
    out = rows[src[order]]
    return np.split(out, np.cumsum(counts)[:-1])


def empty_pairs() -> Pairs:
    return np.empty((3, 0), dtype=np.int64)


def partition_pairs(plan: JoinPlan, key: int, *pieces: NDArray[np.uint64]) -> Pairs:
    """Every pair whose first matching chunk is this partition's, found from its natives.

    ``pieces`` are the partition's rows from every emit task. Returns ``(3, k)`` int64:
    ids ``left < right`` and their Hamming distance.
    """
    parts = [p for p in pieces if p.shape[0]]
    if not parts:
        return empty_pairs()
    rows = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if rows.shape[0] < 2:
        return empty_pairs()
    del parts
    kernel = "numba" if plan.kernel == "numba" and warm_up() else "numpy"
    return _scan_partition(plan, key, rows, kernel)


def _scan_partition(plan: JoinPlan, key: int, rows: NDArray[np.uint64], kernel: str) -> Pairs:
    c, prefix = plan.partition(key)
    ids = rows[:, 0].astype(np.int64)
    hashes = np.ascontiguousarray(rows[:, 1:])
    del rows
    chunks = np.zeros((plan.chunks, hashes.shape[0]), dtype=np.uint64)
    for j in range(c + 1):  # the kernel reads earlier chunks for its filter
        chunks[j] = extract_chunk(hashes, plan.starts[j], plan.widths[j])
    width, p = plan.widths[c], plan.prefix_bits(c)
    table = chunk_table(c, plan.thresholds[c], width, chunks[c], hashes)
    shift = width - p
    lo = int(np.searchsorted(table.values, prefix << shift, side="left"))
    hi = int(np.searchsorted(table.values, (prefix + 1) << shift, side="left"))
    if hi <= lo:
        return empty_pairs()
    thresholds = np.asarray(plan.thresholds, dtype=np.int64)
    job = ScanJob(table, chunks, thresholds, plan.radius, lo, hi, BLOCK_PAIRS)
    found = [blk for blk in scan_job(job, kernel) if len(blk)]
    if not found:
        return empty_pairs()
    left = ids[np.concatenate([blk.left for blk in found])]
    right = ids[np.concatenate([blk.right for blk in found])]
    dist = np.concatenate([blk.distance for blk in found])
    return np.stack([np.minimum(left, right), np.maximum(left, right), dist])


def warm_up() -> bool:
    """Load the compiled kernel in this process (a worker) before the first partition.

    Importing numba and loading the cached kernel takes 1-2 s per process; a ``local``
    cluster does it while it starts (and a long-running cluster once per worker), so the
    join itself runs at the kernel's rate. Thread-safe and done once per process: numba
    must not load the same kernel in two threads at once. Returns whether the compiled
    kernel is there.
    """
    if not numba_available():
        return False
    with _LOADING:
        if not _LOADED:
            hashes = np.arange(64, dtype=np.uint64).reshape(-1, 1) << np.uint64(48)
            rows = np.column_stack([np.arange(64, dtype=np.uint64), hashes])
            plan = JoinPlan(64, 2, (0,), (16,), (1,), 0, "numba")
            _scan_partition(plan, 0, rows, "numba")
            _LOADED.append(True)
    return True


_LOADING = threading.Lock()
_LOADED: list[bool] = []
