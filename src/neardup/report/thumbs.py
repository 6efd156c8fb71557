"""Thumbnails, made once and cached so that running ``show`` again is fast.

A thumbnail is a JPEG no larger than :data:`THUMB_SIZE` pixels on either side, stored in
``<cache_dir>/thumbs/`` under a name derived from the image's absolute path, byte size and
modification time (and the thumbnail size): an edited or replaced file gets a new
thumbnail, an unchanged one is never decoded again. The cache may be deleted at any time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from neardup.catalog.paths import cache_dir, ensure
from neardup.errors import DecodeError
from neardup.hashing.decode import open_image
from neardup.model import ImageRecord

#: Longest side of a cached thumbnail, in pixels.
THUMB_SIZE = 256
_QUALITY = 85
_FORMAT_VERSION = 1  # bump when the way thumbnails are made changes


def thumbs_dir() -> Path:
    return cache_dir() / "thumbs"


def thumb_key(record: ImageRecord, size: int = THUMB_SIZE) -> str:
    """Cache key of a file's thumbnail: path, byte size and mtime decide it.

    >>> r = ImageRecord("/p/a.jpg", 0, 10, 10, 1234, 5)
    >>> thumb_key(r) == thumb_key(ImageRecord("/p/a.jpg", 7, 99, 99, 1234, 5))
    True
    >>> thumb_key(r) == thumb_key(ImageRecord("/p/a.jpg", 0, 10, 10, 1234, 6))
    False
    """
    ident = f"{_FORMAT_VERSION}\0{os.path.abspath(record.path)}\0{record.size}\0"
    ident += f"{record.mtime_ns}\0{size}"
    return hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:32]


class ThumbnailCache:
    """Thumbnails of image files in a cache folder (default: the user's neardup cache)."""

    def __init__(self, root: Path | None = None, size: int = THUMB_SIZE) -> None:
        self.root = root if root is not None else thumbs_dir()
        self.size = size
        self.made = 0  # thumbnails decoded by this instance (the rest came from the cache)

    def path_for(self, record: ImageRecord) -> Path:
        key = thumb_key(record, self.size)
        return self.root / key[:2] / f"{key}.jpg"

    def get(self, record: ImageRecord) -> Path | None:
        """The thumbnail of ``record``, made now if not cached; ``None`` if it cannot be decoded."""
        target = self.path_for(record)
        if target.is_file():
            return target
        try:
            image = open_image(record.path, draft=(self.size, self.size))
        except DecodeError:
            return None
        image.thumbnail((self.size, self.size), Image.Resampling.LANCZOS)
        if image.mode != "RGB":
            image = image.convert("RGB")
        folder = ensure(target.parent)
        fd, tmp = tempfile.mkstemp(prefix=".thumb-", suffix=".jpg", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                image.save(fh, "JPEG", quality=_QUALITY, optimize=True)
            os.replace(tmp, target)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            return None
        self.made += 1
        return target

    def get_many(
        self,
        records: Sequence[ImageRecord],
        *,
        workers: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Path | None]:
        """Thumbnails of ``records`` in order, made in parallel threads (Pillow frees the GIL)."""
        n = len(records)
        if n == 0:
            return []
        workers = workers or min(8, os.cpu_count() or 1)
        out: list[Path | None] = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done, path in enumerate(pool.map(self.get, records), start=1):
                out.append(path)
                if progress is not None:
                    progress(done, n)
        return out


def load_thumbnail(path: Path, size: int) -> Image.Image:
    """A cached thumbnail scaled to fit ``size`` x ``size`` (for the map)."""
    with Image.open(path) as im:
        im.draft("RGB", (size, size))
        im.load()
        small = im.convert("RGB")
    small.thumbnail((size, size), Image.Resampling.LANCZOS)
    return small
