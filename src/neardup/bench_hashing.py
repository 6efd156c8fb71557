"""Hashing benchmark: ImageHash against neardup on the same files, and the scaling with jobs.

Used by ``benchmarks/hashing.py``. Every rate is measured in the same run, interleaved and
repeated (the best of ``repeat`` runs counts, as ``timeit`` does), so the ratios hold even
on a busy machine where the absolute numbers do not.
"""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from neardup.hashing import ALGORITHMS, HashSpec, hamming, hash_file
from neardup.model import ImageRecord
from neardup.parallel import available_cores, hash_in_workers

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
    """The best throughput one method reached over the repeats."""

    label: str
    jobs: int
    files: int
    best_seconds: float = float("inf")

    @property
    def per_second(self) -> float:
        return self.files / self.best_seconds

    @property
    def per_core(self) -> float:
        return self.per_second / self.jobs


@dataclass(slots=True)
class SpeedReport:
    """Rates of ImageHash and of neardup (fast, compat, 1..N jobs) on the same files."""

    files: list[Path]
    megapixels: float
    rates: dict[str, Rate] = field(default_factory=dict)

    def ratio(self, a: str, b: str) -> float:
        return self.rates[a].per_second / self.rates[b].per_second


def _imagehash_phash(paths: Sequence[Path]) -> None:
    import imagehash

    for p in paths:
        with Image.open(p) as im:
            imagehash.phash(im)


def _neardup(paths: Sequence[Path], jobs: int, compat: bool) -> None:
    names = [str(p) for p in paths]
    if jobs == 1:
        outcomes = [hash_file(p, compat=compat) for p in names]
    else:  # always through the workers, whatever hash_files' small-scan shortcut decides
        outcomes = list(
            hash_in_workers(names, HashSpec(), max_pixels=10**9, compat=compat, jobs=jobs)
        )
    bad = [o for o in outcomes if not isinstance(o, ImageRecord)]
    if bad:
        raise RuntimeError(f"benchmark file could not be hashed: {bad[0]}")


def measure_speed(
    paths: Sequence[Path],
    *,
    jobs: Iterable[int] | None = None,
    repeat: int = 3,
    compat: bool = True,
    log: Callable[[str], None] | None = None,
) -> SpeedReport:
    """Time ``imagehash.phash`` and neardup on ``paths`` (interleaved, best of ``repeat``).

    ``jobs`` lists the worker counts to measure (default ``1..available cores``).
    """
    job_counts = sorted(set(jobs or range(1, available_cores() + 1)))
    with Image.open(paths[0]) as im:
        megapixels = im.width * im.height / 1e6
    report = SpeedReport(list(paths), megapixels)
    methods: dict[str, tuple[int, Callable[[], None]]] = {
        "imagehash": (1, lambda: _imagehash_phash(paths)),
    }
    if compat:
        methods["compat"] = (1, lambda: _neardup(paths, 1, True))
    for j in job_counts:
        methods[f"fast-{j}"] = (j, lambda j=j: _neardup(paths, j, False))  # type: ignore[misc]
    for key, (j, _) in methods.items():
        report.rates[key] = Rate(key, j, len(paths))
    for r in range(repeat):
        for key, (_, run) in methods.items():
            started = time.perf_counter()
            run()
            took = time.perf_counter() - started
            rate = report.rates[key]
            rate.best_seconds = min(rate.best_seconds, took)
            if log:
                log(f"  run {r + 1}/{repeat} {key:<10} {len(paths) / took:8.1f} images/s")
    return report


def format_speed(report: SpeedReport) -> str:
    """A plain-text table of a :class:`SpeedReport`."""
    lines = [
        f"{len(report.files)} files of {report.megapixels:.1f} MP, best of the repeats",
        f"{'method':<28}{'jobs':>5}{'images/s':>11}{'per core':>10}  comparison",
    ]
    base = report.rates["imagehash"]
    one = report.rates.get("fast-1")
    names = {"imagehash": "imagehash.phash", "compat": "neardup --compat"}
    for key, rate in report.rates.items():
        label = names.get(key, "neardup (fast)")
        if key == "imagehash":
            note = ""
        elif key.startswith("fast-") and rate.jobs > 1 and one is not None:
            note = (
                f"{rate.per_second / one.per_second:.2f}x of 1 job, "
                f"{rate.per_second / base.per_second:.1f}x imagehash"
            )
        else:
            note = f"{rate.per_second / base.per_second:.1f}x imagehash"
        lines.append(
            f"{label:<28}{rate.jobs:>5}{rate.per_second:>11.1f}{rate.per_core:>10.1f}  {note}"
        )
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
