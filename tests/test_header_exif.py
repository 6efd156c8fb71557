"""EXIF dates are read from file headers: a PNG's pixels are never decoded for them."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from neardup.pipeline.keep import exif_datetime_ns


def _png_with_late_exif(path: Path, date: str) -> None:
    """A PNG whose eXIf chunk comes after the pixel data (as cameras and editors write it)."""
    pixels = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    exif = Image.Exif()
    exif[0x0132] = date
    payload = exif.tobytes()
    crc = zlib.crc32(b"eXIf" + payload) & 0xFFFFFFFF
    chunk = struct.pack(">I", len(payload)) + b"eXIf" + payload + struct.pack(">I", crc)
    data = path.read_bytes()
    end = data.rindex(b"IEND") - 4
    path.write_bytes(data[:end] + chunk + data[end:])


def test_png_date_after_the_pixels_is_read_without_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "late.png"
    _png_with_late_exif(path, "2019:08:12 15:30:12")

    def no_decode(self: Image.Image) -> None:
        raise AssertionError("the pixels were decoded for a date")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", no_decode)
    exif_datetime_ns.cache_clear()
    assert exif_datetime_ns(str(path)) == 1565623812 * 10**9


def test_png_without_exif_has_no_date(tmp_path: Path) -> None:
    path = tmp_path / "plain.png"
    Image.new("RGB", (40, 30), (10, 20, 30)).save(path)
    exif_datetime_ns.cache_clear()
    assert exif_datetime_ns(str(path)) is None
