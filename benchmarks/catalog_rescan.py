"""First scan versus rescan of the same folder with the hash catalog.

Builds a folder of distinct images (random crops of the photos in PHOTOS, re-encoded at a
chosen size) unless FOLDER is given, then times, in one process and one run:

* a scan without the catalog (``use_cache=False``: the hashing cost alone),
* the first scan into an empty catalog (hashing plus writing the catalog),
* a second scan of the unchanged folder (everything from the catalog),

and counts how many files Pillow opened during the second scan (it must be 0).

    python benchmarks/catalog_rescan.py --photos PHOTOS [--images 1000] [--side 1024]
    python benchmarks/catalog_rescan.py --folder FOLDER

Timings are noisy on a shared machine; compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

import neardup
from neardup.catalog import Catalog


def build_folder(photos: Path, dest: Path, count: int, side: int, seed: int = 0) -> None:
    """``count`` distinct JPEGs: random crops (60-95 % per side) of the photos, long side
    ``side`` pixels, spread over sub-folders of 250."""
    rng = random.Random(seed)
    sources = sorted(p for p in photos.iterdir() if p.is_file())
    loaded = []
    for p in sources:
        with Image.open(p) as im:
            loaded.append(im.convert("RGB"))
    for k in range(count):
        img = loaded[k % len(loaded)]
        w, h = img.size
        cw, ch = int(w * rng.uniform(0.6, 0.95)), int(h * rng.uniform(0.6, 0.95))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        crop = img.crop((x, y, x + cw, y + ch))
        scale = side / max(crop.size)
        crop = crop.resize((max(1, round(cw * scale)), max(1, round(ch * scale))))
        sub = dest / f"part{k // 250:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        crop.save(sub / f"img{k:05d}.jpg", quality=88)


def timed_scan(folder: Path, **kwargs: Any) -> tuple[float, float, neardup.ScanResult]:
    """(whole scan seconds, seconds until every file was hashed or read from the catalog)."""
    start = time.perf_counter()
    hashed_at = [start]

    def progress(done: int, total: int) -> None:
        if done == total:
            hashed_at[0] = time.perf_counter()

    result = neardup.scan([folder], progress=progress, **kwargs)
    return time.perf_counter() - start, hashed_at[0] - start, result


def count_opens() -> list[str]:
    calls: list[str] = []
    real = Image.open

    def counting(fp: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(fp))
        return real(fp, *args, **kwargs)

    Image.open = counting  # type: ignore[assignment]
    return calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, help="scan this folder instead of building one")
    default_photos = os.environ.get("NEARDUP_CORPUS")
    parser.add_argument(
        "--photos",
        type=Path,
        default=Path(default_photos) / "photos" if default_photos else None,
        help="photos to crop from (default: $NEARDUP_CORPUS/photos)",
    )
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--side", type=int, default=1024, help="long side of built images")
    parser.add_argument("--repeat", type=int, default=3, help="rescans to time (median)")
    parser.add_argument("--index", default="mih", help="search backend for the scans (the default)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="neardup-bench-") as tmp:
        work = Path(tmp)
        if args.folder is not None:
            folder = args.folder
        else:
            if args.photos is None:
                parser.error("give --folder or --photos (or set NEARDUP_CORPUS)")
            folder = work / "images"
            t = time.perf_counter()
            build_folder(args.photos, folder, args.images, args.side)
            print(f"built {args.images} images (long side {args.side}px) in "
                  f"{time.perf_counter() - t:.1f} s")  # fmt: skip
        catalog_path = work / "catalog.sqlite"
        index = args.index
        uncached, uncached_h, base = timed_scan(folder, use_cache=False, index=index)
        with Catalog(catalog_path) as cat:
            first, first_h, r1 = timed_scan(folder, catalog=cat, index=index)
            opens = count_opens()
            rescans = []
            for _ in range(args.repeat):
                rescans.append(timed_scan(folder, catalog=cat, index=index))
        second = statistics.median(r[0] for r in rescans)
        second_h = statistics.median(r[1] for r in rescans)
        assert r1.records == rescans[-1][2].records == base.records
        n = len(r1.records)
        print(f"images: {n} ({len(r1.skipped)} skipped), index {index}")
        print("                        whole scan   walk+hash/lookup")
        print(f"scan without catalog:   {uncached:8.3f} s   {uncached_h:8.3f} s")
        print(f"first scan (cold):      {first:8.3f} s   {first_h:8.3f} s")
        print(f"second scan (median {args.repeat}): {second:8.3f} s   {second_h:8.3f} s")
        print(f"files opened by Pillow during rescans: {len(opens)}")
        print(f"speed-up first/second: {first / second:.1f}x whole scan, "
              f"{first_h / second_h:.1f}x walk+hash")  # fmt: skip
        print(f"catalog size: {catalog_path.stat().st_size / 1024:.0f} KiB")
    return 0 if not opens else 1


if __name__ == "__main__":
    sys.exit(main())
