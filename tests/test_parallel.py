"""Hashing in worker processes: same results as in-process, crash isolation, prompt stop."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

import pytest
from PIL import Image

from neardup.api import scan
from neardup.errors import UsageError
from neardup.hashing.core import hash_file
from neardup.model import HashOutcome, HashSpec, ImageRecord, Skipped
from neardup.pipeline.batch import crashed, hash_files
from neardup.pipeline.workers import (
    MAX_CHUNK,
    _Costs,
    _next_chunk,
    chunk_size,
    map_chunks,
    map_files,
    resolve_jobs,
    run_in_workers,
    worker_pool,
    worth_workers,
)
from tests.conftest import ODD, photo


def test_workers_give_the_same_outcomes_as_one_process(photo_paths: list[Path]) -> None:
    paths = [str(p) for p in photo_paths] + [str(p) for p in sorted(ODD.glob("*.*"))]
    serial = {o.path: o for o in hash_files(paths, jobs=1)}
    parallel = list(hash_files(paths, jobs=2))
    assert len(parallel) == len(paths)
    assert {o.path: o for o in parallel} == serial
    assert any(isinstance(o, Skipped) for o in parallel)


def test_scan_result_does_not_depend_on_the_number_of_jobs(planted_library: Path) -> None:
    one = scan([planted_library], jobs=1)
    two = scan([planted_library], jobs=2)
    assert one.records == two.records  # same records in the same (discovery) order
    assert [g.members for g in one.groups] == [g.members for g in two.groups]
    assert one.settings.hash_mode == "fast" and one.groups


def _crash_on_marked_file(path: str) -> HashOutcome:
    """A per-file function that dies like a segfaulting decoder on files named *crash*."""
    if "crash" in Path(path).name:
        os.kill(os.getpid(), signal.SIGKILL)
    return hash_file(path, HashSpec(), max_pixels=10**8)


def test_a_crashing_decoder_costs_only_its_own_file(tmp_path: Path) -> None:
    src = ODD / "exif_base.jpg"
    paths = []
    for k in range(24):
        name = "crash.jpg" if k == 17 else f"ok{k:02}.jpg"
        shutil.copy(src, tmp_path / name)
        paths.append(str(tmp_path / name))
    outcomes = [
        o for _, o in run_in_workers(paths, _crash_on_marked_file, jobs=2, on_crash=crashed)
    ]
    assert sorted(o.path for o in outcomes) == sorted(paths)
    bad = [o for o in outcomes if isinstance(o, Skipped)]
    assert [(Path(o.path).name, o.reason) for o in bad] == [("crash.jpg", "corrupt")]
    assert "crashed" in bad[0].detail
    assert all(isinstance(o, ImageRecord) for o in outcomes if o not in bad)


def test_closing_the_generator_stops_the_workers(photo_paths: list[Path]) -> None:
    paths = [str(p) for p in photo_paths] * 2
    gen = hash_files(paths, jobs=2)
    first = next(gen)
    assert isinstance(first, ImageRecord)
    assert multiprocessing.active_children()
    gen.close()
    deadline = time.monotonic() + 60  # a bound against hanging, not a timing check
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not multiprocessing.active_children()


def _pids_of(items: list[int]) -> list[tuple[int, int]]:
    return [(k * 2, os.getpid()) for k in items]


def test_chunks_run_on_the_scan_pool_in_order() -> None:
    """Work in chunks (verification's one-by-one comparisons) goes to the scan's running
    workers, results in order; with no pool running it is left to the caller."""
    items = list(range(10))
    assert map_chunks(items, _pids_of) is None
    with worker_pool(2) as pool:
        assert pool is not None
        assert map_chunks(items, _pids_of) is None  # not started: not started for this
        pool.start()
        got = map_chunks(items, _pids_of)
    assert got is not None and [v for v, _ in got] == [2 * k for k in items]
    assert os.getpid() not in {pid for _, pid in got}


def test_job_counts() -> None:
    assert resolve_jobs(None) == resolve_jobs(0) >= 1
    assert resolve_jobs(3) == 3
    with pytest.raises(UsageError, match="--jobs"):
        resolve_jobs(-1)
    assert chunk_size(5, 2) == 1 and chunk_size(10_000, 2) == 64
    assert not worth_workers([str(ODD / "exif_base.jpg")] * 10)
    assert worth_workers([str(ODD / "exif_base.jpg")] * 200)


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        for k in map(int, kids):
            found.add(k)
            todo.append(k)
    return found


def _interrupt_a_parallel_scan(tmp_path: Path) -> tuple[int, str, float, list[int]]:
    """Ctrl-C a two-worker scan in a real process group while it hashes.

    Returns its exit code, its stderr, the seconds from the signal to its exit, and the
    workers still alive (not zombies) half a second later."""
    big = tmp_path / "big.jpg"
    with Image.open(photo(2)) as im:
        im.convert("RGB").resize((3000, 2000)).save(big, quality=85)
    folder = tmp_path / "many"
    folder.mkdir()
    for k in range(400):
        os.link(big, folder / f"{k:03}.jpg")
    proc = subprocess.Popen(
        [sys.executable, "-m", "neardup", "scan", str(folder), "--jobs", "2", "--no-save"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_descendants(proc.pid)) < 3:  # forkserver + 2 workers are up
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.5)  # let them hash for a moment
        assert proc.poll() is None, "the scan finished before it could be interrupted"
        workers = _descendants(proc.pid)
        sent = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        _out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    time.sleep(0.5)
    alive = [
        w
        for w in workers
        if Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]
    ]
    return proc.returncode, err, took, alive


needs_proc_tasks = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")


@needs_proc_tasks
def test_ctrl_c_stops_a_parallel_scan(tmp_path: Path) -> None:
    code, err, _took, alive = _interrupt_a_parallel_scan(tmp_path)
    assert code == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert alive == []


@needs_proc_tasks
@pytest.mark.slow
def test_ctrl_c_stops_a_parallel_scan_at_once(tmp_path: Path) -> None:
    """The same, timed: "within a second", with room for a loaded test machine."""
    code, err, took, alive = _interrupt_a_parallel_scan(tmp_path)
    assert code == 130, err
    assert took < 3.0, took
    assert alive == []


@pytest.mark.slow
def test_workers_that_cannot_start_fall_back_to_this_process(photo_paths: list[Path]) -> None:
    """A script read from stdin cannot be re-imported by a worker: hashing still completes."""
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "from neardup.pipeline.batch import hash_files\n"
        "paths = sys.argv[1:]\n"
        "out = list(hash_files(paths, jobs=2))\n"
        "print(len(out), len({o.path for o in out}))\n"
    )
    paths = [str(p) for p in photo_paths] * 6  # enough files to be worth workers
    assert worth_workers(paths)
    res = subprocess.run(
        [sys.executable, "-", *paths],
        input=script,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == [str(len(paths)), str(len(photo_paths))]
    assert "worker processes could not start; working in this process instead" in res.stderr


def _pid_of_worker(_path: str) -> int:
    time.sleep(0.01)  # long enough that the workers, once started, take part
    return os.getpid()


def test_one_pool_serves_every_stage_of_a_scan(tmp_path: Path) -> None:
    paths = []
    for k in range(120):
        (tmp_path / f"{k:03}.bin").write_bytes(b"x" * (k + 1) * 100)
        paths.append(str(tmp_path / f"{k:03}.bin"))
    with worker_pool(2) as pool:
        assert pool is not None
        first = {pid for _, pid in map_files(paths, _pid_of_worker, jobs=2, on_crash=os.getpid)}
        second = {pid for _, pid in map_files(paths, _pid_of_worker, jobs=2, on_crash=os.getpid)}
    workers = first - {os.getpid()}
    assert len(workers) == 2  # the workers took part in the first stage ...
    assert second - {os.getpid()} <= workers  # ... and the same ones served the second
    assert not multiprocessing.active_children()  # stopped when the scan ended


def test_chunks_follow_the_measured_cost() -> None:
    costs = _Costs([50_000_000] + [1_000_000] * 2000)
    todo = deque(range(2001))
    assert _next_chunk(todo, costs, 2) == [0]  # a large file alone (about 0.75 s)
    before = len(_next_chunk(todo, costs, 2))  # about 0.25 s of 1 MB files
    assert 5 < before < 30
    costs.measured(list(range(1, 1 + before)), 0.025)  # ten times cheaper than estimated
    assert len(_next_chunk(todo, costs, 2)) > 2 * before
    while len(todo) > 3:
        _next_chunk(todo, costs, 2)
    assert len(_next_chunk(todo, costs, 2)) == 1  # at the very end: one file at a time
    assert len(todo) == 2 and max(before, MAX_CHUNK) == MAX_CHUNK
