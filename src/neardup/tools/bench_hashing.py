"""Hashing benchmark: ImageHash against neardup on the same files, and the scaling with jobs.

Used by ``benchmarks/hashing.py``. Everything is measured in one run: the single-process
methods file by file in turn (plus their CPU time, which other processes do not inflate),
the job counts in back-to-back batches, so the ratios hold even on a busy machine where
the absolute numbers do not.
"""

from __future__ import annotations

import collections
import functools
import os
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from neardup.bits import hamming
from neardup.hashing.core import hash_file
from neardup.model import ALGORITHMS, HashSpec, ImageRecord
from neardup.pipeline.batch import crashed
from neardup.pipeline.workers import available_cores, run_in_workers

#: 4000x3000: a 12-megapixel photo, as a phone or compact camera takes them.
TWELVE_MP: tuple[int, int] = (4000, 3000)


def make_large_jpegs(
    sources: Sequence[Path], folder: Path, count: int, size: tuple[int, int] = TWELVE_MP
) -> list[Path]:
    """Write ``count`` JPEGs of ``size`` pixels into ``folder``, upscaled from ``sources``.

    Distinct sources are used in turn; once they run out, later files are hard links
    (or copies) of earlier ones, which costs the decoder just as much.
    """
    folder.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    distinct = min(len(sources), count, 12)
    for k in range(count):
        target = folder / f"large_{k:04}.jpg"
        if not target.exists():
            if k < distinct:
                with Image.open(sources[k]) as im:
                    im.convert("RGB").resize(size, Image.Resampling.BICUBIC).save(
                        target, quality=90
                    )
            else:
                original = made[k % distinct]
                try:
                    os.link(original, target)
                except OSError:
                    target.write_bytes(original.read_bytes())
        made.append(target)
    return made


@dataclass(slots=True)
class Rate:
    """Throughput of one method: wall-clock, and per CPU-second of this process."""

    label: str
    jobs: int
    images: int = 0
    wall: float = 0.0
    cpu: float = 0.0

    @property
    def per_second(self) -> float:
        return self.images / self.wall if self.wall else 0.0

    @property
    def per_cpu_second(self) -> float:
        """Images per CPU-second of the measuring process (single-process methods only)."""
        return self.images / self.cpu if self.cpu else 0.0


@dataclass(slots=True)
class SpeedReport:
    """ImageHash against neardup in one process, and neardup's scaling with jobs.

    ``single`` methods ran file by file in turn (imagehash, compat, fast on file 1, then
    on file 2, ...), so a change of machine load hits them alike. ``scaling`` holds, per
    job count, the ratio of its throughput to one job's in back-to-back runs, one per
    repeat.
    """

    files: list[Path]
    megapixels: float  # mean over the files
    single: dict[str, Rate] = field(default_factory=dict)
    batches: dict[int, Rate] = field(default_factory=dict)
    scaling: dict[int, list[float]] = field(default_factory=dict)

    def ratio(self, method: str, base: str = "imagehash", *, cpu: bool = False) -> float:
        a, b = self.single[method], self.single[base]
        if cpu:
            return a.per_cpu_second / b.per_cpu_second
        return a.per_second / b.per_second

    def median_scaling(self, jobs: int) -> float:
        return statistics.median(self.scaling[jobs])


def _mean_megapixels(paths: Sequence[Path]) -> float:
    total = 0
    for path in paths:
        with Image.open(path) as im:
            total += im.width * im.height
    return total / len(paths) / 1e6


def _imagehash_phash(path: Path) -> None:
    import imagehash

    with Image.open(path) as im:
        imagehash.phash(im)


def _neardup_one(path: Path, compat: bool) -> None:
    if not isinstance(hash_file(path, compat=compat), ImageRecord):
        raise RuntimeError(f"benchmark file could not be hashed: {path}")


def _neardup_batch(paths: Sequence[Path], jobs: int) -> None:
    names = [str(p) for p in paths]
    if jobs == 1:
        outcomes = [hash_file(p) for p in names]
    else:  # always through the workers, whatever hash_files' small-scan shortcut decides
        one = functools.partial(hash_file, spec=HashSpec(), max_pixels=10**9)
        outcomes = [o for _, o in run_in_workers(names, one, jobs=jobs, on_crash=crashed)]
    if not all(isinstance(o, ImageRecord) for o in outcomes):
        raise RuntimeError("a benchmark file could not be hashed")


