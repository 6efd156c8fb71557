"""One pool of worker processes for every per-file stage of a scan: hashing, views, evaluation.

:func:`map_files` runs a picklable per-file function over many paths and yields
``(path, result)`` as results arrive. Small jobs run in this process. Larger ones go to a
:class:`WorkerPool`: it starts once (in the background, when a stage first needs it),
lives for the whole scan (:func:`worker_pool`, so a later stage reuses it) and is fed the
largest files first, in chunks sized by the measured cost of the chunks before (about
:data:`CHUNK_SECONDS` of work each, less near the end), so both cores stay busy to the
last file.

Workers ignore SIGINT: on Ctrl-C the parent alone gets ``KeyboardInterrupt`` and terminates
them, so the interrupt is handled within a fraction of a second and prints no worker
tracebacks. A worker killed by a crashing decoder (a segfault in a C library) breaks the
pool; the unfinished chunks are then retried one file at a time in a fresh pool and the
file that crashes alone is reported through ``on_crash``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import Final, TypeVar

from neardup.errors import UsageError, WorkerError

T = TypeVar("T")
A = TypeVar("A")

#: Largest number of files in one worker task.
MAX_CHUNK: Final = 64
#: Seconds of work a chunk aims at: long enough that inter-process traffic stays
#: negligible (a round trip costs well under a millisecond), short enough that the last
#: chunks end together and the progress bar stays lively.
CHUNK_SECONDS: Final = 0.25
#: Until chunks have been timed, a file is estimated at this many seconds per byte of file
#: (a JPEG decoded at reduced scale: about 15 ms per megabyte) ...
SECONDS_PER_BYTE: Final = 15e-9
#: ... plus this many bytes' worth for opening and hashing it, whatever its size.
FIXED_BYTES: Final = 128 * 1024
#: Chunks queued per worker, so a worker never waits for the parent to hand out work.
QUEUED_PER_WORKER: Final = 2
#: Below this many files (and :data:`MIN_BYTES_FOR_WORKERS`), an automatic job count hashes
#: in-process: the first pool of a process waits for the forkserver to import neardup
#: (about half a second), which a couple of hundred small photos do not pay back.
MIN_FILES_FOR_WORKERS: Final = 200
MIN_BYTES_FOR_WORKERS: Final = 128 * 1024 * 1024
#: How often (seconds) the parent wakes up while waiting, so signals are handled promptly.
POLL_SECONDS: Final = 0.2


_log = logging.getLogger(__name__)


def available_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def resolve_jobs(jobs: int | None) -> int:
    """``None`` or ``0`` → every available core; a negative count is a usage error.

    >>> resolve_jobs(3)
    3
    """
    if jobs is None or jobs == 0:
        return available_cores()
    if jobs < 0:
        raise UsageError(f"--jobs must be 0 (all cores) or a positive count, got {jobs}")
    return jobs


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def worth_workers(paths: Sequence[str], sizes: Sequence[int] | None = None) -> bool:
    """Whether starting worker processes pays off: many files, or a few large ones.

    Starting workers costs some CPU time; a small photo hashes in a few milliseconds, a
    12-megapixel JPEG in about 40.
    """
    if len(paths) >= MIN_FILES_FOR_WORKERS:
        return True
    total = sum(sizes) if sizes is not None else sum(_size(p) for p in paths)
    return total >= MIN_BYTES_FOR_WORKERS


def chunk_size(files: int, jobs: int) -> int:
    """Files per task when nothing is known of their cost: about eight tasks per worker,
    at most :data:`MAX_CHUNK`.

    >>> chunk_size(10, 2), chunk_size(1000, 2), chunk_size(100_000, 8)
    (1, 62, 64)
    """
    return max(1, min(MAX_CHUNK, files // (jobs * 8)))


class WorkerPool:
    """Worker processes for one scan: started in the background when first needed, reused
    by every stage, stopped when the scan ends (or at once when it is interrupted)."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._executor: ProcessPoolExecutor | None = None
        self._started = threading.Event()
        self._failed = False
        self._probing: threading.Thread | None = None

    def start(self) -> None:
        """Start the workers without waiting for them (nothing if already started)."""
        if self._executor is not None:
            return
        executor = ProcessPoolExecutor(self.jobs, mp_context=_context(), initializer=_ignore_sigint)
        self._executor, self._failed = executor, False
        self._started.clear()
        self._probing = threading.Thread(
            target=self._probe, args=(executor,), name="neardup-workers", daemon=True
        )
        self._probing.start()

    def _probe(self, executor: ProcessPoolExecutor) -> None:
        """Wait (in a thread) until the workers run, so a later break means a crash."""
        try:
            executor.submit(os.getpid).result()
        except BaseException:  # BrokenProcessPool, or shut down meanwhile
            self._failed = True
        finally:
            self._started.set()

    def executor(self) -> ProcessPoolExecutor:
        """The running executor; waits for the start.

        Raises:
            WorkerError: the workers could not start.
        """
        self.start()
        while not self._started.wait(POLL_SECONDS):
            pass
        if self._failed or self._executor is None:
            self.stop()
            raise WorkerError(
                "worker processes could not start", hint="hash in this process with --jobs 1"
            )
        return self._executor

    def stop(self, *, wait_for_them: bool = False) -> None:
        """Stop the workers (a later :meth:`start` makes new ones)."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if self._probing is not None:  # let it finish starting them, so none is left over
            self._probing.join(timeout=30)
        if wait_for_them:
            executor.shutdown(wait=True)
        else:
            _stop_now(executor)


_ACTIVE: contextvars.ContextVar[WorkerPool | None] = contextvars.ContextVar(
    "neardup_worker_pool", default=None
)


@contextlib.contextmanager
def worker_pool(jobs: int | None) -> Iterator[WorkerPool | None]:
    """Share one :class:`WorkerPool` among every :func:`map_files` call inside the block
    (``None`` with ``jobs`` 1: everything runs in this process). Workers start only when a
    stage needs them and stop when the block ends."""
    count = resolve_jobs(jobs)
    if count <= 1:
        yield None
        return
    pool = WorkerPool(count)
    token = _ACTIVE.set(pool)
    finished = False
    try:
        yield pool
        finished = True
    finally:
        _ACTIVE.reset(token)
        pool.stop(wait_for_them=finished)


def map_files(
    paths: Sequence[str],
    one: Callable[[str], T],
    *,
    jobs: int | None,
    on_crash: Callable[[str], T],
) -> Iterator[tuple[str, T]]:
    """``(path, one(path))`` for every path, in completion order.

    ``one`` must be picklable (a module-level function or a :func:`functools.partial` of
    one). ``jobs``: ``1`` runs in this process, in order; ``None`` or ``0`` uses every
    available core when the work is large enough to pay for starting workers
    (:func:`worth_workers`); a count uses that many. Inside :func:`worker_pool` its pool
    is used. A file that crashes its worker alone gives ``on_crash(path)``. When workers
    cannot start at all (a script read from stdin cannot be re-imported), the rest runs
    in this process with a warning.
    """
    path_list = list(paths)
    workers = min(resolve_jobs(jobs), len(path_list))
    if workers <= 1:
        for path in path_list:
            yield path, one(path)
        return
    sizes = [_size(p) for p in path_list]
    if not jobs and not worth_workers(path_list, sizes):  # automatic: only where it pays
        for path in path_list:
            yield path, one(path)
        return
    shared = _ACTIVE.get()
    if shared is not None:
        yield from _run(shared, path_list, sizes, one, on_crash)
        return
    pool = WorkerPool(workers)
    finished = False
    try:
        yield from _run(pool, path_list, sizes, one, on_crash)
        finished = True
    finally:
        pool.stop(wait_for_them=finished)


def map_chunks(items: Sequence[A], one: Callable[[Sequence[A]], list[T]]) -> list[T] | None:
    """``one`` over ``items`` in chunks, on the scan's running worker pool (one chunk per
    worker), results in order; ``None`` when no pool is running or it broke (the caller
    then does the work itself). ``one`` must be picklable."""
    pool = _ACTIVE.get()
    if pool is None or pool._executor is None or len(items) < 2:
        return None
    try:
        executor = pool.executor()
        size = -(-len(items) // pool.jobs)
        futures = [executor.submit(one, items[k : k + size]) for k in range(0, len(items), size)]
        return [r for f in futures for r in f.result()]
    except (WorkerError, BrokenProcessPool):
        return None


def run_in_workers(
    paths: Sequence[str],
    one: Callable[[str], T],
    *,
    jobs: int,
    on_crash: Callable[[str], T],
) -> Iterator[tuple[str, T]]:
    """Run ``one`` over ``paths`` in ``jobs`` worker processes (however few the files),
    yielding ``(path, result)`` in completion order (see :func:`map_files`)."""
    pool = WorkerPool(jobs)
    finished = False
    try:
        yield from _run(pool, list(paths), [_size(p) for p in paths], one, on_crash)
        finished = True
    finally:
        pool.stop(wait_for_them=finished)


class _Costs:
    """Estimated seconds per file, from its size and the chunks timed so far."""

    def __init__(self, sizes: Sequence[int]) -> None:
        self.units = [s + FIXED_BYTES for s in sizes]
        self.rate = SECONDS_PER_BYTE
        self._seconds = 0.0
        self._units = 0

    def of(self, k: int) -> float:
        return self.units[k] * self.rate

    def measured(self, chunk: Sequence[int], seconds: float) -> None:
        self._seconds += seconds
        self._units += sum(self.units[k] for k in chunk)
        if self._units:
            self.rate = self._seconds / self._units


def _run(
    pool: WorkerPool,
    paths: list[str],
    sizes: Sequence[int],
    one: Callable[[str], T],
    on_crash: Callable[[str], T],
) -> Iterator[tuple[str, T]]:
    """Hash ``paths`` with ``pool``, largest first.

    Nothing is hashed in this process while the workers start: a file whose decoder
    crashes must take down a worker, never the scan."""
    costs = _Costs(sizes)
    # Largest first: the last chunks are small ones, so the workers finish together.
    todo: deque[int] = deque(sorted(range(len(paths)), key=lambda k: -sizes[k]))
    pool.start()
    work = functools.partial(_apply_chunk, one)
    try:
        while todo:
            lost = yield from _feed(pool, work, paths, todo, costs)
            suspects = deque(k for chunk in lost for k in chunk)
            if suspects:  # the pool broke: retry those files one at a time to name the culprit
                pool.stop()
                yield from _isolate(work, paths, suspects, on_crash)
    except WorkerError as exc:
        _log.warning("%s; working in this process instead", exc)
        while todo:
            k = todo.popleft()
            yield paths[k], one(paths[k])


def _apply_chunk(
    one: Callable[[str], T], chunk: tuple[str, ...]
) -> tuple[list[tuple[str, T]], float]:
    """Worker task: ``one`` over a chunk of paths, and the seconds it took."""
    start = time.perf_counter()
    out = [(path, one(path)) for path in chunk]
    return out, time.perf_counter() - start


Work = Callable[[tuple[str, ...]], tuple[list[tuple[str, T]], float]]


def _next_chunk(todo: deque[int], costs: _Costs, jobs: int) -> list[int]:
    """The next files to hand out: about :data:`CHUNK_SECONDS` of work, less near the end
    (a share of what is left per worker), at least one file."""
    left = sum(costs.of(k) for k in todo) if len(todo) < 4 * MAX_CHUNK * jobs else float("inf")
    target = min(CHUNK_SECONDS, left / (jobs * 4))
    chunk = [todo.popleft()]
    spent = costs.of(chunk[0])
    while todo and len(chunk) < MAX_CHUNK and spent + costs.of(todo[0]) <= target:
        spent += costs.of(todo[0])
        chunk.append(todo.popleft())
    return chunk


def _feed(
    pool: WorkerPool,
    work: Work[T],
    paths: list[str],
    todo: deque[int],
    costs: _Costs,
) -> Generator[tuple[str, T], None, list[list[int]]]:
    """Hand chunks from ``todo`` to the pool (:data:`QUEUED_PER_WORKER` per worker in
    flight) until all are done or the pool breaks; returns the chunks lost to a break."""
    executor = pool.executor()
    depth = pool.jobs * QUEUED_PER_WORKER
    running: dict[Future[tuple[list[tuple[str, T]], float]], list[int]] = {}
    lost: list[list[int]] = []
    finished = False
    try:
        while todo or running:
            while todo and not lost and len(running) < depth:
                chunk = _next_chunk(todo, costs, pool.jobs)
                try:
                    future = executor.submit(work, tuple(paths[k] for k in chunk))
                except BrokenProcessPool:
                    lost.append(chunk)
                    break
                running[future] = chunk
            if not running:
                break
            done, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = running.pop(future)
                try:
                    outcomes, seconds = future.result()
                except BrokenProcessPool:
                    lost.append(chunk)
                    continue
                costs.measured(chunk, seconds)
                yield from outcomes
        finished = True
    finally:
        if not finished:  # interrupted or closed early: do not wait for running chunks
            pool.stop()
    return lost


def _isolate(
    work: Work[T], paths: list[str], suspects: deque[int], on_crash: Callable[[str], T]
) -> Iterator[tuple[str, T]]:
    """Run the files of a broken pool's chunks one at a time in a one-worker pool; a file
    that breaks it gives ``on_crash``."""
    single = WorkerPool(1)
    try:
        while suspects:
            k = suspects.popleft()
            try:
                outcomes, _ = single.executor().submit(work, (paths[k],)).result()
            except BrokenProcessPool:
                single.stop()
                yield paths[k], on_crash(paths[k])
                continue
            yield from outcomes
    finally:
        single.stop()


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is the parent's business."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _context() -> BaseContext:
    """``forkserver`` where available: safe with the threads a progress bar runs, and fast."""
    if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["neardup.pipeline.batch"])  # with hashing.core
        return ctx
    return multiprocessing.get_context()  # pragma: no cover - Windows


def _stop_now(executor: ProcessPoolExecutor) -> None:
    """Cancel queued work and terminate the workers without waiting for running chunks."""
    terminate = getattr(executor, "terminate_workers", None)  # Python >= 3.14
    if callable(terminate):  # pragma: no cover - depends on the Python version
        terminate()
        return
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=1.0)
