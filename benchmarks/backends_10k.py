"""Every installed backend on the same synthetic hashes: all-pairs time and recall, side by side.

    python benchmarks/backends_10k.py                 # 10,000 random 64-bit hashes, radius 10
    python benchmarks/backends_10k.py --n 2000 --radius 6 --skip bktree

The data: ``n`` uniformly random 64-bit hashes plus ``n // 10`` planted copies of random rows
at known distances 0..12 (:func:`neardup.testing.planted_hashes`). Every backend registered
under ``neardup.indexes`` builds an index over the same array and lists all pairs within the
radius; recall is measured against brute force. Timings on a busy machine are noisy: read
the ratios within one run.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from neardup import index as registry
from neardup.errors import IndexUnavailable
from neardup.testing import planted_hashes


def run(
    name: str, hashes: np.ndarray, radius: int, memory: bool
) -> tuple[float, float, set[int], int]:
    backend = registry.load(name)
    if memory:  # tracemalloc slows allocation-heavy Python code: off by default
        tracemalloc.start()
    started = time.perf_counter()
    idx = backend.build(hashes)
    built = time.perf_counter()
    n = hashes.shape[0]
    codes: set[int] = set()
    for block in idx.pairs(radius):
        codes.update((block.left * n + block.right).tolist())
    done = time.perf_counter()
    peak = 0
    if memory:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return built - started, done - built, codes, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="random hashes (default 10000)")
    parser.add_argument("--radius", type=int, default=10, help="Hamming radius (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", action="append", default=[], help="backend to leave out")
    parser.add_argument(
        "--memory", action="store_true", help="also report peak Python memory (slower)"
    )
    args = parser.parse_args()

    hashes, truth = planted_hashes(args.n, planted=args.n // 10, max_flip=12, seed=args.seed)
    n = hashes.shape[0]
    print(
        f"{n:,} hashes (64-bit; {len(truth)} planted copies at distance 0..12), "
        f"radius {args.radius}"
    )
    names = ["brute"] + [name for name in registry.available() if name != "brute"]
    reference: set[int] | None = None
    print(
        f"{'backend':<10} {'exact':<6} {'build s':>8} {'pairs s':>9} {'pairs':>7} {'recall':>8}"
        + (f" {'peak MiB':>9}" if args.memory else "")
    )
    for name in names:
        if name in args.skip:
            continue
        try:
            exact = registry.load(name).exact
            build_s, pairs_s, codes, peak = run(name, hashes, args.radius, args.memory)
        except IndexUnavailable as exc:
            print(f"{name:<10} unavailable: {exc}")
            continue
        if reference is None:
            reference = codes
        extra = len(codes - reference)
        recall = len(codes & reference) / len(reference) if reference else 1.0
        note = f"  ({extra} pairs not in brute force!)" if extra else ""
        print(
            f"{name:<10} {'yes' if exact else 'no':<6} {build_s:>8.2f} {pairs_s:>9.2f} "
            f"{len(codes):>7,} {recall:>8.4f}"
            + (f" {peak / 2**20:>9.1f}" if args.memory else "")
            + note,
            flush=True,
        )


if __name__ == "__main__":
    main()
