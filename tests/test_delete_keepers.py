"""The default keeper is the copy a photographer would keep: the original, not a re-encode."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from PIL import Image

from neardup.actions import apply_plan, plan_deletion
from neardup.api import scan
from neardup.hashing.quality import encoding, jpeg_quality
from neardup.model import DEFAULT_KEEP, ImageRecord, parse_keep
from neardup.pipeline.keep import group_key
from tests.imaging import photo_like

#: (suffix, JPEG quality or None for PNG, scale) of the copies made of every original.
COPIES = (("q30", 30, 1.0), ("q50", 50, 1.0), ("q70", 70, 1.0), ("half", 95, 0.5))


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS 5D"
    exif.get_ifd(0x8769)[0x9003] = "2020:05:06 07:08:09"
    return exif


def make_library(root: Path, count: int, *, png_every: int = 4) -> dict[str, set[str]]:
    """``count`` originals in ``root/orig`` (a PNG every ``png_every``, else JPEG q85 with
    EXIF) and their degraded copies in ``root/copies``; returns original -> copies."""
    (root / "orig").mkdir(parents=True)
    (root / "copies").mkdir()
    out: dict[str, set[str]] = {}
    for k in range(count):
        img = photo_like(k)
        if k % png_every == png_every - 1:
            orig = root / "orig" / f"p{k:03d}.png"
            img.save(orig)
        else:
            orig = root / "orig" / f"p{k:03d}.jpg"
            img.save(orig, quality=85, exif=camera_exif())
        os.utime(orig, ns=(10**18, 10**18))  # older than its copies, like a real original
        copies = set()
        for suffix, quality, scale in COPIES:
            copy = (
                img if scale == 1 else img.resize((int(img.width * scale), int(img.height * scale)))
            )
            dest = root / "copies" / f"p{k:03d}-{suffix}.jpg"
            copy.save(dest, quality=quality)
            copies.add(str(dest))
        out[str(orig)] = copies
    return out


def _sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def keeper_share(root: Path, expected: dict[str, set[str]]) -> tuple[int, int]:
    """(groups whose keeper is the original, groups) under the default keep rules."""
    plan = plan_deletion(scan([root]))
    by_member = {m: orig for orig, copies in expected.items() for m in copies | {orig}}
    right = sum(1 for g in plan.groups if g.keeper.path == by_member.get(g.keeper.path, ""))
    return right, len(plan.groups)


def test_jpeg_quality_is_estimated_from_the_tables(tmp_path: Path) -> None:
    img = photo_like(1)
    for q in (30, 50, 70, 85, 95):
        img.save(tmp_path / f"{q}.jpg", quality=q)
        with Image.open(tmp_path / f"{q}.jpg") as im:
            assert abs((jpeg_quality(im.quantization) or 0) - q) <= 1
    img.save(tmp_path / "x.png")
    enc = encoding(str(tmp_path / "x.png"))
    assert enc is not None and enc.lossless and enc.quality == 100
    assert encoding(str(tmp_path / "missing.jpg")) is None


def test_header_is_read_once_per_file(tmp_path: Path, opened: list[str]) -> None:
    photo_like(2).save(tmp_path / "a.jpg", quality=60)
    p = str(tmp_path / "a.jpg")
    st = os.stat(p)
    recs = [ImageRecord(p, 0, 400, 300, st.st_size, st.st_mtime_ns)] * 3
    key = group_key(recs, parse_keep("best-encoding,camera-metadata"))
    assert sorted(recs, key=key) == recs  # they tie: every rule is looked at
    assert opened.count(p) == 1


def test_headers_are_not_read_when_resolution_decides(tmp_path: Path, opened: list[str]) -> None:
    big, small = photo_like(2), photo_like(2).resize((200, 150))
    big.save(tmp_path / "big.jpg", quality=60)
    small.save(tmp_path / "small.jpg", quality=95)
    recs = []
    for name, im in (("small.jpg", small), ("big.jpg", big)):
        st = os.stat(tmp_path / name)
        recs.append(ImageRecord(str(tmp_path / name), 0, *im.size, st.st_size, st.st_mtime_ns))
    assert min(recs, key=group_key(recs, DEFAULT_KEEP)) is recs[1]
    assert opened == []  # best-encoding, camera-metadata and oldest never needed


def test_trim_noise_does_not_outrank_a_better_encoding() -> None:
    """The reported case: a q30 copy whose trim box came out a few lines larger."""
    orig = ImageRecord("/o.jpg", 0, 1302, 953, 190_000, 1, trim_box=(0.0, 0.0, 1.0, 0.985))
    copy = ImageRecord("/c.jpg", 0, 1302, 953, 78_000, 2, trim_box=(0.0, 0.0, 1.0, 1.0))
    key = group_key([orig, copy], parse_keep("highest-resolution,largest"))
    assert min([copy, orig], key=key) is orig
    half = ImageRecord("/h.jpg", 0, 651, 476, 400_000, 0)
    assert min([half, copy], key=group_key([half, copy], DEFAULT_KEEP)) is copy


def test_the_original_is_the_default_keeper_in_every_group(tmp_path: Path) -> None:
    expected = make_library(tmp_path / "lib", 16)
    right, groups = keeper_share(tmp_path / "lib", expected)
    assert groups == 16 and right == groups


def test_keep_still_overrides_the_default(tmp_path: Path) -> None:
    expected = make_library(tmp_path / "lib", 4)
    plan = plan_deletion(scan([tmp_path / "lib"]), keep="smallest")
    assert all(g.keeper.path not in expected for g in plan.groups)


def test_hardlink_keeps_the_original_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    expected = make_library(tmp_path / "lib", 8)
    before = {orig: _sha(orig) for orig in expected}
    report = apply_plan(plan_deletion(scan([tmp_path / "lib"])), "hardlink", move_to=tmp_path / "X")
    assert len(report.removed) == sum(len(c) for c in expected.values())
    for orig, copies in expected.items():
        assert _sha(orig) == before[orig]
        assert all(os.path.samefile(orig, c) for c in copies)


@pytest.mark.slow
def test_the_original_is_the_keeper_for_every_corpus_photo_like(tmp_path: Path) -> None:
    """Every photo of the shared corpus re-encoded at q30, q50 and q70 and halved."""
    from tests.conftest import PHOTOS

    root = tmp_path / "lib"
    (root / "orig").mkdir(parents=True)
    (root / "copies").mkdir()
    expected: dict[str, set[str]] = {}
    for src in sorted(PHOTOS.iterdir()):
        orig = root / "orig" / src.name
        orig.write_bytes(src.read_bytes())
        with Image.open(src) as im:
            img = im.convert("RGB")
        copies = set()
        for suffix, quality, scale in COPIES:
            copy = (
                img if scale == 1 else img.resize((int(img.width * scale), int(img.height * scale)))
            )
            dest = root / "copies" / f"{src.stem}-{suffix}.jpg"
            copy.save(dest, quality=quality)
            copies.add(str(dest))
        expected[str(orig)] = copies
    right, groups = keeper_share(root, expected)
    assert right == groups
