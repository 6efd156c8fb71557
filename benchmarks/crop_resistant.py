"""ImageHash's crop_resistant_hash against neardup's --crop, on the same images.

Hashes originals, 5%/10% crops and 5° rotations of some photos, plus same-composition
stress images, with ``imagehash.crop_resistant_hash`` (its defaults: dHash per segment,
segmentation at 300 px) and reports its time per image, its recall per transform and the
pair precision (pairs it matches that are the same image), for region cutoffs 1 and 2.

    python benchmarks/crop_resistant.py PHOTOS [--photos 50] [--stress 10] [--jobs 2]

The images are reduced as ``neardup eval`` reduces them (short side 256-511 px).
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import imagehash
from PIL import Image

from neardup.tools import evaluation, stress, transforms

KINDS = ("crop5", "crop10", "rot5")


Row = tuple[str, int, str, Any, float]  # source, identity, kind, hash, CPU seconds


def _hash(job: tuple[str, int, str, str, int]) -> list[Row]:
    source, identity, path, family, number = job
    if family:
        photo = Image.open(path).convert("RGB")
        img = stress.generate(family, number, [photo])
        name = f"{family}-{number}"
        kinds: tuple[str, ...] = ("original",)
    else:
        img = Image.open(path).convert("RGB")
        name = Path(path).name
        kinds = ("original", *KINDS)
    img = evaluation.reduce_for_hashing(img, evaluation.WORKING_SIDE)
    out: list[Row] = []
    seed = transforms.seed_for(name)
    for kind in kinds:
        variant = img if kind == "original" else transforms.apply(img, kind, seed)
        small = evaluation.reduce_for_hashing(variant)
        started = time.process_time()
        h = imagehash.crop_resistant_hash(small)
        out.append((source, identity, kind, h, time.process_time() - started))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", type=Path)
    parser.add_argument("--photos", dest="count", type=int, default=50)
    parser.add_argument("--stress", type=int, default=10, help="stress images per family")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    paths = sorted(p for p in args.photos.iterdir() if p.is_file())
    jobs = [("photos", k, str(p), "", 0) for k, p in enumerate(paths[: args.count])]
    ident = len(jobs)
    for fam in stress.FAMILIES:
        for n in range(args.stress):
            jobs.append(("stress", ident, str(paths[(n * 7) % len(paths)]), fam, n))
            ident += 1
    with ProcessPoolExecutor(args.jobs) as pool:
        items = [row for rows in pool.map(_hash, jobs) for row in rows]
    seconds = [row[4] for row in items]
    each = sum(seconds) / len(seconds)
    print(f"{len(items)} images, crop_resistant_hash {each:.3f} s of CPU each")
    for cutoff in (1, 2):
        wrong = right = 0
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if a[3].matches(b[3], region_cutoff=cutoff):
                    right += a[1] == b[1]
                    wrong += a[1] != b[1]
        originals = {row[1]: row[3] for row in items if row[2] == "original"}
        precision = 100 * right / max(1, right + wrong)
        line = [f"region_cutoff={cutoff}: pair precision {precision:.1f}% ({wrong} wrong)"]
        for kind in KINDS:
            rows = [row for row in items if row[2] == kind]
            hits = sum(originals[r[1]].matches(r[3], region_cutoff=cutoff) for r in rows)
            line.append(f"{kind} {100 * hits / len(rows):.1f}%")
        print(", ".join(line))


if __name__ == "__main__":
    main()
