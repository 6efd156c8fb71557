"""Draw docs/img/phash.png: how a perceptual hash sees a photo and its copies.

Run from a checkout with neardup installed:

    python docs/make_figures.py

It uses the astronaut photograph that ships with neardup (public domain, see
src/neardup/tools/samples/PROVENANCE.md), so the figure can be rebuilt anywhere.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps
from scipy.fftpack import dct

from neardup.hashing.spec import hash_image
from neardup.model import HashSpec
from neardup.tools.demo import sample_path

OUT = Path(__file__).parent / "img" / "phash.png"
CELL = 150  # side of one panel in pixels
PAD = 12
FONT = ImageFont.load_default(size=13)
BIG = ImageFont.load_default(size=15)


def phash_steps(img: Image.Image) -> tuple[Image.Image, np.ndarray, np.ndarray]:
    """The 32x32 grey image, its 2-D DCT and the 8x8 bit grid, exactly as ImageHash's phash."""
    small = img.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    pixels = np.asarray(small, dtype=np.float64)
    coeffs = dct(dct(pixels, axis=0), axis=1)
    low = coeffs[:8, :8]
    bits = low > np.median(low)
    return small, coeffs, bits


def bits_to_int(bits: np.ndarray) -> int:
    return int("".join("1" if b else "0" for b in bits.flatten()), 2)


def grid_image(values: np.ndarray, colours: dict[int, tuple[int, int, int]]) -> Image.Image:
    img = Image.new("RGB", values.shape[::-1])
    img.putdata([colours[int(v)] for v in values.flatten()])
    return img.resize((CELL, CELL), Image.Resampling.NEAREST)


def dct_image(coeffs: np.ndarray) -> Image.Image:
    mag = np.log1p(np.abs(coeffs))
    mag = (255 * mag / mag.max()).astype(np.uint8)
    img = Image.fromarray(mag).resize((CELL, CELL), Image.Resampling.NEAREST).convert("RGB")
    draw = ImageDraw.Draw(img)
    side = CELL * 8 // 32
    draw.rectangle((0, 0, side, side), outline=(230, 60, 60), width=2)
    return img


def fit(img: Image.Image) -> Image.Image:
    return ImageOps.pad(img.convert("RGB"), (CELL, CELL), color=(255, 255, 255))


def main() -> None:
    with Image.open(io.BytesIO(sample_path("astronaut.jpg").read_bytes())) as im:
        original = im.convert("RGB")
    half = original.resize((original.width // 2, original.height // 2), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    half.save(buf, format="JPEG", quality=30)
    copy = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    mirrored = ImageOps.mirror(original)

    rows = [
        ("original", original),
        ("half size, JPEG q30", copy),
        ("mirrored", mirrored),
    ]
    headers = ["image", "grey 32x32", "DCT (top-left 8x8 kept)", "64 bits: > median", "differs"]
    width = PAD + len(headers) * (CELL + PAD)
    height = 40 + len(rows) * (CELL + 40) + PAD
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    for c, title in enumerate(headers):
        draw.text((PAD + c * (CELL + PAD), 12), title, fill="black", font=BIG)

    spec = HashSpec("phash", 8)
    ref_bits: np.ndarray | None = None
    for r, (label, img) in enumerate(rows):
        y = 40 + r * (CELL + 40)
        small, coeffs, bits = phash_steps(img)
        assert bits_to_int(bits) == hash_image(img, spec), "figure must match neardup's pHash"
        panels = [
            fit(img),
            small.resize((CELL, CELL), Image.Resampling.NEAREST).convert("RGB"),
            dct_image(coeffs),
            grid_image(bits, {0: (30, 30, 30), 1: (245, 245, 245)}),
        ]
        if ref_bits is None:
            ref_bits = bits
            caption = f"hash {bits_to_int(bits):016x}"
            panels.append(Image.new("RGB", (CELL, CELL), "white"))
        else:
            diff = bits != ref_bits
            panels.append(grid_image(diff, {0: (225, 235, 225), 1: (220, 50, 50)}))
            caption = f"distance {int(diff.sum())} bits"
        for c, panel in enumerate(panels):
            canvas.paste(panel, (PAD + c * (CELL + PAD), y))
        draw.text((PAD, y + CELL + 6), label, fill="black", font=FONT)
        draw.text((PAD + 3 * (CELL + PAD), y + CELL + 6), caption, fill="black", font=FONT)
    OUT.parent.mkdir(exist_ok=True)
    canvas.save(OUT, optimize=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
