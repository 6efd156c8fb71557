from __future__ import annotations

import functools
from pathlib import Path

import imagehash
import numpy as np
import pytest
from PIL import Image

from neardup.bits import as_hash_array, distances_to, from_array, hamming, to_array
from neardup.errors import UsageError
from neardup.hashing.core import hash_file
from neardup.hashing.decode import open_thumbnail, open_thumbnails
from neardup.hashing.fast import input_size
from neardup.hashing.spec import hash_image
from neardup.hashing.trim import working_size
from neardup.model import ALGORITHMS, HashSpec, ImageRecord, Skipped
from tests.conftest import photo

IMAGEHASH = {
    "phash": imagehash.phash,
    "dhash": imagehash.dhash,
    "ahash": imagehash.average_hash,
    "whash": imagehash.whash,
}


@pytest.fixture(scope="module")
def live_phash(photo_paths: list[Path]) -> dict[Path, int]:
    """``imagehash.phash`` of every test photo, computed now with the installed libraries."""
    assert len(photo_paths) >= 30
    out = {}
    for path in photo_paths:
        with Image.open(path) as im:
            out[path] = int(str(imagehash.phash(im)), 16)
    return out


def test_compat_phash_equals_imagehash_on_every_corpus_photo(live_phash: dict[Path, int]) -> None:
    for path, expected in live_phash.items():
        outcome = hash_file(path, compat=True)
        assert isinstance(outcome, ImageRecord), outcome
        assert outcome.hash == expected, path.name


def test_fast_phash_agrees_with_imagehash_on_corpus_photos(live_phash: dict[Path, int]) -> None:
    distances = []
    for path, expected in live_phash.items():
        outcome = hash_file(path)
        assert isinstance(outcome, ImageRecord), outcome
        distances.append(hamming(outcome.hash, expected))
    within = sum(d <= 2 for d in distances) / len(distances)
    assert within >= 0.99, sorted(distances)[-10:]
    # the fast path is not a disguised compat path: its decoding does differ somewhere
    assert any(d > 0 for d in distances)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("size", [8, 16])
def test_every_algorithm_and_size_equals_imagehash_in_compat_mode(
    photo_paths: list[Path], algorithm: str, size: int
) -> None:
    spec = HashSpec(algorithm, size)
    for path in photo_paths[::4]:  # ten photos
        with Image.open(path) as im:
            im.load()
            expected = str(IMAGEHASH[algorithm](im, hash_size=size))
            got = hash_image(im, spec, compat=True)
            fast = hash_image(im, spec)
        assert spec.hex(got) == expected
        assert got.bit_length() <= spec.bits
        assert fast.bit_length() <= spec.bits
        assert hamming(fast, got) <= spec.bits // 16, path.name


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_fast_file_hash_is_near_imagehash_for_every_algorithm(
    photo_paths: list[Path], algorithm: str
) -> None:
    spec = HashSpec(algorithm)
    for path in photo_paths[1::6]:  # six photos
        fast, compat = hash_file(path, spec), hash_file(path, spec, compat=True)
        assert isinstance(fast, ImageRecord) and isinstance(compat, ImageRecord)
        assert (fast.width, fast.height) == (compat.width, compat.height)
        assert hamming(fast.hash, compat.hash) <= 2, path.name


def test_uniform_images_share_one_fast_hash(tmp_path: Path) -> None:
    hashes = set()
    for k, (mode, colour, size) in enumerate(
        [("L", 200, (640, 480)), ("RGB", (200, 200, 200), (31, 977)), ("L", 17, (8, 8))]
    ):
        Image.new(mode, size, colour).save(tmp_path / f"u{k}.png")
        rec = hash_file(tmp_path / f"u{k}.png")
        assert isinstance(rec, ImageRecord)
        hashes.add(rec.hash)
    assert hashes == {1 << 63}  # only the DC coefficient is above the median


def test_large_jpeg_is_decoded_reduced_but_sized_in_full(tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    with Image.open(photo(3)) as im:
        im.convert("RGB").resize((4000, 3000)).save(big, quality=90)
    fast, compat = hash_file(big), hash_file(big, compat=True)
    assert isinstance(fast, ImageRecord) and isinstance(compat, ImageRecord)
    assert (fast.width, fast.height) == (4000, 3000) == (compat.width, compat.height)
    assert hamming(fast.hash, compat.hash) <= 2
    thumb = open_thumbnail(big, lambda w, h: (32, 32))
    assert thumb.image.size == (32, 32) and thumb.image.mode == "L"


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_scan_with_defaults_hashes_a_wide_jpeg_as_plain_hashing_does(
    tmp_path: Path, orientation: int
) -> None:
    """The working image must not make the decoder pick a larger scale for the hash: a wide
    photo asked for a square as large as its working image's long side once did."""
    with Image.open(photo(0)) as im:
        wide = im.convert("RGB").resize((2400, 800))
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "wide.jpg"
    wide.save(path, quality=90, exif=exif)
    hash_only = [functools.partial(input_size, "phash", 8)]
    alone = open_thumbnails(path, hash_only)[0]
    with_working = open_thumbnails(path, [*hash_only, working_size], chroma=True)
    assert np.array_equal(np.asarray(alone.image), np.asarray(with_working[0].image))
    assert with_working[1].image.size == working_size(alone.width, alone.height)


def test_max_pixels_refuses_before_decoding() -> None:
    for compat in (False, True):
        skipped = hash_file(photo(0), max_pixels=1000, compat=compat)
        assert isinstance(skipped, Skipped) and skipped.reason == "too-large"
        assert "pixel limit (1,000 pixels)" in skipped.detail


def test_max_pixels_must_be_positive() -> None:
    with pytest.raises(UsageError, match="max_pixels"):
        hash_file(photo(0), max_pixels=0)


def test_max_pixels_above_pillows_own_limit_is_honoured(tmp_path: Path) -> None:
    """A raised --max-pixels lets Pillow open what its own bomb check would refuse."""
    from PIL import Image as PILImage

    limit = PILImage.MAX_IMAGE_PIXELS
    assert limit is not None
    path = tmp_path / "wide.png"
    Image.new("L", (4000, 10), 90).save(path)
    try:
        PILImage.MAX_IMAGE_PIXELS = 10_000  # Pillow alone refuses > 20,000 pixels
        refused = hash_file(path, max_pixels=30_000)
        assert isinstance(refused, Skipped) and refused.reason == "too-large"
        assert isinstance(hash_file(path, max_pixels=50_000), ImageRecord)
        assert PILImage.MAX_IMAGE_PIXELS == 10_000  # restored afterwards
    finally:
        PILImage.MAX_IMAGE_PIXELS = limit


def test_hash_record_fields() -> None:
    path = photo(0)
    rec = hash_file(path)
    assert isinstance(rec, ImageRecord)
    with Image.open(path) as im:
        assert (rec.width, rec.height) == im.size
    assert rec.size == path.stat().st_size
    assert rec.mtime_ns == path.stat().st_mtime_ns


def test_resized_copy_is_near(tmp_path: Path) -> None:
    with Image.open(photo(5)) as im:
        im.convert("RGB").resize((im.width // 2, im.height // 2)).save(tmp_path / "small.jpg")
    a, b = hash_file(photo(5)), hash_file(tmp_path / "small.jpg")
    assert isinstance(a, ImageRecord) and isinstance(b, ImageRecord)
    assert hamming(a.hash, b.hash) <= 6


def test_bad_files_are_skipped_not_raised(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    for compat in (False, True):
        empty = hash_file(tmp_path / "empty.jpg", compat=compat)
        assert isinstance(empty, Skipped) and empty.reason == "empty"
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
