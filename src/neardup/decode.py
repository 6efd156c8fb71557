"""Opening image files robustly and normalising them for hashing.

Every decoder failure is turned into :class:`DecodeError` with a short reason code, so a
scan can record it and carry on. Normalisation keeps plain RGB/L/P images untouched (so
hashes equal ImageHash's on them) and fixes the modes where a naive ``convert("L")`` is
wrong: 16-bit and float images are scaled to 8 bits, transparent images are composited
on white, and the EXIF orientation is applied.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

#: Pillow refuses images above twice its own warning limit; neardup does the same by default.
DEFAULT_MAX_PIXELS = 2 * 89_478_485

#: Extensions a scan considers images. Anything else is ignored, not counted as an error.
IMAGE_EXTENSIONS = frozenset(
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".apng", ".gif", ".webp", ".bmp", ".dib",
        ".tif", ".tiff", ".ico", ".ppm", ".pgm", ".pbm", ".pnm", ".tga", ".jp2", ".j2k",
        ".heic", ".heif", ".avif", ".psd", ".pcx", ".sgi", ".qoi",
    }
)  # fmt: skip

#: Extensions whose decoder comes from an optional extra.
_EXTRA_FOR = {".heic": "heic", ".heif": "heic", ".avif": "heic"}

_WHITE = (255, 255, 255)


class DecodeError(Exception):
    """A file could not be decoded; ``reason`` is a short code, the message a human detail."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def is_image_name(name: str) -> bool:
    """True when the file name has an image extension (case-insensitive).

    >>> is_image_name("IMG_0001.JPG"), is_image_name("notes.txt")
    (True, False)
    """
    return Path(name).suffix.lower() in IMAGE_EXTENSIONS


def _register_optional_plugins() -> None:
    try:  # pragma: no cover - depends on the optional extra
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        pass


_register_optional_plugins()


def open_image(
    path: str | Path,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    draft: tuple[int, int] | None = None,
) -> Image.Image:
    """Open, fully decode and normalise the first frame of an image file.

    ``draft`` lets a decoder that can (JPEG) decode at a reduced scale no smaller than
    that size, which makes thumbnails of large photos much cheaper.

    Raises:
        DecodeError: the file is empty, unreadable, not an image, corrupt, or too large.
    """
    p = Path(path)
    try:
        if p.stat().st_size == 0:
            raise DecodeError("empty", "empty file (0 bytes)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                width, height = im.size
                if width * height > max_pixels:
                    raise DecodeError(
                        "too-large",
                        f"{width}x{height} is over the pixel limit ({max_pixels:,} pixels)",
                    )
                im.seek(0)
                if draft is not None:
                    im.draft("RGB", draft)
                im.load()
                oriented = ImageOps.exif_transpose(im)
                return normalise(oriented if oriented is not None else im)
    except DecodeError:
        raise
    except Image.DecompressionBombError as exc:
        raise DecodeError("too-large", str(exc)) from None
    except UnidentifiedImageError:
        extra = _EXTRA_FOR.get(p.suffix.lower())
        if extra:
            raise DecodeError(
                "needs-extra",
                f"cannot decode {p.suffix} files: pip install 'neardup[{extra}]'",
            ) from None
        raise DecodeError("not-an-image", "not a recognised image format") from None
    except PermissionError as exc:
        raise DecodeError("unreadable", exc.strerror or "permission denied") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        raise DecodeError("corrupt", f"{type(exc).__name__}: {exc}".strip()) from None
    except MemoryError:
        raise DecodeError("too-large", "out of memory while decoding") from None


def normalise(im: Image.Image) -> Image.Image:
    """Return an image whose ``convert("L")`` gives faithful grey levels.

    Plain ``RGB``, ``L`` and opaque ``P`` images are returned as they are.
    """
    mode = im.mode
    if mode in ("RGB", "L"):
        return im
    if mode.startswith("I;16") or mode == "I":
        arr = np.asarray(im, dtype=np.float64)
        if mode != "I" or arr.max(initial=0) > 255:
            arr = arr / 257.0
        return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "L")
    if mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        finite = arr[np.isfinite(arr)]
        top = float(finite.max(initial=0.0)) if finite.size else 0.0
        if 0.0 < top <= 1.0:
            arr = arr * 255.0
        return Image.fromarray(np.clip(np.nan_to_num(arr) + 0.5, 0, 255).astype(np.uint8), "L")
    if mode == "P" and "transparency" not in im.info:
        return im
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB")