def measure_speed(
    paths: Sequence[Path],
    *,
    jobs: Iterable[int] | None = None,
    repeat: int = 3,
    compat: bool = True,
    log: Callable[[str], None] | None = None,
) -> SpeedReport:
    """Time ``imagehash.phash`` and neardup on ``paths``; see :class:`SpeedReport`.

    ``jobs`` lists the worker counts whose scaling is measured (default ``1..cores``).
    """
    job_counts = sorted(set(jobs or range(1, available_cores() + 1)) | {1})
    report = SpeedReport(list(paths), _mean_megapixels(paths))
    methods: dict[str, Callable[[Path], None]] = {"imagehash": _imagehash_phash}
    if compat:
        methods["compat"] = lambda p: _neardup_one(p, True)
    methods["fast"] = lambda p: _neardup_one(p, False)
    report.single = {key: Rate(key, 1) for key in methods}
    report.batches = {j: Rate(f"fast-{j}", j) for j in job_counts}
    for r in range(repeat):
        for path in paths:
            for key, run in methods.items():
                wall, cpu = time.perf_counter(), time.process_time()
                run(path)
                rate = report.single[key]
                rate.wall += time.perf_counter() - wall
                rate.cpu += time.process_time() - cpu
                rate.images += 1
        if log:
            log(
                f"  round {r + 1}/{repeat}: "
                + ", ".join(f"{k} {v.per_second:.1f}/s" for k, v in report.single.items())
            )
        seconds: dict[int, float] = {}
        for j in job_counts:
            started = time.perf_counter()
            _neardup_batch(paths, j)
            seconds[j] = time.perf_counter() - started
            batch = report.batches[j]
            batch.wall += seconds[j]
            batch.images += len(paths)
        for j in job_counts[1:]:
            report.scaling.setdefault(j, []).append(seconds[1] / seconds[j])
        if log:
            log(
                f"  round {r + 1}/{repeat}: "
                + ", ".join(f"{j} jobs {len(paths) / seconds[j]:.1f}/s" for j in job_counts)
            )
    return report


def format_speed(report: SpeedReport) -> str:
    """A plain-text summary of a :class:`SpeedReport`."""
    n = len(report.files)
    lines = [
        f"{n} files of {report.megapixels:.1f} MP on average",
        "",
        "one process, file by file in turn:",
        f"  {'method':<20}{'images/s':>10}{'per CPU-s':>11}  vs imagehash (wall, CPU)",
    ]
    names = {"imagehash": "imagehash.phash", "compat": "neardup --compat", "fast": "neardup"}
    for key, rate in report.single.items():
        note = (
            ""
            if key == "imagehash"
            else (f"{report.ratio(key):.1f}x, {report.ratio(key, cpu=True):.1f}x")
        )
        lines.append(
            f"  {names[key]:<20}{rate.per_second:>10.1f}{rate.per_cpu_second:>11.1f}  {note}"
        )
    lines += ["", "neardup with worker processes (whole batches, back to back):"]
    lines.append(f"  {'jobs':>4}{'images/s':>10}{'per core':>10}  vs 1 job (median of rounds)")
    for j, rate in report.batches.items():
        note = (
            ""
            if j == 1
            else (
                f"{report.median_scaling(j):.2f}x  (rounds: "
                + ", ".join(f"{x:.2f}" for x in report.scaling[j])
                + ")"
            )
        )
        lines.append(f"  {j:>4}{rate.per_second:>10.1f}{rate.per_second / j:>10.1f}  {note}")
    return "\n".join(lines)


@dataclass(slots=True)
class Agreement:
    """How many bits the fast path differs from ImageHash, per algorithm, over some files."""

    files: int
    distances: dict[str, collections.Counter[int]]


def measure_agreement(
    paths: Sequence[Path], algorithms: Sequence[str] = ALGORITHMS, hash_size: int = 8
) -> Agreement:
    """Bits by which the fast path differs from ImageHash, file by file.

    The reference is the compat mode: ImageHash itself on the fully decoded, upright and
    normalised image. Files either path cannot hash are left out.
    """
    distances: dict[str, collections.Counter[int]] = {a: collections.Counter() for a in algorithms}
    used = 0
    for path in paths:
        pairs = []
        for algorithm in algorithms:
            spec = HashSpec(algorithm, hash_size)
            pairs.append((hash_file(path, spec), hash_file(path, spec, compat=True)))
        if not all(isinstance(f, ImageRecord) and isinstance(c, ImageRecord) for f, c in pairs):
            continue
        used += 1
        for algorithm, (fast, compat) in zip(algorithms, pairs, strict=True):
            assert isinstance(fast, ImageRecord) and isinstance(compat, ImageRecord)
            distances[algorithm][hamming(fast.hash, compat.hash)] += 1
    return Agreement(used, distances)


def format_agreement(agreement: Agreement, title: str) -> str:
    """A Markdown table: share of files at 0, 1, 2, 3-4 and more bits from ImageHash."""
    bins = [("0", 0, 0), ("1", 1, 1), ("2", 2, 2), ("3-4", 3, 4), ("5-8", 5, 8), (">8", 9, 10**6)]
    head = "| algorithm | " + " | ".join(f"{b[0]} bits" for b in bins) + " | <= 2 bits | max |"
    lines = [f"{title} ({agreement.files} files)", "", head, "|---" * (len(bins) + 3) + "|"]
    for algorithm, counter in agreement.distances.items():
        n = sum(counter.values()) or 1
        cells = [sum(c for d, c in counter.items() if lo <= d <= hi) for _, lo, hi in bins]
        within = sum(c for d, c in counter.items() if d <= 2)
        lines.append(
            f"| {algorithm} | "
            + " | ".join(str(c) for c in cells)
            + f" | {100 * within / n:.1f}% | {max(counter, default=0)} |"
        )
    return "\n".join(lines)


def generated_folder(base: str | None = None) -> Path:
    """A scratch folder for generated benchmark images."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix="neardup-bench-", dir=base))


__all__ = [
    "TWELVE_MP",
    "Agreement",
    "Rate",
    "SpeedReport",
    "format_agreement",
    "format_speed",
    "generated_folder",
    "make_large_jpegs",
    "measure_agreement",
    "measure_speed",
]
