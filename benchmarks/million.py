"""All pairs within radius 10 over 1,000,000 random 64-bit hashes with the ``mih`` backend.

Run from a checkout (``pip install -e '.[fast]'`` for the compiled kernel)::

    python benchmarks/million.py                 # 1M hashes, radius 10, every core
    python benchmarks/million.py --kernel numpy  # the pure-numpy fallback

Prints wall time, CPU time (CPU/wall above 1 means several cores worked), peak RSS and the
checks: every planted pair within the radius is found and every reported pair's distance
is recomputed. Exits 1 if a check fails or a target (--max-seconds, --max-rss-mb) is missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np

from neardup.index.mih import MIHIndex
from neardup.tools.bench import synthetic


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--radius", type=int, default=10)
    ap.add_argument("--bits", type=int, default=64)
    ap.add_argument("--kernel", default="auto", choices=["auto", "numba", "numpy"])
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--max-rss-mb", type=float, default=1536.0)
    args = ap.parse_args()

    data = synthetic(args.size, args.bits, args.radius, seed=0)
    hashes = data.hashes
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall0, cpu0 = time.perf_counter(), time.process_time()
    index = MIHIndex.build(hashes, kernel=args.kernel, workers=args.workers)
    wall1 = time.perf_counter()
    left, right, dist = [], [], []
    for block in index.pairs(args.radius):
        left.append(block.left)
        right.append(block.right)
        dist.append(block.distance)
    wall2, cpu2 = time.perf_counter(), time.process_time()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    a = np.concatenate(left) if left else np.empty(0, dtype=np.int64)
    b = np.concatenate(right) if right else np.empty(0, dtype=np.int64)
    d = np.concatenate(dist) if dist else np.empty(0, dtype=np.int64)
    true = np.bitwise_count(hashes[a] ^ hashes[b]).sum(axis=1)
    keys = set((a * hashes.shape[0] + b).tolist())
    want = [(min(x, y), max(x, y)) for x, y, dd in data.planted if dd <= args.radius]
    missed = sum((x * hashes.shape[0] + y) not in keys for x, y in want)
    report = {
        "size": int(hashes.shape[0]),
        "radius": args.radius,
        "bits": args.bits,
        "plan": index.summary,
        "workers": index.workers,
        "build_s": round(wall1 - wall0, 2),
        "pairs_s": round(wall2 - wall1, 2),
        "total_s": round(wall2 - wall0, 2),
        "cpu_s": round(cpu2 - cpu0, 2),
        "cpu_per_wall": round((cpu2 - cpu0) / max(wall2 - wall0, 1e-9), 2),
        "peak_rss_mb": round(peak, 1),
        "rss_after_data_mb": round(rss_data, 1),
        "pairs": len(keys),
        "duplicate_reports": int(a.size - len(keys)),
        "wrong_distances": int(((true != d) | (true > args.radius)).sum()),
        "planted_within_radius": len(want),
        "planted_missed": missed,
    }
    print(json.dumps(report, indent=2))
    ok = (
        report["wrong_distances"] == 0
        and report["duplicate_reports"] == 0
        and missed == 0
        and report["total_s"] <= args.max_seconds
        and peak <= args.max_rss_mb
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
