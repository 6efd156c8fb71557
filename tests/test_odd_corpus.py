"""Every row of the odd corpus MANIFEST behaves as declared."""

from __future__ import annotations

import csv
import importlib.util
import shutil
from pathlib import Path

import pytest

from neardup.files import discover
from neardup.hashing import hash_file
from neardup.model import ImageRecord, Skipped
from tests.conftest import ODD

ROWS = list(csv.DictReader((ODD / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"))
HEIF = importlib.util.find_spec("pillow_heif") is not None


def test_manifest_is_complete() -> None:
    assert len(ROWS) == 79


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_manifest_row(row: dict[str, str]) -> None:
    path = ODD / row["file"]
    found = discover([ODD], hidden=True)
    if row["expected"] == "must_skip":
        assert str(path) not in found.images
        return
    assert str(path) in found.images
    outcome = hash_file(path)
    if row["expected"] == "hash_ok":
        if path.suffix == ".heic" and not HEIF:
            assert isinstance(outcome, Skipped) and outcome.reason == "needs-extra"
        else:
            assert isinstance(outcome, ImageRecord), outcome
    else:
        assert isinstance(outcome, Skipped), outcome
        assert outcome.detail


def test_hidden_files_skipped_by_default() -> None:
    found = discover([ODD])
    assert str(ODD / ".hidden.jpg") not in found.images
    assert str(ODD / "folder.jpg" / "inner.png") in found.images


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    shutil.copy(ODD / "exif_base.jpg", tmp_path / "a.jpg")
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "b.jpg").symlink_to(tmp_path / "a.jpg")
    found = discover([tmp_path])
    assert found.images == [str(tmp_path / "a.jpg")]
    assert {s.reason for s in found.skipped} == {"symlink"}
