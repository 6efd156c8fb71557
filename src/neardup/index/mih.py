"""Multi-index hashing (``mih``): exact all-pairs search that scales to millions of hashes.

How :meth:`MIHIndex.pairs` works:

1. Exact duplicates collapse first (``np.unique``): identical hashes become one *distinct*
   item, so a folder with 50 000 blank images costs one item, not 50 000² comparisons.
   Their distance-0 pairs are streamed out directly.
2. Each distinct hash is split into ``m`` chunks with thresholds ``t_i`` chosen by
   :func:`neardup.index.mih_plan.choose_plan` so that every pair within the radius differs
   in at most ``t_i`` bits in some chunk (generalised pigeonhole: exact, never approximate).
3. Per chunk, items are sorted by chunk value and a bucket table maps each value to its
   run of items. Every item probes the buckets of its chunk value XOR each flip pattern of
   weight ``<= t_i``; a pattern is only probed from the item whose chunk has a 0 in the
   pattern's highest bit, so each unordered pair is generated once per chunk.
4. Candidates are verified with XOR + popcount over the whole hash. A pair that also
   passes the filter of an *earlier* chunk is dropped there, so no pair is reported twice
   and no global de-duplication (sort of all candidates) is needed.
5. Work is split into (chunk, item range) tasks run on a thread pool (the compiled kernel
   and large numpy operations release the GIL); pairs stream out in bounded
   :class:`PairBlock` s.

The compiled kernel (numba, ``pip install neardup[fast]``) is used when importable; the
pure-numpy path returns identical pairs. :meth:`MIHIndex.query` is a vectorised linear
scan (one query is cheap; the join is where the index pays off).
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from neardup.bits import HashArray
from neardup.errors import IndexOptionError, install_hint
from neardup.index.base import BaseIndex, IndexOption, PairBlock
from neardup.index.brute import BruteIndex
from neardup.index.mih_plan import (
    ChunkTable,
    Int64Array,
    Once,
    Plan,
    ScanJob,
    U64Array,
    choose_kernel,
    choose_plan,
    extract_chunk,
    flip_patterns,
    high_bits,
    uses_table,
)

KERNELS = ("auto", "numba", "numpy")


def numba_available() -> bool:
    """True when the compiled kernel can be used (``pip install neardup[fast]``).

    Checked without importing numba, which takes about a second.
    """
    return importlib.util.find_spec("numba") is not None


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(slots=True)
class Distinct:
    """Distinct hashes and how rows map onto them."""

    hashes: HashArray  # (k, words), sorted
    first: Int64Array  # a row of each distinct hash (the smallest)
    counts: Int64Array  # rows per distinct hash
    rows: Int64Array  # all rows, grouped by distinct hash, ascending within a group
    starts: Int64Array  # offset of each group in ``rows``

    @classmethod
    def of(cls, hashes: HashArray) -> Distinct:
        n = hashes.shape[0]
        if n == 0:
            z = np.empty(0, dtype=np.int64)
            return cls(hashes, z, z.copy(), z.copy(), z.copy())
        order = np.lexsort(hashes.T[::-1]).astype(np.int64)  # word 0 is the primary key
        ordered = hashes[order]
        new = np.ones(n, dtype=bool)
        new[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
        starts = np.flatnonzero(new).astype(np.int64)
        counts = np.diff(np.append(starts, n)).astype(np.int64)
        return cls(np.ascontiguousarray(ordered[starts]), order[starts], counts, order, starts)

    @property
    def has_duplicates(self) -> bool:
        return bool(self.counts.size) and int(self.counts.max()) > 1


def expand_ranges(
    starts: Int64Array, counts: Int64Array, budget: int
) -> Iterator[tuple[Int64Array, Int64Array]]:
    """For ranges ``[starts[q], starts[q] + counts[q])`` yield ``(q, position)`` pairs.

    Yields them in pieces of at most ``budget`` entries (a single range may span pieces),
    without a Python loop per range.

    >>> [(q.tolist(), p.tolist()) for q, p in expand_ranges(np.array([5, 0]), np.array([2, 3]), 4)]
    [([0, 0, 1, 1], [5, 6, 0, 1]), ([1], [2])]
    """
    if counts.size == 0:
        return
    ends = np.cumsum(counts)
    begins = ends - counts
    total = int(ends[-1])
    g0 = 0
    while g0 < total:
        g1 = min(total, g0 + budget)
        qa = int(np.searchsorted(ends, g0, side="right"))
        qb = int(np.searchsorted(ends, g1 - 1, side="right"))
        lo = np.maximum(begins[qa : qb + 1], g0)
        hi = np.minimum(ends[qa : qb + 1], g1)
        q = np.repeat(np.arange(qa, qb + 1, dtype=np.int64), hi - lo)
        pos = starts[q] + (np.arange(g0, g1, dtype=np.int64) - begins[q])
        yield q, pos
        g0 = g1


class MIHIndex(BaseIndex):
    """Exact multi-index hashing; pigeonhole-split chunks probed with bounded bit flips."""

    name: ClassVar[str] = "mih"
    exact: ClassVar[bool] = True
    options: ClassVar[dict[str, IndexOption]] = {
        "chunks": IndexOption(int, 0, "number of chunks (0: chosen from N and the radius)"),
        "kernel": IndexOption(str, "auto", "auto, numba (compiled) or numpy"),
        "workers": IndexOption(int, 0, "threads (0: every available core)"),
        "block_pairs": IndexOption(int, 1_000_000, "pairs per yielded block (bounds memory)"),
    }

    def _setup(self) -> None:
        kernel = str(self.opts["kernel"]).lower()
        if kernel not in KERNELS:
            raise IndexOptionError(f"index 'mih' option 'kernel' must be one of {KERNELS}")
        if kernel == "numba" and not numba_available():
            raise IndexOptionError(
                "index 'mih' kernel 'numba' needs numba: " + install_hint("fast")
            )
        if kernel == "auto" and not numba_available():
            kernel = "numpy"
        self.kernel_option = kernel
        self.kernel = kernel  # "auto" is resolved per radius in pairs()
        self.workers = int(self.opts["workers"]) or default_workers()
        self.block_pairs = max(1, int(self.opts["block_pairs"]))
        self.distinct = Distinct.of(self.hashes)
        self.last_plan: Plan | None = None
        self.summary = ""  # kernel and plan of the last pairs() call, for benchmarks

    # one query is a vectorised linear scan, exactly as in brute force
    query = BruteIndex.query

    def plan(self, radius: int) -> tuple[str, Plan]:
        """The kernel and chunk layout :meth:`pairs` uses for ``radius`` over these hashes."""
        k = self.distinct.hashes.shape[0]
        chunks = int(self.opts["chunks"])
        kernel = self.kernel_option
        if kernel == "auto":
            kernel = choose_kernel(k, self.bits, radius, self.workers, chunks)
        return kernel, choose_plan(k, self.bits, radius, chunks, kernel)

    def pairs(self, radius: int) -> Iterator[PairBlock]:
        r = self.check_radius(radius)
        d = self.distinct
        if d.has_duplicates:
            yield from self._duplicate_pairs()
        k = d.hashes.shape[0]
        if k < 2 or r == 0:
            return
        self.kernel, plan = self.plan(r)
        self.last_plan = plan
        self.summary = f"{self.kernel} kernel, {plan}"
        chunks = np.stack(
            [extract_chunk(d.hashes, s, w) for s, w in zip(plan.starts, plan.widths, strict=True)]
        )
        thresholds = np.asarray(plan.thresholds, dtype=np.int64)
        for block in _run_tasks(self._tasks(plan, chunks, thresholds, r), self.workers):
            yield from self._to_rows(block)

    # -- work ---------------------------------------------------------------------------
    def _tasks(
        self, plan: Plan, chunks: U64Array, thresholds: Int64Array, r: int
    ) -> Iterator[Iterator[PairBlock]]:
        k = chunks.shape[1]
        pieces = max(1, min(4 * self.workers, k // 2048))
        bounds = np.linspace(0, k, pieces + 1).astype(np.int64)
        for i, width in enumerate(plan.widths):
            t = plan.thresholds[i]
            if t < 0:
                continue
            # Built by the first task that needs it, on a worker thread: while one thread
            # sorts the next chunk, the other still scans the previous one.
            table = Once(
                functools.partial(chunk_table, i, t, width, chunks[i], self.distinct.hashes)
            )
            for lo, hi in itertools.pairwise(bounds):
                if hi > lo:
                    yield self._scan_lazily(table, chunks, thresholds, r, int(lo), int(hi))

    def _scan_lazily(
        self,
        table: Once[ChunkTable],
        chunks: U64Array,
        thresholds: Int64Array,
        r: int,
        lo: int,
        hi: int,
    ) -> Iterator[PairBlock]:
        job = ScanJob(table.get(), chunks, thresholds, r, lo, hi, self.block_pairs)
        yield from self._scan(job)

    def _scan(self, job: ScanJob) -> Iterator[PairBlock]:
        return scan_job(job, self.kernel)

    # -- rows ---------------------------------------------------------------------------
    def _duplicate_pairs(self) -> Iterator[PairBlock]:
        """Distance-0 pairs among rows of identical hashes, in bounded blocks."""
        d = self.distinct
        dup = np.flatnonzero(d.counts > 1)
        # every member of a group pairs with the members after it
        group_of = np.repeat(dup, d.counts[dup])
        pos = (
            np.arange(group_of.size, dtype=np.int64)
            - np.repeat(np.cumsum(d.counts[dup]) - d.counts[dup], d.counts[dup])
            + d.starts[group_of]
        )
        ends = d.starts[group_of] + d.counts[group_of]
        for q, partner in expand_ranges(pos + 1, ends - pos - 1, self.block_pairs):
            a = d.rows[pos[q]]
            b = d.rows[partner]
            yield _ordered(a, b, np.zeros(a.size, dtype=np.int64))

    def _to_rows(self, block: PairBlock) -> Iterator[PairBlock]:
        """Map pairs of distinct hashes to pairs of rows (every row of each hash)."""
        d = self.distinct
        if not d.has_duplicates:
            yield _ordered(d.first[block.left], d.first[block.right], block.distance)
            return
        cu, cv = d.counts[block.left], d.counts[block.right]
        combos = cu * cv
        for q, c in expand_ranges(np.zeros_like(combos), combos, self.block_pairs):
            u, v = block.left[q], block.right[q]
            a = d.rows[d.starts[u] + c // cv[q]]
            b = d.rows[d.starts[v] + c % cv[q]]
            yield _ordered(a, b, block.distance[q])


def _ordered(a: Int64Array, b: Int64Array, dist: Int64Array) -> PairBlock:
    return PairBlock(np.minimum(a, b), np.maximum(a, b), dist.astype(np.int64, copy=False))


def scan_job(job: ScanJob, kernel: str) -> Iterator[PairBlock]:
    """Pairs of one job (pairs of item numbers of ``job.table.order``) by ``kernel``.

    The distributed join runs this same kernel on each of its partitions.
    """
    if kernel == "numba":
        from neardup.index.mih_numba import scan_chunk

        return scan_chunk(job)
    return _scan_numpy(job)


def chunk_table(
    index: int, threshold: int, width: int, values: U64Array, hashes: HashArray
) -> ChunkTable:
    """Items of chunk ``index`` sorted by their chunk ``values``, with bucket offsets."""
    ivals = values.astype(np.int64)
    order = np.argsort(ivals, kind="stable").astype(np.int64)
    svals = ivals[order]
    table: Int64Array | None = None
    if uses_table(width, values.size):
        counts = np.bincount(svals, minlength=1 << width)
        table = np.zeros((1 << width) + 1, dtype=np.int64)
        np.cumsum(counts, out=table[1:])
    patterns = flip_patterns(width, threshold)
    highbits = high_bits(patterns)
    by_high = np.argsort(highbits, kind="stable")
    return ChunkTable(
        index,
        threshold,
        order,
        svals,
        table,
        patterns[by_high].astype(np.int64),
        highbits[by_high].astype(np.int64),
        np.ascontiguousarray(hashes[order]),
    )


_UNROLL = 8  # bucket offsets handled column by column before falling back to expansion
_BATCH = 1 << 16  # probes / candidates per numpy operation: temporaries stay in cache


def _scan_numpy(job: ScanJob) -> Iterator[PairBlock]:
    """Pure-numpy scan of one job, vectorised per pattern group.

    Work happens on positions in the chunk's sorted order, where a bucket's hashes are
    contiguous; rows are looked up only for the few candidates that pass verification.
    """
    table, chunks, thresholds, r = job.table, job.chunks, job.thresholds, job.radius
    lo, hi, block_pairs = job.lo, job.hi, job.block_pairs
    budget = _BATCH
    columns = [np.ascontiguousarray(table.hashes[:, w]) for w in range(table.hashes.shape[1])]
    positions = np.arange(lo, hi, dtype=np.int64)
    vals = table.values[lo:hi]
    found = _Collector(block_pairs)

    def runs(xp: Int64Array, start: Int64Array, count: Int64Array) -> Iterator[PairBlock]:
        """Verify item positions ``xp`` against bucket runs ``[start, start + count)``."""
        live = np.flatnonzero(count > 0)
        xp, start, count = xp[live], start[live], count[live]
        for j in range(_UNROLL):
            if not xp.size:
                return
            block = _verify(columns, table, chunks, thresholds, r, xp, start + j)
            yield from found.add(block)
            more = np.flatnonzero(count > j + 1)
            if more.size < xp.size:
                xp, start, count = xp[more], start[more], count[more]
        for q, yp in expand_ranges(start + _UNROLL, count - _UNROLL, budget):
            yield from found.add(_verify(columns, table, chunks, thresholds, r, xp[q], yp))

    # pattern 0: pairs inside the item's own bucket, with later items only
    _, stop = table.bucket(vals)
    yield from runs(positions, positions + 1, stop - positions - 1)
    for high, pats in table.pattern_groups():
        sel = np.flatnonzero((vals & high) == 0)
        if not sel.size:
            continue
        vsel = vals[sel]
        step = max(1, budget // sel.size)
        for p0 in range(0, pats.size, step):
            probe = (vsel[None, :] ^ pats[p0 : p0 + step, None]).ravel()
            start, stop = table.bucket(probe)
            hit = np.flatnonzero(stop > start)
            if hit.size:
                xp = positions[sel[hit % sel.size]]
                yield from runs(xp, start[hit], stop[hit] - start[hit])
    yield from found.flush()


def _verify(
    columns: list[U64Array],
    table: ChunkTable,
    chunks: U64Array,
    thresholds: Int64Array,
    r: int,
    xp: Int64Array,
    yp: Int64Array,
) -> PairBlock:
    """Keep candidates (sorted positions) within ``r`` that no earlier chunk's filter admits."""
    dist = np.bitwise_count(columns[0][xp] ^ columns[0][yp]).astype(np.int64)
    for col in columns[1:]:
        dist += np.bitwise_count(col[xp] ^ col[yp])
    keep = np.flatnonzero(dist <= r)
    x, y, dist = table.order[xp[keep]], table.order[yp[keep]], dist[keep]
    for j in range(table.index):
        if thresholds[j] >= 0 and x.size:
            first = np.bitwise_count(chunks[j, x] ^ chunks[j, y]) > thresholds[j]
            x, y, dist = x[first], y[first], dist[first]
    return _ordered(x, y, dist)


