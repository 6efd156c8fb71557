"""The default matching: trimmed hashes, verification views, and their catalog cache."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

import neardup
from neardup.catalog import load_last_scan
from neardup.hashing.trim import working_image
from neardup.hashing.views import (
    FRAMED_SHARE,
    Views,
    grey_thumbnail,
    kept_share,
    view_similarity,
    views_of,
)
from neardup.model import DEFAULT_VERIFY_MIN
from neardup.tools import stress
from tests.conftest import photo as corpus_photo


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    with Image.open(corpus_photo(5)) as im:
        return im.convert("RGB").reduce(4)


@pytest.fixture
def edits_folder(tmp_path: Path) -> Path:
    """Two photos, each with a framed and a brightened copy, and an unrelated photo."""
    folder = tmp_path / "edits"
    folder.mkdir()
    for src in (corpus_photo(5), corpus_photo(33)):
        shutil.copy(src, folder / src.name)
        with Image.open(src) as im:
            img = im.convert("RGB")
        border = max(4, min(img.size) // 20)
        ImageOps.expand(img, border=border, fill=(0, 0, 0)).save(folder / f"{src.stem}.framed.jpg")
        ImageEnhance.Brightness(img).enhance(1.2).save(folder / f"{src.stem}.bright.jpg")
    shutil.copy(corpus_photo(90), folder / corpus_photo(90).name)
    return folder


def _names(result: neardup.ScanResult) -> list[set[str]]:
    return sorted(
        ({Path(result.records[m].path).name for m in g.members} for g in result.groups),
        key=sorted,
    )


def test_views_roundtrip(photo: Image.Image) -> None:
    framed = ImageOps.expand(photo, border=12, fill=(255, 255, 255))
    for img in (photo, framed):
        v = views_of(img)
        back = Views.from_bytes(v.to_bytes())
        assert np.array_equal(back.content, v.content) and np.array_equal(back.frame, v.frame)
        assert back.box == v.box
    assert views_of(photo).box is None and views_of(framed).box is not None


def test_a_copy_trimmed_differently_is_still_confirmed(photo: Image.Image) -> None:
    # One copy was trimmed (say a clear sky ended a line earlier after an edit), the other
    # not: their contents differ, but the trimmed one's region of the other's frame agrees.
    whole = views_of(photo)
    box = (0.0, 0.2, 1.0, 1.0)
    w, h = photo.size
    region = photo.crop((0, round(0.2 * h), w, h))
    trimmed = Views(grey_thumbnail(region, 32).astype(np.uint8), whole.frame, box)
    contents = float(
        np.corrcoef(trimmed.content.ravel(), whole.content.ravel())[0, 1]
    )  # the contents alone disagree
    assert contents < 0.9
    assert view_similarity(trimmed, whole) > 0.95
    assert view_similarity(trimmed, whole, trim=False) > 0.99  # same frames


@pytest.fixture
def sky(tmp_path: Path) -> Path:
    """Same-composition stress images: a small object on a dark starry sky."""
    folder = tmp_path / "sky"
    folder.mkdir()
    objects = [Image.open(corpus_photo(n)).convert("RGB") for n in range(100, 108)]
    for n in range(8):
        stress.generate("night", n, objects).save(folder / f"night{n}.png")
    return folder


def test_default_scan_groups_edits_but_not_lookalikes(sky: Path, edits_folder: Path) -> None:
    result = neardup.scan([edits_folder, sky], use_cache=False)
    assert result.settings.trim and result.settings.verify
    expected = sorted(
        (
            {p.name, f"{p.stem}.framed.jpg", f"{p.stem}.bright.jpg"}
            for p in (corpus_photo(5), corpus_photo(33))
        ),
        key=sorted,
    )
    assert _names(result) == expected
    # Without trimming, crops and verification the dark skies are grouped as
    # near-duplicates, and the framed copies are missed.
    plain = neardup.scan([edits_folder, sky], use_cache=False, trim=False, verify=False, crop=False)
    assert any(len({n for n in g if n.startswith("night")}) >= 2 for g in _names(plain))
    assert all(not any(n.endswith(".framed.jpg") for n in g) for g in _names(plain))


def test_rescan_decodes_nothing_and_views_are_cached(
    edits_folder: Path, tmp_path: Path, opened: list[str]
) -> None:
    catalog = tmp_path / "cat.sqlite"
    first = neardup.scan([edits_folder], catalog=catalog, jobs=1)
    assert len(first.groups) == 2
    with sqlite3.connect(catalog) as conn:
        views = conn.execute("SELECT COUNT(*) FROM views").fetchone()[0]
        trimmed = conn.execute("SELECT COUNT(*) FROM hashes WHERE trim_hash IS NOT NULL")
        assert trimmed.fetchone()[0] == len(first.records)
    # every image's views are made by the decode that hashed it: none is decoded again
    assert views == len(first.records)
    from neardup.catalog import Catalog

    with Catalog(catalog) as cat:
        stats = cat.stats()
    assert stats.views == views and stats.views_bytes == views * len(first_views_bytes(first))
    opened.clear()
    second = neardup.scan([edits_folder], catalog=catalog, jobs=1)
    assert opened == []
    assert _names(second) == _names(first)
    assert second.records == first.records


def test_a_rescan_reuses_the_verdicts_of_pairs_compared_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slow comparisons (aligned frames for crops, tiles) are decided once: a rescan
    takes their verdicts from the catalog and groups the same; other settings, or no
    catalog, decide again."""
    import neardup.pipeline.verify as verify

    calls: list[str] = []
    for name in ("aligned_similarity_of_frames", "view_similarity"):
        real = getattr(verify, name)

        def counting(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> float:
            calls.append(_name)
            return float(_real(*args, **kwargs))

        monkeypatch.setattr(verify, name, counting)
    folder, catalog = _cropped_and_turned(tmp_path), tmp_path / "cat.sqlite"
    first = neardup.scan([folder], catalog=catalog, jobs=1)
    assert "aligned_similarity_of_frames" in calls, "nothing compared aligned: shows nothing"
    with sqlite3.connect(catalog) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]
    assert stored > 0
    calls.clear()
    second = neardup.scan([folder], catalog=catalog, jobs=1)
    assert calls == [] and _names(second) == _names(first)
    from neardup.catalog import Catalog

    with Catalog(catalog) as cat:
        assert cat.stats().verdicts == stored
        cat.prune(dry_run=True)
        assert cat.stats().verdicts == stored
        cat.prune()  # forgets them: the next scan decides again
        assert cat.stats().verdicts == 0
    assert _names(neardup.scan([folder], catalog=catalog, jobs=1)) == _names(first)
    assert "aligned_similarity_of_frames" in calls
    calls.clear()
    stricter = neardup.scan([folder], catalog=catalog, jobs=1, verify_min=0.95)
    assert calls and stricter.settings.verify_min == 0.95
    calls.clear()
    neardup.scan([folder], use_cache=False, jobs=1)
    assert calls


