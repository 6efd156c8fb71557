from __future__ import annotations

from pathlib import Path

import imagehash
import numpy as np
import pytest
from PIL import Image

from neardup.errors import UsageError
from neardup.hashing import (
    ALGORITHMS,
    HashSpec,
    as_hash_array,
    distances_to,
    from_array,
    hamming,
    hash_file,
    hash_image,
    to_array,
)
from neardup.model import ImageRecord, Skipped

IMAGEHASH = {
    "phash": imagehash.phash,
    "dhash": imagehash.dhash,
    "ahash": imagehash.average_hash,
    "whash": imagehash.whash,
}


def test_phash_equals_imagehash_on_every_corpus_photo(photo_paths: list[Path]) -> None:
    assert len(photo_paths) == 150
    for path in photo_paths:
        outcome = hash_file(path)
        assert isinstance(outcome, ImageRecord), outcome
        with Image.open(path) as im:
            expected = str(imagehash.phash(im))
        assert HashSpec().hex(outcome.hash) == expected, path.name


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("size", [8, 16])
def test_every_algorithm_and_size_equals_imagehash(
    photo_paths: list[Path], algorithm: str, size: int
) -> None:
    spec = HashSpec(algorithm, size)
    for path in photo_paths[::15]:
        with Image.open(path) as im:
            im.load()
            expected = str(IMAGEHASH[algorithm](im, hash_size=size))
            got = hash_image(im, spec)
        assert spec.hex(got) == expected
        assert got.bit_length() <= spec.bits


def test_hash_record_fields(photo_paths: list[Path]) -> None:
    path = photo_paths[0]
    rec = hash_file(path)
    assert isinstance(rec, ImageRecord)
    with Image.open(path) as im:
        assert (rec.width, rec.height) == im.size
    assert rec.size == path.stat().st_size
    assert rec.mtime_ns == path.stat().st_mtime_ns


def test_resized_copy_is_near(photo_paths: list[Path], tmp_path: Path) -> None:
    with Image.open(photo_paths[5]) as im:
        im.convert("RGB").resize((im.width // 2, im.height // 2)).save(tmp_path / "small.jpg")
    a, b = hash_file(photo_paths[5]), hash_file(tmp_path / "small.jpg")
    assert isinstance(a, ImageRecord) and isinstance(b, ImageRecord)
    assert hamming(a.hash, b.hash) <= 6


def test_bad_files_are_skipped_not_raised(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    assert isinstance(hash_file(tmp_path / "empty.jpg"), Skipped)
    skipped = hash_file(tmp_path / "text.png")
    assert isinstance(skipped, Skipped) and skipped.reason == "not-an-image"
    gone = hash_file(tmp_path / "missing.jpg")
    assert isinstance(gone, Skipped) and gone.reason == "unreadable"


def test_array_roundtrip_64_and_256_bits() -> None:
    rng = np.random.default_rng(1)
    vals64 = [int(v) for v in rng.integers(0, 2**63, 50)] + [2**64 - 1, 0]
    arr = to_array(vals64, 1)
    assert arr.shape == (52, 1) and arr.dtype == np.uint64
    assert from_array(arr) == vals64
    vals256 = [int.from_bytes(rng.bytes(32), "big") for _ in range(20)]
    arr4 = to_array(vals256, 4)
    assert arr4.shape == (20, 4)
    assert from_array(arr4) == vals256
    assert int(arr4[0, 0]) == vals256[0] >> 192  # word 0 is most significant
    d = distances_to(arr4, arr4[3])
    assert d.tolist() == [hamming(v, vals256[3]) for v in vals256]
    assert as_hash_array(np.array([1, 2], dtype=np.uint64)).shape == (2, 1)


def test_spec_validation() -> None:
    with pytest.raises(UsageError, match="unknown hash"):
        HashSpec("md5")
    with pytest.raises(UsageError, match="hash size"):
        HashSpec("phash", 12)
    assert HashSpec("phash", 16).words == 4
