"""One pool of worker processes for every per-file stage: hashing, views, evaluation.

:func:`map_files` runs a picklable per-file function over many paths and yields
``(path, result)`` as results arrive. Small jobs run in this process; larger ones in
workers that each take a chunk of paths, so a caller (a progress bar, a catalog) sees every
result as soon as it exists. Workers ignore SIGINT: on Ctrl-C the parent alone gets
``KeyboardInterrupt`` and terminates them, so the interrupt is handled within a fraction of
a second and prints no worker tracebacks. A worker killed by a crashing decoder (a segfault
in a C library) breaks the pool; the unfinished chunks are then retried one file at a time
in a fresh pool and the file that crashes alone is reported through ``on_crash``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import Final, TypeVar

from neardup.errors import UsageError, WorkerError

T = TypeVar("T")

#: Largest number of files one worker task hashes; small enough to keep the progress bar
#: lively and the load balanced, large enough that inter-process traffic stays negligible.
MAX_CHUNK: Final = 32
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


def worth_workers(paths: Sequence[str]) -> bool:
    """Whether starting worker processes pays off: many files, or a few large ones.

    Starting workers costs a fraction of a second; a small photo hashes in a few
    milliseconds, a 12-megapixel JPEG in about 15.
    """
    if len(paths) >= MIN_FILES_FOR_WORKERS:
        return True
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += os.stat(path).st_size
    return total >= MIN_BYTES_FOR_WORKERS


def chunk_size(files: int, jobs: int) -> int:
    """Files per task: about eight tasks per worker, at most :data:`MAX_CHUNK`.

    >>> chunk_size(10, 2), chunk_size(1000, 2), chunk_size(100_000, 8)
    (1, 32, 32)
    """
    return max(1, min(MAX_CHUNK, files // (jobs * 8)))


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
    (:func:`worth_workers`); a count uses that many. A file that crashes its worker alone
    gives ``on_crash(path)``. When workers cannot start at all (a script read from stdin
    cannot be re-imported), the rest runs in this process with a warning.
    """
    path_list = list(paths)
    workers = min(resolve_jobs(jobs), len(path_list))
    automatic = not jobs  # None or 0: workers only where they pay off
    done: set[str] = set()
    if workers > 1 and not (automatic and not worth_workers(path_list)):
        try:
            for path, result in run_in_workers(path_list, one, jobs=workers, on_crash=on_crash):
                done.add(path)
                yield path, result
            return
        except WorkerError as exc:
            _log.warning("%s; working in this process instead", exc)
    for path in path_list:
        if path not in done:
            yield path, one(path)


def run_in_workers(
    paths: Sequence[str],
    one: Callable[[str], T],
    *,
    jobs: int,
    on_crash: Callable[[str], T],
) -> Iterator[tuple[str, T]]:
    """Run ``one`` over ``paths`` in ``jobs`` processes, yielding ``(path, result)`` in
    completion order (see :func:`map_files`)."""
    work = functools.partial(_apply_chunk, one)
    size = chunk_size(len(paths), jobs)
    pending: deque[tuple[str, ...]] = deque(
        tuple(paths[i : i + size]) for i in range(0, len(paths), size)
    )
    suspects: deque[tuple[str, ...]] = deque()
    while pending:
        lost = yield from _run_pool(work, pending, jobs, jobs * QUEUED_PER_WORKER)
        suspects.extend((path,) for chunk in lost for path in chunk)
        while suspects:  # the pool broke: retry those files one at a time to name the culprit
            for (path,) in (yield from _run_pool(work, suspects, 1, 1)):
                yield path, on_crash(path)


def _apply_chunk(one: Callable[[str], T], chunk: tuple[str, ...]) -> list[tuple[str, T]]:
    """Worker task: ``one`` over a chunk of paths."""
    return [(path, one(path)) for path in chunk]


def _run_pool(
    work: Callable[[tuple[str, ...]], list[tuple[str, T]]],
    pending: deque[tuple[str, ...]],
    jobs: int,
    depth: int,
) -> Generator[tuple[str, T], None, list[tuple[str, ...]]]:
    """Run chunks from ``pending`` (at most ``depth`` at once) until done or the pool breaks.

    Returns (as the generator's value) the chunks lost to a broken pool.
    """
    executor = _start_pool(jobs)
    running: dict[Future[list[tuple[str, T]]], tuple[str, ...]] = {}
    lost: list[tuple[str, ...]] = []
    finished = False
    try:
        while pending or running:
            while pending and not lost and len(running) < depth:
                chunk = pending.popleft()
                try:
                    future = executor.submit(work, chunk)
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
                    outcomes = future.result()
                except BrokenProcessPool:
                    lost.append(chunk)
                    continue
                yield from outcomes
        finished = True
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:  # interrupted or closed early: do not wait for running chunks
            _stop_now(executor)
    return lost


def _start_pool(jobs: int) -> ProcessPoolExecutor:
    """A pool whose workers are known to start (so a later break means a crash on a file)."""
    executor = ProcessPoolExecutor(jobs, mp_context=_context(), initializer=_ignore_sigint)
    try:
        executor.submit(os.getpid).result()
    except BrokenProcessPool:
        executor.shutdown(wait=False, cancel_futures=True)
        raise WorkerError(
            "worker processes could not start", hint="hash in this process with --jobs 1"
        ) from None
    except BaseException:
        _stop_now(executor)
        raise
    return executor


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is the parent's business."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _context() -> BaseContext:
    """``forkserver`` where available: safe with the threads a progress bar runs, and fast."""
    if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["neardup.hashing.core", "neardup.pipeline.workers"])
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
