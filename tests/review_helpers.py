"""Helpers for the review tests: a generated library of near-duplicates and a server runner."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HOSTILE = "<script>alert(1)<img src=x onerror=alert(2)>.jpg"


def picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A smooth random picture with a few shapes: distinct hashes for distinct seeds."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    im = Image.fromarray(coarse, "RGB").resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        x, y = int(rng.integers(0, size[0] - 120)), int(rng.integers(0, size[1] - 120))
        w, h = int(rng.integers(40, 120)), int(rng.integers(40, 120))
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        if rng.random() < 0.5:
            draw.ellipse((x, y, x + w, y + h), fill=colour)
        else:
            draw.rectangle((x, y, x + w, y + h), fill=colour)
    return im


def make_library(root: Path) -> dict[str, Path]:
    """Originals in ``photos/`` and smaller copies in ``copies/``: groups a, b, c and a
    hostile-named one (d), plus two singles. Returns the files by role name."""
    (root / "photos").mkdir(parents=True)
    (root / "copies").mkdir()
    files: dict[str, Path] = {}
    for k, name in enumerate("abcdef"):
        im = picture(100 + k)
        orig = root / "photos" / f"{name}.jpg"
        im.save(orig, "JPEG", quality=95)
        files[name] = orig
        if name in "abcd":
            copy_name = HOSTILE if name == "d" else f"{name}-small.jpg"
            copy = root / "copies" / copy_name
            im.resize((320, 240), Image.Resampling.LANCZOS).save(copy, "JPEG", quality=70)
            files[f"{name}-copy"] = copy
    return files


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root``."""
    out = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out
