"""Every row of the odd files' MANIFEST behaves as declared (tests/data/odd, and the full
corpus's odd/ in a slow test when ``NEARDUP_CORPUS`` names it)."""

from __future__ import annotations

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
from tests.conftest import ODD, read_manifest

ROWS = read_manifest()
HEIF = importlib.util.find_spec("pillow_heif") is not None
#: What a scan of the odd files reports as skipped: every file that must error cleanly.
MUST_ERROR = sum(r["expected"] == "must_error_cleanly" for r in ROWS)


def _files(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.name != "MANIFEST.tsv"
    }


def test_manifest_is_complete() -> None:
    """Every file has exactly one row and every row a file; every kind of outcome is there."""
    names = [r["file"] for r in ROWS]
    assert len(names) == len(set(names))
    assert set(names) == _files(ODD)
    assert {r["expected"] for r in ROWS} == {"hash_ok", "must_error_cleanly", "must_skip"}
    assert MUST_ERROR >= 10


@pytest.fixture(scope="module")
def odd_images() -> list[str]:
    return discover([ODD], hidden=True).images


def check_row(odd: Path, row: dict[str, str], compat: bool, odd_images: list[str]) -> None:
    path = odd / row["file"]
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


@pytest.mark.parametrize("compat", [False, True], ids=["fast", "compat"])
@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_manifest_row(row: dict[str, str], compat: bool, odd_images: list[str]) -> None:
    check_row(ODD, row, compat, odd_images)


@pytest.mark.slow
def test_every_row_of_the_full_corpus(full_corpus: Path) -> None:
    """The full corpus's odd/ holds more formats (TIFF, BMP, 16-bit and RGBA PNG, CMYK...)."""
    odd = full_corpus / "odd"
    rows = read_manifest(odd)
    assert {r["file"] for r in rows} == _files(odd)
    images = discover([odd], hidden=True).images
    for row in rows:
        for compat in (False, True):
            check_row(odd, row, compat, images)
    result = scan([odd], hidden=True, jobs=1, use_cache=False)
    assert len(result.skipped) == sum(r["expected"] == "must_error_cleanly" for r in rows)


ORIENTED = [f"exif_orientation_{n}.jpg" for n in range(1, 9)]
ORIENTED += ["exif_orientation_invalid_9.jpg"]
#: Only in the full corpus (a 300 KB PNG): an orientation in a PNG eXIf chunk.
ORIENTED_FULL = [*ORIENTED, "exif_orientation_6.png"]
ALGORITHMS = ["phash", "dhash", "ahash", "whash"]


@pytest.mark.parametrize("compat", [False, True], ids=["fast", "compat"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_exif_orientations_hash_like_the_upright_base(compat: bool, algorithm: str) -> None:
    check_orientations(ODD, ORIENTED, algorithm, compat)


@pytest.mark.slow
def test_exif_orientations_of_the_full_corpus(full_corpus: Path) -> None:
    for algorithm in ALGORITHMS:
        for compat in (False, True):
            check_orientations(full_corpus / "odd", ORIENTED_FULL, algorithm, compat)


def check_orientations(odd: Path, names: list[str], algorithm: str, compat: bool) -> None:
    spec = HashSpec(algorithm)
    base = hash_file(odd / "exif_base.jpg", spec, compat=compat)
    assert isinstance(base, ImageRecord)
    for name in names:
        rec = hash_file(odd / name, spec, compat=compat)
        assert isinstance(rec, ImageRecord), rec
        assert hamming(rec.hash, base.hash) <= 2, name
        assert (rec.width, rec.height) == (base.width, base.height), name
    # the raw pixels of a rotated file really are rotated: ignoring EXIF would not do
    with Image.open(odd / "exif_orientation_6.jpg") as im:
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
    assert len(near) >= 25
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
        assert len(result.skipped) == MUST_ERROR
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
        "from neardup.hashing.core import hash_file\n"
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
