"""Every row of the odd corpus MANIFEST behaves as declared."""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from neardup.api import scan
from neardup.bits import hamming
from neardup.hashing.core import hash_file
from neardup.hashing.spec import hash_image
from neardup.model import HashSpec, ImageRecord, Skipped
from neardup.pipeline.discover import discover
from tests.conftest import ODD

ROWS = list(csv.DictReader((ODD / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"))
HEIF = importlib.util.find_spec("pillow_heif") is not None


def test_manifest_is_complete() -> None:
    assert len(ROWS) == 79


@pytest.fixture(scope="module")
def odd_images() -> list[str]:
    return discover([ODD], hidden=True).images


@pytest.mark.parametrize("compat", [False, True], ids=["fast", "compat"])
@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_manifest_row(row: dict[str, str], compat: bool, odd_images: list[str]) -> None:
    path = ODD / row["file"]
    if row["expected"] == "must_skip":
        assert str(path) not in odd_images
        return
    assert str(path) in odd_images
    outcome = hash_file(path, compat=compat)
    if row["expected"] == "hash_ok":
        if path.suffix == ".heic" and not HEIF:
            assert isinstance(outcome, Skipped) and outcome.reason == "needs-extra"
        else:
            assert isinstance(outcome, ImageRecord), outcome
            assert outcome.width > 0 and outcome.height > 0
    else:
        assert isinstance(outcome, Skipped), outcome
        assert outcome.reason in {"corrupt", "not-an-image", "empty", "too-large"}
        assert outcome.detail


ORIENTED = [f"exif_orientation_{n}.jpg" for n in range(1, 9)]
ORIENTED += ["exif_orientation_6.png", "exif_orientation_invalid_9.jpg"]


@pytest.mark.parametrize("compat", [False, True], ids=["fast", "compat"])
@pytest.mark.parametrize("algorithm", ["phash", "dhash", "ahash", "whash"])
def test_exif_orientations_hash_like_the_upright_base(compat: bool, algorithm: str) -> None:
    spec = HashSpec(algorithm)
    base = hash_file(ODD / "exif_base.jpg", spec, compat=compat)
    assert isinstance(base, ImageRecord)
    for name in ORIENTED:
        rec = hash_file(ODD / name, spec, compat=compat)
        assert isinstance(rec, ImageRecord), rec
        assert hamming(rec.hash, base.hash) <= 2, name
        assert (rec.width, rec.height) == (base.width, base.height), name
    # the raw pixels of a rotated file really are rotated: ignoring EXIF would not do
    with Image.open(ODD / "exif_orientation_6.jpg") as im:
        raw = hash_image(im, spec, compat=True)
    assert hamming(raw, base.hash) > 2


def test_hash_ok_files_are_near_the_base_in_both_modes() -> None:
    """Re-encodings of the base stay near it, fast or compat; the modes agree closely."""
    base = hash_file(ODD / "exif_base.jpg")
    assert isinstance(base, ImageRecord)
    near = [
        r["file"]
        for r in ROWS
        if r["expected"] == "hash_ok"
        and "near-duplicate of exif_base.jpg" in r["note"]
        and not any(cond in r["note"] for cond in ("may or may not", " if "))
    ]
    assert len(near) > 30
    for name in near:
        if name.endswith(".heic") and not HEIF:
            continue
        fast, compat = hash_file(ODD / name), hash_file(ODD / name, compat=True)
        assert isinstance(fast, ImageRecord) and isinstance(compat, ImageRecord), name
        assert hamming(fast.hash, base.hash) <= 10, name
        assert hamming(fast.hash, compat.hash) <= 2, name


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _scan_odd_repeatedly(rounds: int) -> None:
    scan([ODD], hidden=True, jobs=1)  # warm up: lazy imports, caches
    before = _open_fds()
    for k in range(rounds):
        result = scan([ODD], hidden=True, jobs=1, compat=k % 2 == 1)
        assert len(result.skipped) == 16
    assert _open_fds() <= before


needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")


@needs_proc
def test_no_file_handles_leak_over_repeated_scans() -> None:
    _scan_odd_repeatedly(6)


@needs_proc
@pytest.mark.slow
def test_no_file_handles_leak_over_200_scans() -> None:
    _scan_odd_repeatedly(200)


def test_missing_heif_decoder_gives_an_install_hint(tmp_path: Path) -> None:
    """Without pillow-heif a HEIC file is skipped as needs-extra, with the pip command."""
    code = (
        "import sys; sys.modules['pillow_heif'] = None\n"
        "from neardup.hashing.core.core import hash_file\n"
        f"o = hash_file({str(ODD / 'reencoded.heic')!r})\n"
        "print(o.reason); print(o.detail)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    assert out == ["needs-extra", "cannot decode .heic files: pip install 'neardup[heic]'"]


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
