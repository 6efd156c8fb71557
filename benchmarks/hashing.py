"""Hashing benchmark: images/s of ImageHash and neardup on the same files, 1..N jobs.

    python benchmarks/hashing.py speed SOURCE_FOLDER [--count 40] [--size 4000x3000]
    python benchmarks/hashing.py speed FOLDER --as-is        # time the images as they are
    python benchmarks/hashing.py agreement FOLDER...          # bit differences to ImageHash

``speed`` upscales images from SOURCE_FOLDER into a temporary folder (12-megapixel JPEGs
by default), then times ``imagehash.phash``, ``neardup --compat`` and neardup's fast path
file by file in turn in one process (wall clock and CPU time), and neardup with 1..N
worker processes in back-to-back batches; it prints the ratios. Timings are only
comparable within one run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from neardup.pipeline.discover import discover
from neardup.tools.bench_hashing import (
    format_agreement,
    format_speed,
    generated_folder,
    make_large_jpegs,
    measure_agreement,
    measure_speed,
)


def _size(text: str) -> tuple[int, int]:
    w, _, h = text.lower().partition("x")
    return int(w), int(h)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    speed = sub.add_parser("speed", help="images/s of ImageHash and neardup, 1..N jobs")
    speed.add_argument("folder", type=Path)
    speed.add_argument("--count", type=int, default=40, help="files to time (default 40)")
    speed.add_argument("--size", type=_size, default=(4000, 3000), help="WxH of generated files")
    speed.add_argument("--as-is", action="store_true", help="time FOLDER's images unchanged")
    speed.add_argument("--jobs", default=None, help="comma-separated job counts (default 1..N)")
    speed.add_argument("--repeat", type=int, default=3)
    speed.add_argument("--no-compat", action="store_true", help="skip the --compat timing")
    speed.add_argument("--keep", action="store_true", help="keep the generated files")
    agree = sub.add_parser("agreement", help="distribution of bit differences to ImageHash")
    agree.add_argument("folders", type=Path, nargs="+")
    agree.add_argument("--hash-size", type=int, default=8)
    args = parser.parse_args(argv)

    if args.command == "agreement":
        for folder in args.folders:
            paths = [Path(p) for p in discover([folder], hidden=True).images]
            print(format_agreement(measure_agreement(paths, hash_size=args.hash_size), str(folder)))
            print()
        return 0

    images = [Path(p) for p in discover([args.folder]).images]
    if not images:
        print(f"no images in {args.folder}", file=sys.stderr)
        return 2
    scratch = None
    if args.as_is:
        files = images[: args.count]
    else:
        scratch = generated_folder()
        print(f"writing {args.count} JPEGs of {args.size[0]}x{args.size[1]} to {scratch} ...")
        files = make_large_jpegs(images, scratch, args.count, args.size)
    try:
        jobs = [int(j) for j in args.jobs.split(",")] if args.jobs else None
        report = measure_speed(
            files,
            jobs=jobs,
            repeat=args.repeat,
            compat=not args.no_compat,
            log=lambda line: print(line, flush=True),
        )
        print()
        print(format_speed(report))
    finally:
        if scratch is not None and not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