def test_comparisons_on_the_workers_decide_as_in_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import neardup.pipeline.verify as verify

    folder = _cropped_and_turned(tmp_path)
    here = neardup.scan([folder], use_cache=False, jobs=1)
    monkeypatch.setattr(verify, "PARALLEL_PAIRS", 1)  # every batch to the workers
    there = neardup.scan([folder], use_cache=False, jobs=2)
    assert _names(there) == _names(here) and len(here.groups) == 2


def first_views_bytes(result: neardup.ScanResult) -> bytes:
    return views_of(Image.open(result.records[0].path).convert("L")).to_bytes()


def test_hashes_stored_without_trimming_are_computed_again(
    edits_folder: Path, tmp_path: Path, opened: list[str]
) -> None:
    catalog = tmp_path / "cat.sqlite"
    plain = neardup.scan([edits_folder], catalog=catalog, jobs=1, trim=False, verify=False)
    assert all(r.trim_hash is None for r in plain.records)
    opened.clear()
    again = neardup.scan([edits_folder], catalog=catalog, jobs=1, trim=False, verify=False)
    assert opened == [] and again.from_catalog == len(plain.records)
    default = neardup.scan([edits_folder], catalog=catalog, jobs=1)
    assert default.from_catalog == 0 and all(r.trim_hash is not None for r in default.records)
    opened.clear()
    plain_again = neardup.scan([edits_folder], catalog=catalog, jobs=1, trim=False, verify=False)
    assert opened == [] and plain_again.from_catalog == len(plain.records)


