"""Hashing in worker processes: chunks, completion order, prompt Ctrl-C, crash isolation.

Each worker hashes a chunk of paths and sends back the outcomes; the parent yields them as
chunks complete, so a caller (a progress bar, a catalog) sees every result as soon as it
exists. Workers ignore SIGINT: on Ctrl-C the parent alone gets ``KeyboardInterrupt`` and
terminates them, so the interrupt is handled within a fraction of a second and prints no
worker tracebacks. A worker killed by a crashing decoder (a segfault in a C library) breaks
the pool; the unfinished chunks are then retried one file at a time in a fresh pool and the
file that crashes alone is reported as skipped.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Final

from neardup.errors import NeardupError, UsageError
from neardup.hashing import HashSpec, hash_file
from neardup.model import HashOutcome, Skipped

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


class WorkerError(NeardupError):
    """Worker processes for parallel hashing could not be started."""


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


def hash_in_workers(
    paths: Sequence[str],
    spec: HashSpec,
    *,
    max_pixels: int,
    compat: bool,
    jobs: int,
    task: ChunkTask | None = None,
) -> Iterator[HashOutcome]:
    """Hash ``paths`` in ``jobs`` processes, yielding outcomes in completion order.

    ``task`` replaces the function a worker runs on each chunk (a test seam).
    """
    work = functools.partial(task or hash_chunk, spec=spec, max_pixels=max_pixels, compat=compat)
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
                yield Skipped(str(Path(path)), "corrupt", "the decoder crashed on this file")


ChunkTask = Callable[..., list[HashOutcome]]


def _run_pool(
    work: Callable[[tuple[str, ...]], list[HashOutcome]],
    pending: deque[tuple[str, ...]],
    jobs: int,
    depth: int,
) -> Generator[HashOutcome, None, list[tuple[str, ...]]]:
    """Run chunks from ``pending`` (at most ``depth`` at once) until done or the pool breaks.

    Returns (as the generator's value) the chunks lost to a broken pool.
    """
    executor = _start_pool(jobs)
    running: dict[Future[list[HashOutcome]], tuple[str, ...]] = {}
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


def hash_chunk(
    paths: tuple[str, ...], *, spec: HashSpec, max_pixels: int, compat: bool, trim: bool = False
) -> list[HashOutcome]:
    return [hash_file(p, spec, max_pixels=max_pixels, compat=compat, trim=trim) for p in paths]


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is the parent's business."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _context() -> BaseContext:
    """``forkserver`` where available: safe with the threads a progress bar runs, and fast."""
    if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["neardup.hashing", "neardup.parallel"])
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
