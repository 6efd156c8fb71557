"""Keep rules: which member of a group survives.

Rules are applied in order as tie-breakers, e.g. ``highest-resolution,largest,oldest``;
``first`` (natural path order) is always appended as the final tie-breaker so the choice
is deterministic.

| rule | keeps |
| --- | --- |
| ``highest-resolution`` | the most pixels of picture (margins do not count) |
| ``largest`` | the most bytes |
| ``smallest`` | the fewest bytes |
| ``oldest`` | the earliest EXIF DateTimeOriginal, else modification time |
| ``newest`` | the latest EXIF DateTimeOriginal, else modification time |
| ``shortest-path`` | the shortest absolute path |
| ``first`` | the first path in natural sort order (``img2`` before ``img10``) |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from PIL import Image

from neardup.hashing.trim import TRIM_PROBE
from neardup.model import KEEP_RULES, ImageRecord, natural_key

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132


@lru_cache(maxsize=65536)
def exif_datetime_ns(path: str) -> int | None:
    """EXIF DateTimeOriginal (else DateTime) of an image as ns since the epoch, or ``None``.

    Only the header is read; the pixels are never decoded.
    """
    try:
        with Image.open(path) as im:
            exif = im.getexif()
            value = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    except (OSError, ValueError, SyntaxError):
        return None
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return int(when.replace(tzinfo=dt.UTC).timestamp() * 1_000_000_000)


def taken_ns(record: ImageRecord) -> int:
    """When the photo was taken: EXIF date if present, else the file's mtime."""
    exif = exif_datetime_ns(record.path)
    return exif if exif is not None else record.mtime_ns


def picture_pixels(r: ImageRecord) -> int:
    """The pixels of picture in an image: all of them, or, when the scan trimmed uniform
    margins (a frame, letterboxing), the region inside them. Margins are found to within
    one cell of a :data:`~neardup.hashing.trim.TRIM_PROBE`-pixel probe, so each trimmed side is
    moved in by one cell: a lower bound, and a framed copy never outranks its original.

    >>> r = ImageRecord("/a.jpg", 0, 1280, 1280, 1, 0, trim_box=(0.1, 0.0, 0.9, 1.0))
    >>> picture_pixels(r), r.pixels
    (1285120, 1638400)
    """
    if r.trim_box is None or r.width <= 0 or r.height <= 0:
        return r.pixels
    left, top, right, bottom = r.trim_box
    long_side = max(r.width, r.height) / TRIM_PROBE
    cell_x, cell_y = long_side / r.width, long_side / r.height
    left += cell_x if left > 0 else 0.0
    top += cell_y if top > 0 else 0.0
    right -= cell_x if right < 1 else 0.0
    bottom -= cell_y if bottom < 1 else 0.0
    return round(max(0.0, right - left) * max(0.0, bottom - top) * r.pixels)


def _rule_key(rule: str, r: ImageRecord) -> Any:
    if rule == "highest-resolution":
        return -picture_pixels(r)
    if rule == "largest":
        return -r.size
    if rule == "smallest":
        return r.size
    if rule == "oldest":
        return taken_ns(r)
    if rule == "newest":
        return -taken_ns(r)
    if rule == "shortest-path":
        return len(r.path)
    return natural_key(r.path)


def record_key(rules: Sequence[str]) -> Callable[[ImageRecord], tuple[Any, ...]]:
    """Sort key over records: the record that sorts first is the one to keep. ``rules`` are
    checked names (:meth:`neardup.api.ScanOptions`); ``first`` always decides last."""
    unknown = [r for r in rules if r not in KEEP_RULES]
    if unknown:
        raise ValueError(f"unknown keep rules {unknown}")
    checked = tuple(rules) if rules and rules[-1] == "first" else (*rules, "first")
    return lambda r: tuple(_rule_key(rule, r) for rule in checked)


def keeper_key(
    records: Sequence[ImageRecord], rules: Sequence[str]
) -> Callable[[int], tuple[Any, ...]]:
    """Sort key over row numbers into ``records``."""
    key = record_key(rules)
    return lambda row: key(records[row])
