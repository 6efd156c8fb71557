"""Keep rules: which member of a group survives.

Rules are applied in order as tie-breakers, e.g. ``highest-resolution,largest,oldest``;
``first`` (natural path order) is always appended as the final tie-breaker so the choice
is deterministic.

| rule | keeps |
| --- | --- |
| ``highest-resolution`` | the most pixels of picture (margins do not count); within 2 % |
|                        | of the group's most, pixel counts are a tie (trim noise)       |
| ``best-encoding`` | lossless over lossy, then the higher estimated JPEG quality, then |
|                   | the more bits per pixel (:mod:`neardup.hashing.quality`)          |
| ``camera-metadata`` | EXIF make, model or capture date present                        |
| ``largest`` | the most bytes |
| ``smallest`` | the fewest bytes |
| ``oldest`` | the earliest EXIF DateTimeOriginal, else modification time |
| ``newest`` | the latest EXIF DateTimeOriginal, else modification time |
| ``shortest-path`` | the shortest absolute path |
| ``first`` | the first path in natural sort order (``img2`` before ``img10``) |
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Final

from PIL import Image

from neardup.hashing.decode import header_exif
from neardup.hashing.quality import encoding
from neardup.hashing.trim import TRIM_PROBE
from neardup.model import DEFAULT_KEEP, ImageRecord, natural_key, parse_keep

#: The default before ``best-encoding``: scans saved with it get :data:`DEFAULT_KEEP`.
OLD_DEFAULT_KEEP: Final[tuple[str, ...]] = ("highest-resolution", "largest", "first")
#: Picture pixels within this share of a group's most count as the same resolution.
RESOLUTION_TOLERANCE: Final = 0.02
#: A trimmed side narrower than this share of the image is scan noise, not a margin.
MIN_MARGIN: Final = 0.02

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132


@lru_cache(maxsize=65536)
def exif_datetime_ns(path: str) -> int | None:
    """EXIF DateTimeOriginal (else DateTime) of an image as ns since the epoch, or ``None``.

    Only the header is read; the pixels are never decoded.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a header read: Pillow's remarks are not news
            with Image.open(path) as im:
                exif = header_exif(im, path)
                value = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    except Exception:  # a damaged header (Pillow raises many kinds): no date, no crash
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
    A side trimmed by less than :data:`MIN_MARGIN` is probe noise (a noisier re-encode
    finds a slightly different box) and is not trimmed.

    >>> r = ImageRecord("/a.jpg", 0, 1280, 1280, 1, 0, trim_box=(0.1, 0.0, 0.9, 1.0))
    >>> picture_pixels(r), r.pixels
    (1285120, 1638400)
    >>> picture_pixels(ImageRecord("/b.jpg", 0, 1280, 1280, 1, 0, trim_box=(0.01, 0, 1, 1)))
    1638400
    """
    if r.trim_box is None or r.width <= 0 or r.height <= 0:
        return r.pixels
    left, top, right, bottom = (
        side if min(side, 1 - side) >= MIN_MARGIN else round(side) for side in r.trim_box
    )
    long_side = max(r.width, r.height) / TRIM_PROBE
    cell_x, cell_y = long_side / r.width, long_side / r.height
    left += cell_x if left > 0 else 0.0
    top += cell_y if top > 0 else 0.0
    right -= cell_x if right < 1 else 0.0
    bottom -= cell_y if bottom < 1 else 0.0
    return round(max(0.0, right - left) * max(0.0, bottom - top) * r.pixels)


def _encoding_key(r: ImageRecord) -> tuple[int, float, float]:
    """Lossless first, then higher estimated quality, then more bits per pixel."""
    enc = encoding(r.path, r.size, r.mtime_ns)
    bpp = 8.0 * r.size / r.pixels if r.pixels > 0 else 0.0
    if enc is None:
        return (1, 0.0, -bpp)
    return (0 if enc.lossless else 1, -(enc.quality or 0.0), -bpp)


def _camera_key(r: ImageRecord) -> int:
    enc = encoding(r.path, r.size, r.mtime_ns)
    return 0 if enc is not None and enc.camera else 1


def _rule_key(rule: str, r: ImageRecord) -> Any:
    if rule == "highest-resolution":
        return -picture_pixels(r)
    if rule == "best-encoding":
        return _encoding_key(r)
    if rule == "camera-metadata":
        return _camera_key(r)
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


def group_key(
    records: Sequence[ImageRecord], rules: Sequence[str] = DEFAULT_KEEP
) -> Callable[[ImageRecord], Rank]:
    """Sort key over the members of one group: the member that sorts first is kept.

    Like :func:`record_key`, except that ``highest-resolution`` is measured robustly:

    * members of the same width and height are one picture at one resolution: they all
      count the most picture pixels found among them. A lossy re-encode makes uniform
      margins (a dark sky, a white wall) noisy, so its trimmed box differs from its
      original's by up to a sixth of a side; that must not decide;
    * every member within :data:`RESOLUTION_TOLERANCE` of the group's most picture pixels
      ties with it.

    A framed copy is larger than its original and still ranks by the picture inside its
    frame (:func:`picture_pixels`), so it does not outrank the original.
    """
    checked = parse_keep(rules)
    by_size: dict[tuple[int, int], int] = {}
    for r in records:
        dims = (r.width, r.height)
        by_size[dims] = max(by_size.get(dims, 0), picture_pixels(r))
    most = max(by_size.values(), default=0)
    floor = most * (1 - RESOLUTION_TOLERANCE)

    def resolution(r: ImageRecord) -> int:
        px = by_size.get((r.width, r.height), picture_pixels(r))
        return -most if px >= floor else -px

    def part(rule: str, r: ImageRecord) -> Any:
        return resolution(r) if rule == "highest-resolution" else _rule_key(rule, r)

    return lambda r: Rank(r, checked, part)


class Rank:
    """The sort key of one record under a list of keep rules: ordered like the tuple of its
    rules' keys, but each rule's key is computed only when the rules before it tie, so the
    file headers ``best-encoding``, ``camera-metadata`` and ``oldest`` read are opened only
    for records that tie on resolution (a group of different sizes reads none)."""

    __slots__ = ("_keys", "_part", "_record", "_rules")

    def __init__(
        self,
        record: ImageRecord,
        rules: Sequence[str],
        part: Callable[[str, ImageRecord], Any] | None = None,
    ) -> None:
        self._record, self._rules = record, rules
        self._part = part or _rule_key
        self._keys: list[Any] = []

    def _key(self, k: int) -> Any:
        while len(self._keys) <= k:
            self._keys.append(self._part(self._rules[len(self._keys)], self._record))
        return self._keys[k]

    def _order(self, other: Rank) -> int:
        for k in range(min(len(self._rules), len(other._rules))):
            a, b = self._key(k), other._key(k)
            if a < b:
                return -1
            if b < a:
                return 1
        return 0

    def __lt__(self, other: Rank) -> bool:
        return self._order(other) < 0

    def __gt__(self, other: Rank) -> bool:
        return self._order(other) > 0

    def __le__(self, other: Rank) -> bool:
        return self._order(other) <= 0

    def __ge__(self, other: Rank) -> bool:
        return self._order(other) >= 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rank) and self._order(other) == 0

    __hash__ = None  # type: ignore[assignment]  # ordered, not hashable


def record_key(rules: Sequence[str]) -> Callable[[ImageRecord], Rank]:
    """Sort key over records: the record that sorts first is the one to keep."""
    checked = parse_keep(rules)
    return lambda r: Rank(r, checked)


def keeper_key(
    records: Sequence[ImageRecord], rules: Sequence[str] = DEFAULT_KEEP
) -> Callable[[int], Rank]:
    """Sort key over row numbers into ``records``."""
    key = record_key(rules)
    return lambda row: key(records[row])
