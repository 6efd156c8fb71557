"""What ``neardup review`` shows of one file (header facts, thumbnail, image, difference),
and the page's own static files.

Every function here takes an :class:`~neardup.model.ImageRecord` the server already
found by file id (never a path from the client) and answers ``None`` when there is
nothing to show, which the server turns into 404. A file is served only while it is a
regular file (not a symbolic link) that Pillow opens as an image.
"""

from __future__ import annotations

import io
import os
import stat
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Final

from PIL import Image, ImageChops, ImageOps
from starlette.responses import FileResponse, Response

from neardup.errors import DecodeError
from neardup.hashing.decode import open_image
from neardup.hashing.quality import jpeg_quality
from neardup.model import ImageRecord
from neardup.pipeline.keep import exif_datetime_ns
from neardup.report.html import format_date
from neardup.report.thumbs import ThumbnailCache

#: Formats a browser shows as they are; others are converted to PNG when viewed.
WEB_FORMATS: Final = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
}
#: Longest side of the difference image.
DIFF_SIZE: Final = 2048
#: The page's script, style and icon (``report/static`` in the package), by name.
STATIC_FILES: Final = {
    "review.css": "text/css; charset=utf-8",
    "review.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}


@lru_cache(maxsize=4096)
def file_info(path: str, size: int, mtime_ns: int) -> dict[str, str]:
    """Format, JPEG quality estimate, date and camera of one file (header only)."""
    info = {"format": "?", "quality": "", "camera": "", "date": "", "date_source": "modified"}
    exif_ns = exif_datetime_ns(path)
    info["date"] = format_date(exif_ns if exif_ns is not None else mtime_ns)
    if exif_ns is not None:
        info["date_source"] = "taken (EXIF)"
    try:
        with Image.open(path) as im:
            info["format"] = im.format or "?"
            if im.format == "JPEG":
                q = jpeg_quality(getattr(im, "quantization", None))
                info["quality"] = f"~{round(q)}" if q is not None else ""
            exif = im.getexif()
            make = str(exif.get(0x010F) or "").strip("\x00 ")
            model = str(exif.get(0x0110) or "").strip("\x00 ")
            if model.lower().startswith(make.lower()):
                make = ""
            info["camera"] = " ".join(p for p in (make, model) if p)
    except (OSError, ValueError, SyntaxError):
        info["format"] = "unreadable"
    return info


def regular_file(path: str) -> bool:
    """True when ``path`` is a regular file itself (a symbolic link is not)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def thumbnail(record: ImageRecord, cache: ThumbnailCache, *, removed: bool) -> Response | None:
    """The cached thumbnail of ``record`` (made on first view); a file the review removed
    is still shown from the cache."""
    cached: Path | None
    if removed and cache.path_for(record).is_file():
        cached = cache.path_for(record)
    elif not regular_file(record.path):
        return None
    else:
        cached = cache.get(record)
    if cached is None:
        return None
    return FileResponse(cached, media_type="image/jpeg", content_disposition_type="inline")


def full_image(record: ImageRecord) -> Response | None:
    """The file at full resolution: as it is when browsers show its format, else as PNG."""
    if not regular_file(record.path):
        return None
    try:
        with Image.open(record.path) as im:
            fmt = im.format or ""
    except (OSError, ValueError, SyntaxError):
        return None
    if fmt in WEB_FORMATS:
        return FileResponse(
            record.path, media_type=WEB_FORMATS[fmt], content_disposition_type="inline"
        )
    try:
        decoded = open_image(record.path)
    except DecodeError:
        return None
    buf = io.BytesIO()
    decoded.save(buf, "PNG")
    return Response(buf.getvalue(), media_type="image/png")


def difference(a: ImageRecord, b: ImageRecord) -> Response | None:
    """|A − B| as PNG: B scaled to A's size (at most :data:`DIFF_SIZE`), contrast stretched."""
    try:
        ia = open_image(a.path, draft=(DIFF_SIZE, DIFF_SIZE)).convert("RGB")
        ib = open_image(b.path, draft=(DIFF_SIZE, DIFF_SIZE)).convert("RGB")
    except DecodeError:
        return None
    ia.thumbnail((DIFF_SIZE, DIFF_SIZE))
    ib = ib.resize(ia.size, Image.Resampling.LANCZOS)
    delta = ImageOps.autocontrast(ImageChops.difference(ia, ib), cutoff=0.5)
    buf = io.BytesIO()
    delta.save(buf, "PNG")
    return Response(buf.getvalue(), media_type="image/png")


def static_file(name: str) -> Response | None:
    """One of :data:`STATIC_FILES`, read from the installed package (never another name)."""
    if name not in STATIC_FILES:
        return None
    data = resources.files("neardup.report").joinpath("static", name).read_bytes()
    return Response(data, media_type=STATIC_FILES[name])
