"""Benchmark every installed backend side by side (``neardup bench``).

Each (backend, size) runs in a fresh Python subprocess, so one backend's memory or
compiled code never helps or hurts another, a hung backend can be killed at the timeout,
and the child's peak RSS is its own. The child loads the hashes, builds the index, streams
all pairs within the radius, writes them to a file and reports its timings and
``getrusage`` peak RSS. The parent then checks every reported pair (true distance within the
radius) and computes recall against the exact answer: the pairs of the reference backend
(``brute`` when it finished, else the first exact backend that did), and separately the
share of planted near-duplicates found.

Synthetic data: uniformly random hashes plus 1 % planted near-duplicates of random rows at
known distances 0 .. radius + 2 (:func:`neardup.testing.planted_hashes`).
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neardup import index as registry
from neardup.bits import HashArray, to_array
from neardup.errors import IndexUnavailable, NeardupError, UsageError, install_hint
from neardup.model import HashSpec, ImageRecord
from neardup.pipeline.batch import hash_files

#: Sizes used by ``neardup bench`` when none are given.
DEFAULT_SIZES = (10_000, 100_000)  # the command line's default --sizes, 10k,100k
STATUSES = ("ok", "timed out", "failed", "unavailable")
_SUFFIX = {"": 1, "k": 1_000, "m": 1_000_000}


def parse_size(text: str) -> int:
    """``"10k"`` → 10 000, ``"1M"`` → 1 000 000, ``"2500"`` → 2500.

    >>> [parse_size(s) for s in ("2k", "1M", "2500", "1.5k")]
    [2000, 1000000, 2500, 1500]
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not m:
        raise UsageError(f"bad size {text!r}: use a number like 2000, 10k or 1M")
    value = int(float(m.group(1)) * _SUFFIX[m.group(2).lower()])
    if value < 2:
        raise UsageError(f"bad size {text!r}: need at least 2 hashes")
    return value


def format_size(n: int) -> str:
    """Short form of a size: ``format_size(100_000) == '100k'``."""
    for suffix, unit in (("M", 1_000_000), ("k", 1_000)):
        if n >= unit and n % unit == 0:
            return f"{n // unit}{suffix}"
    return str(n)


@dataclass
class Dataset:
    """Hashes to benchmark on, with the planted ``(a, b, distance)`` triples if synthetic."""

    name: str
    hashes: HashArray
    planted: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return int(self.hashes.shape[0])


