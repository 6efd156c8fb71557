"""How well a file encodes its picture, read from the file header only (nothing decoded).

The ``best-encoding`` and ``camera-metadata`` keep rules (:mod:`neardup.pipeline.keep`) use this
to prefer, among copies of one picture at the same resolution, the one a photographer
would keep:

* a lossless file (PNG, TIFF, BMP, lossless WebP, …) over a lossy one;
* among JPEGs, the higher quality, estimated from the luminance quantisation table
  against the IJG reference table (the scale libjpeg, Pillow, most cameras and editors
  use): ``quality 30`` re-encodes of a ``quality 85`` original estimate 30 and 85;
* then the higher bits per pixel (a re-encode of the same pixels is rarely larger);
* camera metadata (EXIF make, model or capture date) present over absent.

Results are cached per ``(path, size, mtime)``.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from PIL import Image

from neardup.hashing.decode import header_exif

#: The IJG (libjpeg) standard luminance quantisation table, natural order (Annex K).
_IJG_LUMA: Final = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip

#: Formats whose pixels are stored exactly.
LOSSLESS: Final = frozenset({"PNG", "TIFF", "BMP", "GIF", "PPM", "TGA", "QOI", "DIB", "PCX"})

_MAKE, _MODEL, _EXIF_IFD, _DATETIME_ORIGINAL = 0x010F, 0x0110, 0x8769, 0x9003


@dataclass(frozen=True, slots=True)
class Encoding:
    """What a file's header says about how its picture is stored."""

    format: str
    lossless: bool
    #: Estimated JPEG quality (1-100), ``100.0`` for lossless, ``None`` when unknown.
    quality: float | None
    #: EXIF make, model or capture date present.
    camera: bool


def jpeg_quality(tables: dict[int, list[int]] | None) -> float | None:
    """Estimate the IJG quality (1-100) a JPEG was saved with from its quantisation tables.

    The luminance table's sum is compared with the reference table's: libjpeg scales the
    reference by ``S = 5000 / q`` (q < 50) or ``200 - 2 q`` percent, so ``q`` follows from
    ``S``. Tables not made that way (some cameras) still rank by coarseness.

    >>> jpeg_quality({0: [x * 50 // 100 or 1 for x in _IJG_LUMA]})
    75.0
    >>> jpeg_quality(None) is None
    True
    """
    if not tables or 0 not in tables or len(tables[0]) != 64:
        return None
    scale = 100.0 * sum(tables[0]) / sum(_IJG_LUMA)
    quality = (200.0 - scale) / 2.0 if scale <= 100.0 else 5000.0 / scale
    return round(min(100.0, max(1.0, quality)) * 2) / 2  # halves: rounding noise of tables


def _webp_lossless(path: str) -> bool:
    with contextlib.suppress(OSError), open(path, "rb") as fh:
        head = fh.read(16)
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:16] == b"VP8L"
    return False


@lru_cache(maxsize=65536)
def _read(path: str, size: int, mtime_ns: int) -> Encoding | None:
    del size, mtime_ns  # only part of the cache key
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                fmt = (im.format or "").upper()
                tables = getattr(im, "quantization", None) if fmt in ("JPEG", "MPO") else None
                exif = header_exif(im, path)
                camera = bool(
                    exif.get(_MAKE)
                    or exif.get(_MODEL)
                    or exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
                )
    except Exception:  # any header Pillow cannot read: no opinion on its encoding
        return None
    lossless = fmt in LOSSLESS or (fmt == "WEBP" and _webp_lossless(path))
    quality = 100.0 if lossless else jpeg_quality(tables)
    return Encoding(fmt, lossless, quality, camera)


def encoding(path: str, size: int = -1, mtime_ns: int = -1) -> Encoding | None:
    """The :class:`Encoding` of ``path`` (header only), or ``None`` if unreadable.

    ``size`` and ``mtime_ns`` (from the scan) key the cache, so a file that changed is
    read again.
    """
    return _read(path, size, mtime_ns)
