"""Building near-duplicates of real photos for tests (resize, re-encode, crop, flip…)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps


def make_variant(src: Path, dest_dir: Path, kind: str) -> Path:
    """Write a transformed copy of ``src`` into ``dest_dir`` named ``<stem>.<kind>.<ext>``."""
    with Image.open(src) as im:
        im.load()
        img = im.convert("RGB")
    ext = "jpg"
    save_kw: dict[str, object] = {"quality": 90}
    if kind == "resize50":
        img = img.resize(
            (max(1, img.width // 2), max(1, img.height // 2)), Image.Resampling.LANCZOS
        )
    elif kind == "resize25":
        img = img.resize(
            (max(1, img.width // 4), max(1, img.height // 4)), Image.Resampling.LANCZOS
        )
    elif kind == "jpeg70":
        save_kw = {"quality": 70}
    elif kind == "jpeg30":
        save_kw = {"quality": 30}
    elif kind == "png":
        ext, save_kw = "png", {}
    elif kind == "flip":
        img = ImageOps.mirror(img)
    elif kind == "upscale":
        img = img.resize((img.width * 2, img.height * 2), Image.Resampling.BICUBIC)
    else:
        raise ValueError(f"unknown variant kind {kind!r}")
    out = dest_dir / f"{src.stem}.{kind}.{ext}"
    img.save(out, **save_kw)
    return out


def write_noise_images(folder: Path, count: int, *, side: int = 48, seed: int = 0) -> list[Path]:
    """Write ``count`` small, mutually distinct random PNGs (``img00000.png``…) into ``folder``,
    spread over sub-folders of 250; their perceptual hashes are far apart."""
    import numpy as np

    rng = np.random.default_rng(seed)
    paths = []
    for k in range(count):
        sub = folder / f"part{k // 250:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        # coarse random blocks upscaled: compressible, and distinct at hash resolution
        blocks = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
        img = Image.fromarray(blocks, "RGB").resize((side, side), Image.Resampling.NEAREST)
        out = sub / f"img{k:05d}.png"
        img.save(out, compress_level=1)
        paths.append(out)
    return paths