def synthetic(size: int, bits: int = 64, radius: int = 10, seed: int = 0) -> Dataset:
    """``size`` random ``bits``-wide hashes, 1 % of them planted near-duplicates."""
    if bits % 64:
        raise UsageError(f"bits must be a multiple of 64, got {bits}")
    from neardup.testing.data import planted_hashes

    planted = max(1, size // 100)
    hashes, truth = planted_hashes(
        size - planted, bits // 64, planted=planted, max_flip=min(bits, radius + 2), seed=seed
    )
    return Dataset(format_size(size), hashes, truth)


def folder_dataset(path: str | os.PathLike[str], bits: int = 64) -> Dataset:
    """Real hashes (pHash) of the images under ``path``."""
    from neardup.pipeline.discover import discover

    sizes = {64: 8, 256: 16}
    if bits not in sizes:
        raise UsageError(f"--folder needs --bits 64 or 256, got {bits}")
    if not Path(path).is_dir():
        raise UsageError(f"not a folder: {path}")
    spec = HashSpec("phash", sizes[bits])
    found = discover([os.fspath(path)])
    values = [h.hash for h in hash_files(found.images, spec) if isinstance(h, ImageRecord)]
    if len(values) < 2:
        raise UsageError(f"need at least 2 images under {path}, found {len(values)}")
    return Dataset(Path(path).name or os.fspath(path), to_array(values, spec.words))


@dataclass
class BenchResult:
    """One backend on one dataset."""

    backend: str
    dataset: str
    size: int
    bits: int
    radius: int
    status: str  # one of STATUSES
    exact: bool | None = None
    build_s: float | None = None
    pairs_s: float | None = None
    peak_rss_mb: float | None = None
    cpu_s: float | None = None  # CPU seconds of build + pairs (all threads and workers)
    pairs: int | None = None
    recall: float | None = None
    planted_recall: float | None = None
    invalid_pairs: int | None = None
    reference: str | None = None
    detail: str = ""
    # the distributed join's row (``--dask``): its scheduler, workers and their peak memory
    dask: str | None = None
    dask_workers: int | None = None
    dask_peak_worker_mb: float | None = None
    cluster_s: float | None = None

    @property
    def total_s(self) -> float | None:
        if self.build_s is None or self.pairs_s is None:
            return None
        return self.build_s + self.pairs_s

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["total_s"] = self.total_s
        return out


@dataclass
class _Run:
    result: BenchResult
    found: NDArray[np.int64] | None = None  # (k, 3) left, right, distance


def backend_names(wanted: Sequence[str] | None = None) -> list[str]:
    """Installed backends (``None`` or ``["all"]``: every one), validated."""
    names = list(registry.available())
    if not wanted or list(wanted) == ["all"]:
        return names
    unknown = [w for w in wanted if w not in names]
    if unknown:
        raise UsageError(
            f"unknown backend {', '.join(unknown)}; installed: {', '.join(names) or 'none'}"
        )
    return list(dict.fromkeys(wanted))


def run_benchmark(
    datasets: Iterable[Dataset],
    radius: int = 10,
    backends: Sequence[str] | None = None,
    timeout: float = 120.0,
    options: dict[str, dict[str, Any]] | None = None,
    on_result: Callable[[BenchResult], None] | None = None,
    dask: str | None = None,
) -> list[BenchResult]:
    """Run every backend on every dataset, each in its own subprocess.

    A backend that timed out on a smaller dataset is not run on larger ones (reported as
    ``timed out`` with that explanation): it cannot get faster as ``N`` grows. With
    ``dask`` (a ``--dask`` scheduler), the distributed join runs on the same hashes too,
    as one more row: backend ``mih`` (its partitions run ``mih``'s kernel) with
    ``dask_workers`` set.
    """
    if radius < 0:
        raise UsageError(f"radius must be non-negative, got {radius}")
    names = backend_names(backends)
    results: list[BenchResult] = []
    gave_up: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="neardup-bench-") as tmp:
        for ds in sorted(datasets, key=lambda d: d.size):
            hashes_path = Path(tmp) / f"{ds.name}.npy"
            np.save(hashes_path, ds.hashes)
            runs = []
            for name in [*names, *([DASK_ROW] if dask else [])]:
                base = BenchResult(name, ds.name, ds.size, ds.hashes.shape[1] * 64, radius, "ok")
                if name == DASK_ROW:
                    base.backend, base.dask = "mih", dask
                if name in gave_up:
                    base.status = "timed out"
                    base.detail = f"not run: timed out at {gave_up[name]}"
                    runs.append(_Run(base))
                    continue
                run = _run_one(base, hashes_path, Path(tmp), timeout, (options or {}).get(name))
                if run.result.status == "timed out":
                    gave_up[name] = ds.name
                runs.append(run)
            _score(ds, runs)
            for run in runs:
                results.append(run.result)
                if on_result is not None:
                    on_result(run.result)
            hashes_path.unlink()
    return results


#: Internal name of the distributed join's run (its row's backend is ``mih``).
DASK_ROW = "mih@dask"
#: What a child may report, besides its status and detail.
_REPORTED = ("exact", "build_s", "pairs_s", "cpu_s", "peak_rss_mb", "pairs")
_REPORTED_DASK = ("dask_workers", "dask_peak_worker_mb", "cluster_s")


def _run_one(
    result: BenchResult,
    hashes_path: Path,
    tmp: Path,
    timeout: float,
    options: dict[str, Any] | None,
) -> _Run:
    tag = "dask" if result.dask else result.backend
    out = tmp / f"pairs-{tag}-{result.dataset}.npy"
    args = [str(hashes_path), str(result.radius), str(out)]
    cmd = [sys.executable, "-m"] + (
        ["neardup.tools.bench_dask", result.dask, *args]
        if result.dask
        else ["neardup.tools.bench", result.backend, *args, json.dumps(options or {})]
    )
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:  # subprocess.run kills the child
        result.status = "timed out"
        result.detail = f"over {timeout:g} s"
        return _Run(result)
    lines = proc.stdout.strip().splitlines()
    report = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    if proc.returncode != 0 or "status" not in report:
        result.status = "failed"
        err = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        result.detail = err[:200]
        return _Run(result)
    result.status = report["status"]
    result.detail = report.get("detail", "")
    for key in _REPORTED + (_REPORTED_DASK if result.dask else ()):
        setattr(result, key, report.get(key))
    found = np.load(out) if result.status == "ok" else None
    out.unlink(missing_ok=True)
    return _Run(result, found)


