"""Measure how far common edits move a photo's 64-bit pHash (the table in how-it-works.md).

    python docs/measure_transforms.py FOLDER_OF_PHOTOS

Prints one Markdown row per edit: median, 90th percentile and largest Hamming distance
between each photo and its edited copy, and the share within the default threshold (10).
"""

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from neardup.hashing.spec import hash_image
from neardup.model import HashSpec

spec = HashSpec("phash", 8)
photos = sorted(Path(sys.argv[1]).iterdir())


def jpeg(img, q):
    b = io.BytesIO()
    img.save(b, "JPEG", quality=q)
    return Image.open(io.BytesIO(b.getvalue())).convert("RGB")


def wm(img):
    import tempfile

    from neardup.tools.demo import _watermark

    p = Path(tempfile.mkdtemp()) / "w.jpg"
    _watermark(img, p)
    return Image.open(p).convert("RGB")


def crop(img, f):
    w, h = img.size
    dx, dy = int(w * f / 2), int(h * f / 2)
    return img.crop((dx, dy, w - dx, h - dy))


T = {
    "JPEG quality 30": lambda i: jpeg(i, 30),
    "resized to 25 %": lambda i: i.resize(
        (max(8, i.width // 4), max(8, i.height // 4)), Image.Resampling.LANCZOS
    ),
    "watermark caption": wm,
    "brightness +20 %": lambda i: ImageEnhance.Brightness(i).enhance(1.2),
    "greyscale": lambda i: i.convert("L").convert("RGB"),
    "cropped 5 % each side": lambda i: crop(i, 0.10),
    "cropped 10 % each side": lambda i: crop(i, 0.20),
    "rotated 5°": lambda i: i.rotate(5, resample=Image.Resampling.BICUBIC, expand=False),
    "rotated 90°": lambda i: i.transpose(Image.Transpose.ROTATE_90),
    "mirrored": ImageOps.mirror,
}
res = {k: [] for k in T}
for p in photos:
    img = Image.open(p).convert("RGB")
    h = hash_image(img, spec)
    for k, f in T.items():
        res[k].append((h ^ hash_image(f(img), spec)).bit_count())
print(f"{len(photos)} photos")
for k, v in res.items():
    v = np.array(v)
    print(
        f"| {k} | {int(np.median(v))} | {int(np.percentile(v, 90))} | {v.max()} | {100 * np.mean(v <= 10):.0f} % |"
    )
