"""Scale-out benchmark: the distributed pair join against the local ``mih`` backend, and
distributed hashing throughput, for 1 and 2 local Dask workers.

    python benchmarks/scaleout.py pairs --size 1000000 --radius 10 --workers 1,2
    python benchmarks/scaleout.py hashing FOLDER --workers 1,2

Needs ``pip install 'neardup[dask]'``. Prints one JSON object per measurement. For the
join, ``neardup bench --sizes 1M --backends mih --dask local:2`` reports the same side by
side with CPU seconds and peak worker memory (docs/scale-out.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from neardup import index as registry
from neardup.index.base import PairBlock
from neardup.model import HashSpec
from neardup.pipeline.dask.cluster import connect
from neardup.pipeline.dask.hashing import hash_on_cluster
from neardup.pipeline.dask.join import distributed_pairs
from neardup.pipeline.discover import discover
from neardup.testing import planted_hashes


def pair_set(blocks: Iterable[PairBlock]) -> set[tuple[int, int, int]]:
    out: set[tuple[int, int, int]] = set()
    for b in blocks:
        out.update(zip(b.left.tolist(), b.right.tolist(), b.distance.tolist(), strict=True))
    return out


def bench_pairs(size: int, radius: int, workers: list[int], reference: str) -> None:
    planted = max(1, size // 100)
    hashes, _ = planted_hashes(size - planted, planted=planted, max_flip=radius, seed=42)
    t0 = time.perf_counter()
    ref = pair_set(registry.build(reference, hashes).pairs(radius))
    local_s = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "what": "local",
                "backend": reference,
                "n": size,
                "radius": radius,
                "seconds": round(local_s, 2),
                "pairs": len(ref),
            }
        ),
        flush=True,
    )
    for w in workers:
        with connect(f"local:{w}") as client:
            t0 = time.perf_counter()
            block = distributed_pairs(hashes, radius, client)
            secs = time.perf_counter() - t0
        got = pair_set([block])
        print(
            json.dumps(
                {
                    "what": "distributed",
                    "workers": w,
                    "n": size,
                    "radius": radius,
                    "seconds": round(secs, 2),
                    "pairs": len(got),
                    "equal_to_local": got == ref,
                }
            ),
            flush=True,
        )
        if got != ref:
            sys.exit(f"distributed result differs from {reference}")


def bench_hashing(folder: Path, workers: list[int]) -> None:
    paths = discover([folder]).images
    for w in workers:
        with connect(f"local:{w}") as client:
            client.run(lambda: None)  # workers up before timing
            t0 = time.perf_counter()
            n = sum(1 for _ in hash_on_cluster(client, paths, HashSpec()))
            secs = time.perf_counter() - t0
        print(
            json.dumps(
                {
                    "what": "hashing",
                    "workers": w,
                    "files": n,
                    "seconds": round(secs, 2),
                    "files_per_s": round(n / secs, 1),
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pairs")
    p.add_argument("--size", type=int, default=1_000_000)
    p.add_argument("--radius", type=int, default=10)
    p.add_argument("--workers", default="1,2")
    p.add_argument("--reference", default="mih")
    h = sub.add_parser("hashing")
    h.add_argument("folder", type=Path)
    h.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    workers = [int(x) for x in args.workers.split(",")]
    if args.cmd == "pairs":
        bench_pairs(args.size, args.radius, workers, args.reference)
    else:
        bench_hashing(args.folder, workers)


if __name__ == "__main__":
    main()
