"""How long ``show`` takes on a large collection: t-SNE map and review page.

Builds a synthetic scan of N records (default 10,000) whose files are real photos (reused,
each record with its own cache key, so every thumbnail is really decoded), random 64-bit
hashes and planted near-duplicate groups, then times the map and the report, cold and warm.

    python benchmarks/show_map.py PHOTO_FOLDER [--n 10000] [--groups 300]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from neardup.api import group
from neardup.bits import to_array
from neardup.model import ImageRecord, ScanOptions, ScanResult
from neardup.report.html import write_report
from neardup.report.review import review_groups
from neardup.report.thumbs import ThumbnailCache
from neardup.report.visual import write_map


def synthetic_scan(photos: list[Path], n: int, groups: int, seed: int = 0) -> ScanResult:
    rng = np.random.default_rng(seed)
    hashes = [int(h) for h in rng.integers(0, 2**63, size=n, dtype=np.uint64)]
    for g in range(groups):  # near-duplicates: 1-2 copies a few bits away from an original
        src = 2 * g * 3
        for k in range(1, int(rng.integers(2, 4))):
            bits = rng.choice(64, size=int(rng.integers(0, 5)), replace=False)
            hashes[src + k] = hashes[src] ^ sum(1 << int(b) for b in bits)
    records = []
    for i, h in enumerate(hashes):
        photo = photos[i % len(photos)]
        st = photo.stat()
        records.append(ImageRecord(str(photo), h, 640, 480, st.st_size, st.st_mtime_ns + i))
    settings = ScanOptions().settings([str(photos[0].parent)])
    result = ScanResult(settings, records, [], [])
    result.groups = group(records, to_array(hashes, 1), threshold=settings.threshold)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("photos", type=Path)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--groups", type=int, default=300)
    args = ap.parse_args()
    photos = sorted(p for p in args.photos.iterdir() if p.is_file())
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NEARDUP_HOME"] = str(Path(tmp) / "home")
        result = synthetic_scan(photos, args.n, args.groups)
        groups = review_groups(result)
        print(f"{len(result.records)} records, {len(groups)} groups")
        for run in ("cold", "warm"):
            cache = ThumbnailCache()
            t = time.perf_counter()
            info = write_map(result, groups, Path(tmp) / "map.png", seed=0, cache=cache)
            t_map = time.perf_counter() - t
            t = time.perf_counter()
            write_report(result, Path(tmp) / "out", cache=cache)
            t_report = time.perf_counter() - t
            size = (Path(tmp) / "map.png").stat().st_size
            print(
                f"{run}: map {t_map:.1f} s ({info.embedded} embedded, {info.thumbnails} "
                f"thumbnails, {info.width}x{info.height}, {size / 1e6:.1f} MB), "
                f"report {t_report:.1f} s, thumbnails made {cache.made}"
            )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
