"""How long ``neardup review`` takes to open a large scan: from the command to the first page.

Saves a synthetic last scan of N groups (default 10,000, three files each; the files do
not exist, so this times the indexing, loading and paging, not thumbnails) in a private
NEARDUP_HOME, starts ``neardup review --no-browser`` and times until the first page of
groups has arrived, then a filtered page deep in the list.

    python benchmarks/review_open.py [--groups 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from neardup.catalog import save_last_scan
from neardup.model import Group, ImageRecord, ScanOptions, ScanResult


def synthetic_result(root: Path, groups: int, per_group: int = 3) -> ScanResult:
    """``groups`` groups of ``per_group`` files under ``root`` (which need not exist)."""
    records: list[ImageRecord] = []
    found: list[Group] = []
    for g in range(groups):
        base = (g * 2654435761) % 2**64
        rows = []
        for k in range(per_group):
            path = str(root / f"folder{g % 50}" / f"img{g}-{k}.jpg")
            h = base ^ (1 << k) if k else base
            records.append(ImageRecord(path, h, 640 - k, 480, 1000 + g + k, 10**18 + g))
            rows.append(len(records) - 1)
        found.append(Group(tuple(rows), (0,) + (1,) * (per_group - 1), 2, 8))
    return ScanResult(ScanOptions().settings([str(root)]), records, [], found)


def time_open(env: dict[str, str]) -> tuple[float, float]:
    """Seconds from starting the command to the first page, and for a filtered page."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "neardup", "review", "--no-browser", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        with urllib.request.urlopen(url, timeout=60) as res:
            res.read()
        first = time.perf_counter() - started
        t = time.perf_counter()
        with urllib.request.urlopen(url + "?q=folder7&sort=files&page=5", timeout=60) as res:
            res.read()
        return first, time.perf_counter() - t
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NEARDUP_HOME=str(Path(tmp) / "home"))
        os.environ["NEARDUP_HOME"] = env["NEARDUP_HOME"]
        save_last_scan(synthetic_result(Path(tmp) / "photos", args.groups))
        print(f"{args.groups} groups, {3 * args.groups} files")
        for run in range(1, args.runs + 1):
            first, filtered = time_open(env)
            print(f"run {run}: first page after {first:.2f} s; filtered page {filtered:.3f} s")


if __name__ == "__main__":
    main()
