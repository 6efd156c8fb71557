"""Deterministic edits of an image, the variants :mod:`neardup.tools.evaluation` measures against.

Every transform takes an RGB :class:`PIL.Image.Image` and a ``seed`` (an integer derived
from the original's name) and returns a new RGB image; the same input and seed always give
the same output. Encoding transforms (JPEG, PNG) round-trip through an in-memory file.

>>> from PIL import Image
>>> img = Image.new("RGB", (40, 30), (10, 20, 30))
>>> sorted(apply(img, name, seed=1).size for name in ("resize50", "rot90"))
[(20, 15), (30, 40)]
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from typing import Final

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

from neardup.errors import UsageError
from neardup.tools import frames

Transform = Callable[[Image.Image, int], Image.Image]


def seed_for(name: str) -> int:
    """A stable seed for one original (CRC-32 of its name).

    >>> seed_for("a.jpg") == seed_for("a.jpg")
    True
    """
    return zlib.crc32(name.encode("utf-8"))


def _reencode(img: Image.Image, fmt: str, **kw: object) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    buf.seek(0)
    with Image.open(buf) as out:
        out.load()
        return out.convert("RGB")


def _jpeg(quality: int) -> Transform:
    return lambda img, seed: _reencode(img, "JPEG", quality=quality)


def _resize(factor: float) -> Transform:
    def run(img: Image.Image, seed: int) -> Image.Image:
        size = (max(1, round(img.width * factor)), max(1, round(img.height * factor)))
        return img.resize(size, Image.Resampling.LANCZOS)

    return run


def _crop(fraction: float) -> Transform:
    """Keep ``1 - fraction`` of each side, at a seeded (usually off-centre) position."""

    def run(img: Image.Image, seed: int) -> Image.Image:
        rng = np.random.default_rng(seed)
        w, h = img.size
        cw, ch = round(w * (1 - fraction)), round(h * (1 - fraction))
        x = int(rng.integers(0, w - cw + 1))
        y = int(rng.integers(0, h - ch + 1))
        return img.crop((x, y, x + cw, y + ch))

    return run


def _enhance(
    kind: type[ImageEnhance.Brightness | ImageEnhance.Contrast], factor: float
) -> Transform:
    return lambda img, seed: kind(img).enhance(factor)


def _grey(img: Image.Image, seed: int) -> Image.Image:
    return img.convert("L").convert("RGB")


def _hflip(img: Image.Image, seed: int) -> Image.Image:
    return ImageOps.mirror(img)


def _rot90(img: Image.Image, seed: int) -> Image.Image:
    return img.transpose(Image.Transpose.ROTATE_90)


def _rot5(img: Image.Image, seed: int) -> Image.Image:
    """Rotate 5° and crop to the largest upright rectangle, as photo editors do."""
    w, h = img.size
    rotated = img.rotate(5, resample=Image.Resampling.BILINEAR, expand=False)
    a = np.deg2rad(5)
    sin, cos = np.sin(a), np.cos(a)
    # Largest axis-aligned rectangle of the same aspect inside the rotated frame.
    scale = min(w / (w * cos + h * sin), h / (w * sin + h * cos))
    cw, ch = round(w * scale), round(h * scale)
    x, y = (w - cw) // 2, (h - ch) // 2
    return rotated.crop((x, y, x + cw, y + ch))


def _watermark(img: Image.Image, seed: int) -> Image.Image:
    """A small semi-transparent text line near the bottom-right corner."""
    out = img.convert("RGBA")
    layer = Image.new("RGBA", out.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    size = max(10, out.height // 20)
    font = ImageFont.load_default(size=size)
    text = f"© neardup {seed % 10000:04d}"
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = out.width - (right - left) - out.width // 30
    y = out.height - (bottom - top) - out.height // 30
    draw.text((x, y), text, font=font, fill=(255, 255, 255, 170))
    return Image.alpha_composite(out, layer).convert("RGB")


def _noise(img: Image.Image, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    arr = np.array(img, dtype=np.float32)
    arr += 8.0 * rng.standard_normal(size=arr.shape, dtype=np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def _border(img: Image.Image, seed: int) -> Image.Image:
    """A uniform frame 5% of the short side wide (white or black, by seed)."""
    width = max(1, round(0.05 * min(img.size)))
    colour = (255, 255, 255) if seed % 2 else (0, 0, 0)
    return ImageOps.expand(img, border=width, fill=colour)


def _png(img: Image.Image, seed: int) -> Image.Image:
    return _reencode(img, "PNG", compress_level=1)


def screenshot(img: Image.Image, seed: int, half: int | None = None) -> Image.Image:
    """The image at 35–60% of the width of an application frame (a screenshot of it shown
    in a viewer, a phone app, a web page…), the design chosen by ``seed`` among the designs
    of ``half`` (0 tuning, 1 held-out; ``None``: all)."""
    names = frames.NAMES if half is None else frames.NAMES[half::2]
    return frames.screenshot(img, seed, names)[0]


#: Every transform by name, in report order. Photometric edits first, geometric after.
TRANSFORMS: Final[dict[str, Transform]] = {
    "jpeg30": _jpeg(30),
    "jpeg70": _jpeg(70),
    "png": _png,
    "resize50": _resize(0.5),
    "resize25": _resize(0.25),
    "bright+20": _enhance(ImageEnhance.Brightness, 1.2),
    "bright-20": _enhance(ImageEnhance.Brightness, 0.8),
    "contrast+20": _enhance(ImageEnhance.Contrast, 1.2),
    "contrast-20": _enhance(ImageEnhance.Contrast, 0.8),
    "grey": _grey,
    "noise": _noise,
    "watermark": _watermark,
    "border5": _border,
    "crop5": _crop(0.05),
    "crop10": _crop(0.10),
    "rot5": _rot5,
    "hflip": _hflip,
    "rot90": _rot90,
    "screenshot": screenshot,
}

#: Transform names grouped by what they change (used in reports and acceptance checks).
PHOTOMETRIC: Final[tuple[str, ...]] = (
    "jpeg30", "jpeg70", "png", "resize50", "resize25", "bright+20", "bright-20",
    "contrast+20", "contrast-20", "grey", "noise",
)  # fmt: skip


def parse_transforms(spec: str) -> tuple[str, ...]:
    """``"all"`` or a comma list of names → names in report order.

    >>> parse_transforms("rot90,jpeg30")
    ('jpeg30', 'rot90')
    """
    if spec.strip() == "all":
        return tuple(TRANSFORMS)
    names = {s.strip() for s in spec.split(",") if s.strip()}
    unknown = sorted(names - TRANSFORMS.keys())
    if unknown or not names:
        raise UsageError(
            f"unknown transform(s) {', '.join(unknown) or spec!r}; "
            f"choose 'all' or from: {', '.join(TRANSFORMS)}"
        )
    return tuple(t for t in TRANSFORMS if t in names)


def apply(img: Image.Image, name: str, seed: int, half: int | None = None) -> Image.Image:
    """Apply transform ``name`` to an RGB image (``half`` keeps a screenshot's frame design
    within that half of the designs)."""
    if name == "screenshot":
        return screenshot(img.convert("RGB"), seed, half)
    return TRANSFORMS[name](img.convert("RGB"), seed)
