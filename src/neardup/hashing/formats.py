"""Which files are images, and what to install for a format
whose decoder is optional. Standard library only: discovery and the command line read these
without loading Pillow."""

from __future__ import annotations

import stat
import struct
from pathlib import Path
from typing import Final

from neardup.errors import install_hint

#: Extensions a scan considers images. Anything else is ignored, not counted as an error.
IMAGE_EXTENSIONS: Final = frozenset(
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".apng", ".gif", ".webp", ".bmp", ".dib",
        ".tif", ".tiff", ".ico", ".ppm", ".pgm", ".pbm", ".pnm", ".tga", ".jp2", ".j2k",
        ".heic", ".heif", ".avif", ".psd", ".pcx", ".sgi", ".qoi",
    }
)  # fmt: skip


def is_image_name(name: str) -> bool:
    """True when the file name has an image extension (case-insensitive).

    >>> is_image_name("IMG_0001.JPG"), is_image_name("notes.txt")
    (True, False)
    """
    return Path(name).suffix.lower() in IMAGE_EXTENSIONS


def missing_decoder_hint(suffix: str) -> str | None:
    """The install hint for a format whose decoder is optional, or ``None``."""
    if suffix in (".heic", ".heif"):
        return f"cannot decode {suffix} files: {install_hint('heic')}"
    if suffix == ".avif":
        return "cannot decode .avif files: Pillow >= 11.2 with AVIF support is needed"
    return None


def special_file(mode: int) -> str | None:
    """What a file that is not a regular file is (``"a FIFO"``, ...), else ``None``.

    >>> special_file(stat.S_IFIFO), special_file(stat.S_IFREG) is None
    ('a FIFO', True)
    """
    if stat.S_ISREG(mode):
        return None
    for test, what in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return what
    return "not a regular file"


PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"


def png_chunk(path: str | Path, wanted: bytes, limit: int = 1 << 20) -> bytes | None:
    """The data of the first ``wanted`` chunk of a PNG file (at most ``limit`` bytes), or
    ``None``; chunks are skipped by their lengths, so no pixel data is read or decoded."""
    with open(path, "rb") as f:
        if f.read(8) != PNG_SIGNATURE:
            return None
        while True:
            head = f.read(8)
            if len(head) < 8:
                return None
            length, kind = struct.unpack(">I4s", head)
            if kind == wanted:
                return f.read(min(length, limit))
            if kind == b"IEND":
                return None
            f.seek(length + 4, 1)  # the data and its CRC