def _keys(pairs: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    return np.unique(pairs[:, 0] * n + pairs[:, 1])


def _score(ds: Dataset, runs: list[_Run]) -> None:
    """Validate every reported pair, then recall against the reference exact answer."""
    n, hashes = ds.size, ds.hashes
    for run in runs:
        if run.found is None:
            continue
        left, right, dist = run.found[:, 0], run.found[:, 1], run.found[:, 2]
        true = np.bitwise_count(hashes[left] ^ hashes[right]).sum(axis=1, dtype=np.int64)
        bad = (true != dist) | (true > run.result.radius) | (left >= right)
        run.result.invalid_pairs = int(bad.sum())
    exact_ok = [r for r in runs if r.found is not None and r.result.exact]
    exact_ok.sort(key=lambda r: r.result.backend != "brute")
    ref = exact_ok[0] if exact_ok else None
    truth = _keys(ref.found, n) if ref is not None and ref.found is not None else None
    radius = runs[0].result.radius if runs else 0
    planted = np.array(
        [(min(a, b), max(a, b)) for a, b, d in ds.planted if d <= radius], dtype=np.int64
    ).reshape(-1, 2)
    planted_keys = np.unique(planted[:, 0] * n + planted[:, 1])
    for run in runs:
        if run.found is None:
            continue
        keys = _keys(run.found, n)
        if truth is not None and ref is not None:
            run.result.reference = ref.result.backend
            hit = np.isin(truth, keys).sum()
            run.result.recall = float(hit / truth.size) if truth.size else 1.0
        if ds.planted:
            hit = np.isin(planted_keys, keys).sum()
            run.result.planted_recall = float(hit / planted_keys.size) if planted_keys.size else 1.0


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return {
        "cores": cores,
        "machine": platform.machine(),
        "system": platform.system(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def worker(argv: Sequence[str]) -> int:
    """Child process: ``backend hashes.npy radius out.npy options-json``; prints one JSON line."""
    name, hashes_path, radius_text, out_path, options_json = argv
    radius = int(radius_text)
    hashes = np.load(hashes_path)
    try:
        backend = registry.load(name)
    except IndexUnavailable as exc:
        print(json.dumps({"status": "unavailable", "detail": str(exc)}))
        return 0
    try:
        t0, c0 = time.perf_counter(), cpu_seconds()
        built = backend.build(hashes, **json.loads(options_json))
        t1 = time.perf_counter()
        blocks = [np.column_stack(b) for b in built.pairs(radius) if len(b)]
        t2 = time.perf_counter()
    except NeardupError as exc:
        print(json.dumps({"status": "failed", "detail": str(exc)}))
        return 0
    found = np.concatenate(blocks) if blocks else np.empty((0, 3), dtype=np.int64)
    np.save(out_path, found.astype(np.int64))
    report = {
        "status": "ok",
        "exact": bool(backend.exact),
        "build_s": round(t1 - t0, 4),
        "pairs_s": round(t2 - t1, 4),
        "cpu_s": round(cpu_seconds() - c0, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "pairs": int(found.shape[0]),
        "detail": str(getattr(built, "summary", "") or ""),
    }
    print(json.dumps(report))
    return 0


def plot(results: Sequence[BenchResult], path: str | os.PathLike[str]) -> None:
    """Time (build + all pairs) against N on log-log axes, one line per backend."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("--plot needs matplotlib", hint=install_hint("plot")) from None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, name in enumerate(dict.fromkeys(r.backend for r in results)):
        color = f"C{i % 10}"
        ok = [r for r in results if r.backend == name and r.total_s is not None]
        late = [r for r in results if r.backend == name and r.detail.startswith("over ")]
        if ok:
            ax.plot(
                [r.size for r in ok],
                [r.total_s or 0.0 for r in ok],
                marker="o",
                color=color,
                label=name,
            )
        if late:
            ax.scatter(
                [r.size for r in late],
                [_timeout_of(r) for r in late],
                marker="x",
                color=color,
                label=None if ok else f"{name} (timed out)",
            )
    radius = results[0].radius if results else 0
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="hashes (N)",
        ylabel="seconds (build + all pairs)",
        title=f"all pairs within radius {radius} (x: timed out)",
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        fig.savefig(os.fspath(path), dpi=120)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)


def _timeout_of(result: BenchResult) -> float:
    m = re.search(r"over ([\d.]+) s", result.detail)
    return float(m.group(1)) if m else 1.0


if __name__ == "__main__":
    sys.exit(worker(sys.argv[1:]))
