"""How the ``lsh`` backend's ``num_perm`` / ``bands`` trade recall for candidates and time.

    python benchmarks/lsh_params.py                          # random planted hashes only
    python benchmarks/lsh_params.py --photos PATH/TO/photos  # and real photos with variants

Two data sets, both at Hamming radius ``--radius`` (default 10):

* random: ``--n`` uniformly random 64-bit hashes plus ``n // 5`` planted copies at distances
  0..12 (:func:`neardup.testing.planted_hashes`);
* photos (optional): every image in ``--photos`` plus four near-duplicate variants of each
  (half size, quarter size, JPEG quality 30, PNG), hashed with 64-bit pHash in memory.

For each setting it prints recall against brute force, the expected recall of a pair at the
radius (``1 - (1 - J**rows)**bands`` with ``J = (64 - d) / (64 + d)``), the share of
unrelated pairs that become candidates, and build + search time.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np
from PIL import Image

from neardup.hashing.decode import open_image
from neardup.hashing.spec import hash_image
from neardup.index.brute import BruteIndex
from neardup.index.lsh import MinHashLSHIndex
from neardup.pipeline.discover import discover
from neardup.testing import planted_hashes

SETTINGS = [(128, 21), (128, 25), (192, 32), (256, 32), (256, 42), (256, 51), (384, 54)]


def variants(image: Image.Image) -> list[Image.Image]:
    rgb = image.convert("RGB")
    out = [
        rgb.resize((max(1, rgb.width // 2), max(1, rgb.height // 2)), Image.Resampling.LANCZOS),
        rgb.resize((max(1, rgb.width // 4), max(1, rgb.height // 4)), Image.Resampling.LANCZOS),
    ]
    for fmt, kw in (("JPEG", {"quality": 30}), ("PNG", {})):
        buf = io.BytesIO()
        rgb.save(buf, fmt, **kw)
        buf.seek(0)
        with Image.open(buf) as im:
            im.load()
            out.append(im.copy())
    return out


def photo_hashes(folder: Path) -> np.ndarray:
    values: list[int] = []
    for path in discover([str(folder)]).images:
        image = open_image(path)
        values.append(hash_image(image))
        values.extend(hash_image(v) for v in variants(image))
    return np.array([[v] for v in values], dtype=np.uint64)


def pairs(index: BruteIndex | MinHashLSHIndex, radius: int) -> set[tuple[int, int]]:
    return {
        (a, b)
        for block in index.pairs(radius)
        for a, b in zip(block.left.tolist(), block.right.tolist(), strict=True)
    }


def expected(bands: int, rows: int, d: int, bits: int = 64) -> float:
    jaccard = (bits - d) / (bits + d)
    return float(1 - (1 - jaccard**rows) ** bands)


def report(label: str, hashes: np.ndarray, radius: int) -> None:
    n = hashes.shape[0]
    want = pairs(BruteIndex.build(hashes), radius)
    print(f"\n{label}: {n:,} hashes, {len(want):,} pairs within {radius} (brute force)")
    print(
        f"{'num_perm':>8} {'bands':>5} {'rows':>4} {'recall':>8} {'missed':>6} "
        f"{'P(d=r)':>8} {'cand/pairs':>10} {'build s':>8} {'pairs s':>8}"
    )
    for num_perm, bands in SETTINGS:
        t0 = time.perf_counter()
        idx = MinHashLSHIndex.build(hashes, num_perm=num_perm, bands=bands)
        t1 = time.perf_counter()
        got = pairs(idx, radius)
        t2 = time.perf_counter()
        assert got <= want, "lsh reported a pair beyond the radius"
        candidates = len(
            np.unique(np.concatenate([a * n + b for a, b in idx.candidates()] or [np.empty(0)]))
        )
        recall = len(got) / len(want) if want else 1.0
        print(
            f"{num_perm:>8} {bands:>5} {idx.rows:>4} {recall:>8.4f} {len(want) - len(got):>6} "
            f"{expected(bands, idx.rows, radius):>8.4f} {candidates / (n * (n - 1) / 2):>10.4%} "
            f"{t1 - t0:>8.2f} {t2 - t1:>8.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="random hashes (default 10000)")
    parser.add_argument("--radius", type=int, default=10)
    parser.add_argument("--photos", type=Path, help="folder of distinct photos")
    args = parser.parse_args()
    hashes, _ = planted_hashes(args.n, planted=args.n // 5, max_flip=12, seed=1)
    report("random + planted", hashes, args.radius)
    if args.photos:
        report(
            f"photos + 4 variants each ({args.photos.name})", photo_hashes(args.photos), args.radius
        )


if __name__ == "__main__":
    main()