def test_trimmed_hash_in_json_and_last_scan(cli, edits_folder: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    proc = cli("scan", str(edits_folder), "--format", "json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    members = [m for g in doc["groups"] for m in g["members"]]
    framed = [m for m in members if m["path"].endswith(".framed.jpg")]
    assert framed and all(m["trim_box"] is not None for m in framed)
    assert all(len(m["trim_hash"]) == 16 for m in members)
    assert all(r.trim_hash is not None for r in load_last_scan().records)


def test_views_stored_in_another_format_are_computed_again(
    edits_folder: Path, tmp_path: Path
) -> None:
    catalog = tmp_path / "cat.sqlite"
    first = neardup.scan([edits_folder], catalog=catalog, jobs=1)
    with sqlite3.connect(catalog) as conn:
        conn.execute("UPDATE views SET data = x'00010203'")
    again = neardup.scan([edits_folder], catalog=catalog, jobs=1)
    assert _names(again) == _names(first)
    members = [again.records[m].path for g in again.groups for m in g.members]
    with sqlite3.connect(catalog) as conn:
        sizes = {
            r[0]
            for r in conn.execute(
                "SELECT length(v.data) FROM views v JOIN files f ON f.id = v.file_id"
                f" WHERE f.path IN ({','.join('?' * len(members))})",
                members,
            )
        }
    # the members' views were made again (the others are made when first needed)
    assert sizes == {len(views_of(Image.new("L", (64, 64))).to_bytes())}


def _cropped_and_turned(tmp_path: Path) -> Path:
    """Two photos, each with a 5% crop and a 5° rotation of it."""
    from neardup.tools import transforms

    folder = tmp_path / "geo"
    folder.mkdir()
    for src in (corpus_photo(12), corpus_photo(110)):
        with Image.open(src) as im:
            img = im.convert("RGB").reduce(2)
        img.save(folder / f"{src.stem}.jpg", quality=92)
        for name in ("crop5", "rot5"):
            transforms.apply(img, name, 3).save(folder / f"{src.stem}.{name}.jpg", quality=92)
    return folder


def test_the_default_finds_crops_and_small_rotations(tmp_path: Path) -> None:
    folder = _cropped_and_turned(tmp_path)
    with_crop = neardup.scan([folder], use_cache=False)
    expected = sorted(
        (
            {f"{p.stem}.jpg", f"{p.stem}.crop5.jpg", f"{p.stem}.rot5.jpg"}
            for p in (corpus_photo(12), corpus_photo(110))
        ),
        key=sorted,
    )
    assert _names(with_crop) == expected
    assert with_crop.settings.crop
    without = neardup.scan([folder], use_cache=False, crop=False)
    assert all(len(g) < 3 for g in _names(without))  # --no-crop finds fewer of them


def test_cluster_results_carry_the_trimmed_hash() -> None:
    from neardup.model import Skipped
    from neardup.pipeline.dask.hashing import from_compact, to_compact

    trimmed = neardup.model.ImageRecord(
        "/a.jpg", 5, 10, 20, 300, 7, trim_hash=9, trim_box=(0.0, 0.1, 1.0, 0.9)
    )
    plain = neardup.model.ImageRecord("/b.jpg", 0, 10, 20, 300, 7)
    for outcome in (trimmed, plain, Skipped("/c.jpg", "corrupt", "bad")):
        assert from_compact(to_compact(outcome)) == outcome


@pytest.mark.slow
def test_dask_scan_trims_and_verifies_like_a_local_scan(edits_folder: Path) -> None:
    pytest.importorskip("distributed")
    local = neardup.scan([edits_folder], use_cache=False)
    remote = neardup.scan([edits_folder], use_cache=False, dask="local:2")
    assert remote.settings.trim and remote.settings.verify
    assert _names(remote) == _names(local)
    assert any(any(n.endswith(".framed.jpg") for n in g) for g in _names(remote))


def test_a_framed_copy_is_not_kept_over_its_original(edits_folder: Path) -> None:
    from neardup.pipeline.keep import picture_pixels

    result = neardup.scan([edits_folder], use_cache=False)
    for g in result.groups:
        keeper = result.records[g.keeper]
        assert not keeper.path.endswith(".framed.jpg")
        framed = [result.records[m] for m in g.members if result.records[m].trim_box]
        assert framed and all(f.pixels > keeper.pixels for f in framed)  # more pixels...
        assert all(picture_pixels(f) < picture_pixels(keeper) for f in framed)  # ...not picture


def test_find_matches_framed_copies_and_rejects_lookalikes(
    tmp_path: Path, sky: Path, edits_folder: Path
) -> None:
    from neardup.api import find_similar

    catalog = tmp_path / "cat.sqlite"
    query = edits_folder / corpus_photo(5).name
    (hit,) = find_similar([query], within=[edits_folder, sky], catalog=catalog)
    names = {Path(m.record.path).name for m in hit.matches}
    stem = corpus_photo(5).stem
    assert names == {f"{stem}.framed.jpg", f"{stem}.bright.jpg"}
    (plain,) = find_similar([query], within=[edits_folder], catalog=catalog, trim=False)
    assert f"{stem}.framed.jpg" not in {Path(m.record.path).name for m in plain.matches}
    night = sky / "night0.png"
    (lookalikes,) = find_similar([night], within=[sky], catalog=catalog, verify=False)
    assert lookalikes.matches  # the dark skies are within the threshold...
    (verified,) = find_similar([night], within=[sky], catalog=catalog)
    assert verified.matches == []  # ...but are different pictures


def _under_a_plain_sky(img: Image.Image) -> Image.Image:
    """``img`` below a plain band a third of its height (a clear sky that trimming removes)."""
    out = Image.new("RGB", (img.width, img.height + img.height // 3), (150, 190, 230))
    out.paste(img, (0, img.height // 3))
    return out


def test_a_bordered_copy_of_a_picture_under_a_plain_sky_is_confirmed(photo: Image.Image) -> None:
    # Both images keep under 80% of their area once trimmed (the sky, and the sky with the
    # border), so their whole images must agree too: laid on each other by their pictures,
    # the original's whole is the inside of the bordered copy, and agrees with it.
    original = _under_a_plain_sky(photo)
    border = round(0.05 * min(original.size))
    bordered = ImageOps.expand(original, border=border, fill=(0, 0, 0))
    a, b = views_of(working_image(original)), views_of(working_image(bordered))
    assert a.box is not None and b.box is not None
    assert max(kept_share(a), kept_share(b)) < FRAMED_SHARE
    assert view_similarity(a, b) >= DEFAULT_VERIFY_MIN
    assert view_similarity(b, a) >= DEFAULT_VERIFY_MIN
    with Image.open(corpus_photo(33)) as im:
        other = _under_a_plain_sky(im.convert("RGB").resize(photo.size))
    c = views_of(working_image(ImageOps.expand(other, border=border, fill=(0, 0, 0))))
    assert view_similarity(a, c) < DEFAULT_VERIFY_MIN