class _Collector:
    """Concatenates small verified blocks into blocks of about ``size`` pairs."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.parts: list[PairBlock] = []
        self.count = 0

    def add(self, block: PairBlock) -> Iterator[PairBlock]:
        if len(block):
            self.parts.append(block)
            self.count += len(block)
        if self.count >= self.size:
            yield from self.flush()

    def flush(self) -> Iterator[PairBlock]:
        if self.parts:
            parts, self.parts, self.count = self.parts, [], 0
            yield PairBlock(*(np.concatenate(col) for col in zip(*parts, strict=True)))


def _step(gen: Iterator[PairBlock]) -> PairBlock | None:
    return next(gen, None)


def _run_tasks(tasks: Iterator[Iterator[PairBlock]], workers: int) -> Iterator[PairBlock]:
    """Advance block generators on ``workers`` threads; yield blocks as they complete.

    At most ``workers`` generators are in flight, each holding at most one block besides
    the one being yielded, so memory stays bounded whatever the number of pairs. Whichever
    finishes first is followed up at once (a thread never waits for a slower one).
    """
    if workers <= 1:
        for gen in tasks:
            yield from gen
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mih") as pool:
        running: dict[Future[PairBlock | None], Iterator[PairBlock]] = {}

        def start(gen: Iterator[PairBlock] | None) -> None:
            if gen is not None:
                running[pool.submit(_step, gen)] = gen

        try:
            for _ in range(workers):
                start(next(tasks, None))
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    gen = running.pop(future)
                    block = future.result()
                    if block is None:
                        start(next(tasks, None))
                    else:  # resume it before handing the block on
                        start(gen)
                        yield block
        finally:
            for future in running:
                future.cancel()
