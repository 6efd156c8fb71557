from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from neardup.errors import UsageError
from neardup.model import ImageRecord, parse_keep
from neardup.pipeline.keep import exif_datetime_ns, keeper_key


def rec(path: str, w: int, h: int, size: int, mtime: int = 0) -> ImageRecord:
    return ImageRecord(path, 0, w, h, size, mtime)


RECORDS = [
    rec("/a/img10.jpg", 100, 100, 500, mtime=3),
    rec("/a/img2.jpg", 100, 100, 900, mtime=1),
    rec("/a/b/c/img1.jpg", 200, 100, 100, mtime=2),
]


@pytest.mark.parametrize(
    ("rules", "winner"),
    [
        ("highest-resolution", 2),
        ("largest", 1),
        ("smallest", 2),
        ("shortest-path", 1),
        ("first", 2),
        ("oldest", 1),
        ("newest", 0),
        ("largest,first", 1),
    ],
)
def test_rules_choose(rules: str, winner: int) -> None:
    key = keeper_key(RECORDS, parse_keep(rules))
    assert min(range(3), key=key) == winner


def test_ties_fall_through_in_order() -> None:
    records = [rec("/x/b.jpg", 10, 10, 5), rec("/x/a.jpg", 10, 10, 5), rec("/x/c.jpg", 10, 10, 9)]
    key = keeper_key(records, parse_keep("highest-resolution"))
    assert min(range(3), key=key) == 1  # equal pixels -> natural path order
    key = keeper_key(records, parse_keep("highest-resolution,largest"))
    assert min(range(3), key=key) == 2


def test_bad_rule_is_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown keep rule 'biggest'"):
        parse_keep("biggest")
    with pytest.raises(UsageError):
        parse_keep("")


def test_exif_date_beats_mtime(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2001:02:03 04:05:06"
    old = tmp_path / "old.jpg"
    Image.new("RGB", (8, 8)).save(old, exif=exif)
    new = tmp_path / "new.jpg"
    Image.new("RGB", (8, 8)).save(new)
    os.utime(new, ns=(10**18, 10**18))  # 2001-09-09, later than the EXIF date above
    assert exif_datetime_ns(str(old)) == 981173106 * 10**9
    records = [rec(str(new), 8, 8, 1, mtime=10**18), rec(str(old), 8, 8, 1, mtime=2 * 10**18)]
    assert min(range(2), key=keeper_key(records, parse_keep("oldest"))) == 1
