"""Plain records shared across neardup: what a scan learns about each file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """One hashed image.

    ``hash`` is the perceptual hash as an unsigned integer whose most significant bit is
    the first bit of ImageHash's flattened bit array (so ``f"{hash:016x}"`` equals
    ``str(imagehash.phash(img))`` for 64-bit hashes).
    """

    path: str
    hash: int
    width: int
    height: int
    size: int
    mtime_ns: int
    #: Hash of the image without uniform margins (:mod:`neardup.features`); equal to
    #: ``hash`` when it has none, ``None`` when the scan did not trim.
    trim_hash: int | None = None
    #: The trimmed region as shares of width and height ``(left, top, right, bottom)``.
    trim_box: tuple[float, float, float, float] | None = None

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file a scan met but could not hash, with a short ``reason`` code and a human ``detail``.

    Reason codes: ``empty``, ``unreadable``, ``not-an-image``, ``corrupt``, ``too-large``,
    ``needs-extra``, ``symlink``, ``not-a-file``.
    """

    path: str
    reason: str
    detail: str


HashOutcome = ImageRecord | Skipped
