"""Rebuild the test data in this folder from the full image corpus.

    python tests/data/make_data.py CORPUS [--out tests/data]

``CORPUS`` is the folder of the full development corpus (``photos/``, ``odd/`` with its
``MANIFEST.tsv``, and ``PROVENANCE.tsv``). The script

* picks the photos in ``PHOTOS`` (every photo a test names, plus a few for variety), scales
  each down to at most ``LONG_SIDE`` pixels on its long side and saves it as JPEG q85 (the
  ones in ``KEEP_PNG`` stay PNG; a photo that is already small and in its kept format is
  copied unchanged), keeping the corpus file name (with the new extension);
* copies the files of ``odd/`` listed in ``ODD`` unchanged, with their MANIFEST rows;
* writes ``PROVENANCE.tsv`` for every file, derived from the corpus's own;
* checks that no two photos are within pHash (``imagehash.phash``, 8x8) distance
  ``MIN_DISTANCE`` of each other, the property the tests rely on, and prints the sizes.

The output is deterministic for a given Pillow build.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import shutil
import sys
from pathlib import Path

import imagehash
from PIL import Image, ImageOps

LONG_SIDE = 384
JPEG_QUALITY = 85
#: No two photos may be closer than this (pHash bits); the corpus itself keeps >= 16.
MIN_DISTANCE = 11

#: Corpus photo numbers (the ``NNN_`` prefix of their names). The tests name 0, 2, 3, 5,
#: 12, 17, 33, 40, 42, 60, 90, 99, 100-107 and 110; 0-9 make the small deletion library; the
#: others add a palette PNG (22), portraits, tiny and wide images and more sources.
PHOTOS = (
    *range(11),
    12,
    17,
    20,
    22,
    23,
    33,
    38,
    40,
    42,
    58,
    60,
    63,
    90,
    94,
    99,
    *range(100, 108),
    110,
    128,
    145,
)
#: Photos that stay PNG: two greyscale ones (brick, camera) and the palette one.
KEEP_PNG = {7, 8, 22}

#: The odd files the tests use: the small ones of every kind, the decompression bombs and
#: the HEIC file. Larger re-encodings (TIFF, BMP, 16-bit and RGBA PNGs, ...) are only in the
#: full corpus, which the slow tests read when ``NEARDUP_CORPUS`` names it.
ODD = (
    "-leading-dash.jpg",
    ".hidden.jpg",
    "UPPER_CASE.JPG",
    "animated.webp",
    "bilevel.png",
    "bomb_30000x30000.png",
    "bomb_65000x65000.jpg",
    "corrupt_scan_data.jpg",
    "document.pdf",
    "empty.jpg",
    "empty.png",
    "exact_copy_of_base.jpg",
    "exif_base.jpg",
    *(f"exif_orientation_{n}.jpg" for n in range(1, 9)),
    "exif_orientation_invalid_9.jpg",
    "folder.jpg/inner.png",
    "gif_named.jpg",
    "grey.jpg",
    "html_page.jpg",
    "icc_profile.jpg",
    "icon.ico",
    "jpeg_named.png",
    "jpeg_named.txt",
    "long_ext.jpeg",
    "lossy.webp",
    "name with spaces.jpg",
    "notes.txt",
    "progressive.jpg",
    "random_bytes.jpg",
    "random_bytes.png",
    "reencoded.avif",
    "reencoded.heic",
    "single_frame_transparent.gif",
    "solid_black.png",
    "solid_white.jpg",
    "tall_10x10000.png",
    "text_file.png",
    "tiny_1x1.jpg",
    "tiny_1x1.png",
    "tiny_2x2.gif",
    "truncated_50pct.gif",
    "truncated_50pct.jpg",
    "truncated_50pct.webp",
    "truncated_95pct.jpg",
    "truncated_header.jpg",
    "truncated_signature_only.png",
    "vector.svg",
    "wide_10000x10.png",
    "ünïcødé_名前.jpg",
)


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def write_tsv(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fields, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def convert_photo(src: Path, dest_dir: Path, number: int) -> tuple[Path, str]:
    """Write the scaled-down copy of ``src``; return it and a note on what was done."""
    keep_png = number in KEEP_PNG
    ext = ".png" if keep_png else ".jpg"
    dest = dest_dir / (src.stem + ext)
    with Image.open(src) as im:
        im.load()
        size, mode, fmt = im.size, im.mode, im.format
        if max(size) <= LONG_SIDE and src.suffix == ext:
            shutil.copyfile(src, dest)
            return dest, f"copied unchanged ({size[0]}x{size[1]})"
        img = ImageOps.exif_transpose(im)
    scale = min(1.0, LONG_SIDE / max(img.size))
    new = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    if mode == "P":  # resample in RGB, then back to an adaptive palette
        img = img.convert("RGB").resize(new, Image.Resampling.LANCZOS)
        img = img.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    else:
        if img.mode not in ("L", "RGB"):
            img = img.convert("RGB")
        if new != img.size:
            img = img.resize(new, Image.Resampling.LANCZOS)
    if keep_png:
        img.save(dest, optimize=True)
        target = f"PNG ({img.mode})"
    else:
        img.save(dest, quality=JPEG_QUALITY, optimize=True)
        target = f"JPEG q{JPEG_QUALITY}"
    return dest, (
        f"scaled from {fmt} {size[0]}x{size[1]} to {target} {new[0]}x{new[1]} "
        f"(long side <= {LONG_SIDE} px)"
    )


def min_distance(paths: list[Path]) -> tuple[int, str, str]:
    hashes = {}
    for p in paths:
        with Image.open(p) as im:
            hashes[p.name] = imagehash.phash(im)
    best = (65, "", "")
    for (a, ha), (b, hb) in itertools.combinations(hashes.items(), 2):
        best = min(best, (int(ha - hb), a, b))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="the full corpus folder")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    corpus, out = args.corpus, args.out

    provenance = {r["file"]: r for r in read_tsv(corpus / "PROVENANCE.tsv")}
    fields = ["file", "source", "original_path", "license", "note"]
    rows: list[dict[str, str]] = []

    photos_out = out / "photos"
    shutil.rmtree(photos_out, ignore_errors=True)
    photos_out.mkdir(parents=True)
    by_number = {int(p.name[:3]): p for p in (corpus / "photos").iterdir() if p.is_file()}
    made = []
    for number in PHOTOS:
        src = by_number[number]
        dest, note = convert_photo(src, photos_out, number)
        made.append(dest)
        row = provenance[f"photos/{src.name}"]
        rows.append(
            {
                **row,
                "file": f"photos/{dest.name}",
                "note": f"in the corpus: {row['note']}; here: {note}",
            }
        )

    odd_out = out / "odd"
    shutil.rmtree(odd_out, ignore_errors=True)
    odd_out.mkdir(parents=True)
    manifest = {r["file"]: r for r in read_tsv(corpus / "odd" / "MANIFEST.tsv")}
    wanted = set(ODD)
    unknown = wanted - set(manifest)
    if unknown:
        parser.error(f"not in the corpus MANIFEST: {sorted(unknown)}")
    for name in ODD:
        dest = odd_out / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / "odd" / name, dest)
        row = dict(provenance[f"odd/{name}"])
        if row["license"].startswith("as for "):  # name the license itself too
            row["license"] += f" ({provenance[row['license'][7:]]['license']})"
        row["note"] = f"in the corpus: {row['note']}; here: copied unchanged"
        rows.append(row)
    kept = [r for name, r in manifest.items() if name in wanted]  # corpus order
    write_tsv(odd_out / "MANIFEST.tsv", ["file", "kind", "expected", "note"], kept)
    write_tsv(out / "PROVENANCE.tsv", fields, rows)

    dist, a, b = min_distance(made)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"{len(made)} photos, {len(ODD)} odd files, {size / 1024:.0f} KiB in {out}")
    print(f"closest photos: {a} and {b}, {dist} bits apart")
    if dist < MIN_DISTANCE:
        print(f"error: two photos are closer than {MIN_DISTANCE} bits", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
