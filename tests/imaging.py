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


def photo_like(seed: int, size: tuple[int, int] = (400, 300)) -> Image.Image:
    """A photo-like picture: smooth random light with fine texture and a few shapes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    w, h = size
    low = rng.random((6, 8, 3)) * 255
    base = np.asarray(
        Image.fromarray(low.astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC),
        dtype=np.float64,
    )
    base += rng.normal(0, 12, (h, w, 3))
    for _ in range(4):
        x0, y0 = rng.integers(0, w - 60), rng.integers(0, h - 60)
        dx, dy = rng.integers(20, 60), rng.integers(20, 60)
        base[y0 : y0 + dy, x0 : x0 + dx] = rng.integers(0, 256, 3)
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
