"""Border trimming, flip/rotation invariance, crop hashes, verification and centre grouping."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

import neardup
from neardup.bits import hamming
from neardup.errors import UsageError
from neardup.hashing.alternates import FeatureOptions, centre_hashes, dihedral_hashes, extract
from neardup.hashing.core import analyse_file
from neardup.hashing.spec import hash_image
from neardup.hashing.trim import trim_borders, trim_box
from neardup.hashing.views import similarity, verify_thumbnail, views_of
from neardup.model import DEFAULT_VERIFY_MIN, HashSpec, ImageRecord, parse_invariant
from neardup.pipeline.grouping import centre_clusters, component_clusters
from neardup.pipeline.verify import verified
from neardup.tools import transforms
from tests.conftest import PHOTOS
from tests.conftest import photo as corpus_photo


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    with Image.open(corpus_photo(5)) as im:
        return im.convert("RGB").reduce(2)


def test_trim_finds_a_frame(photo: Image.Image) -> None:
    framed = ImageOps.expand(photo, border=(40, 25, 40, 25), fill=(0, 0, 0))
    box = trim_box(framed)
    assert box is not None
    left, top, right, bottom = box
    # Within one probe cell of the true frame, never inside the picture by more than that.
    cell = max(framed.size) / 128 + 1
    assert abs(left - 40) <= cell and abs(top - 25) <= cell
    assert abs(right - (40 + photo.width)) <= cell and abs(bottom - (25 + photo.height)) <= cell


def test_trim_handles_a_gradient_letterbox() -> None:
    ramp = np.linspace(10, 60, 300, dtype=np.float32)[None, :, None] * np.ones((40, 1, 3))
    rng = np.random.default_rng(0)
    content = rng.integers(0, 255, (120, 300, 3))
    arr = np.concatenate([ramp, content, ramp]).astype(np.uint8)
    box = trim_box(Image.fromarray(arr, "RGB"))
    assert box is not None
    assert abs(box[1] - 40) <= 4 and abs(box[3] - 160) <= 4


def test_trim_leaves_a_plain_photo_alone(photo: Image.Image) -> None:
    box = trim_box(photo)
    assert box is None or (box[2] - box[0]) * (box[3] - box[1]) > 0.8 * photo.width * photo.height


def test_bordered_copy_hashes_like_its_original(photo: Image.Image) -> None:
    bordered = transforms.apply(photo, "border5", 2)
    plain = hamming(hash_image(photo), hash_image(bordered))
    trimmed = hamming(hash_image(trim_borders(photo)), hash_image(trim_borders(bordered)))
    assert trimmed <= 4
    assert trimmed < plain


def test_dihedral_hashes_match_flips_and_rotations(photo: Image.Image) -> None:
    spec = HashSpec()
    base = hash_image(photo, spec)
    alts = dihedral_hashes(photo, parse_invariant("flip,rotate"))
    assert len(alts) == 7
    for name in ("hflip", "rot90"):
        variant = hash_image(transforms.apply(photo, name, 1), spec)
        assert hamming(variant, base) > 10
        assert min(hamming(variant, a) for a in alts) <= 4
    assert len(dihedral_hashes(photo, parse_invariant("flip"))) == 1
    assert len(dihedral_hashes(photo, parse_invariant("rotate"))) == 3


def test_parse_invariant_rejects_unknown() -> None:
    with pytest.raises(UsageError, match="skew"):
        parse_invariant("flip,skew")


def test_centre_hashes_and_extract(photo: Image.Image) -> None:
    spec = HashSpec()
    assert len(centre_hashes(photo, spec)) == 2
    got = extract(photo, spec, FeatureOptions(trim=False, crop=True, verify=True))
    assert got.hash == hash_image(photo, spec)
    assert len(got.features.alternates) == 2
    assert got.features.views is not None and got.features.views.content.shape == (32, 32)


def test_verify_separates_lookalikes(photo: Image.Image) -> None:
    same = verify_thumbnail(transforms.apply(photo, "jpeg30", 1))
    with Image.open(corpus_photo(40)) as im:
        other = verify_thumbnail(im.convert("RGB"))
    mine = verify_thumbnail(photo)
    assert similarity(mine, same) > 0.97
    assert similarity(mine, other) < similarity(mine, same)
    views = [views_of(photo), views_of(transforms.apply(photo, "jpeg30", 1))]
    with Image.open(corpus_photo(40)) as im:
        views.append(views_of(im.convert("RGB")))
    kept = verified({(0, 1): 3, (0, 2): 5}, views, DEFAULT_VERIFY_MIN)
    assert kept == {(0, 1): 3}
    # an undecodable image confirms nothing
    assert verified({(0, 1): 3}, [views[0], None], DEFAULT_VERIFY_MIN) == {}
    flat = np.zeros(4, dtype=np.float32)
    assert similarity(flat, flat) == 1.0 and similarity(flat, mine[:4] + 1) == 0.0


def test_centre_grouping_does_not_chain() -> None:
    # A path 0-1-2-3-4: components make one group; centres never join 0 and 4.
    left, right = np.arange(4), np.arange(1, 5)
    assert [c.tolist() for c in component_clusters(5, left, right)] == [[0, 1, 2, 3, 4]]
    groups = centre_clusters(5, left, right)
    members = sorted(sorted(g.tolist()) for g in groups)
    assert all(len(g) <= 3 for g in members)
    for g in members:
        assert not ({0, 4} <= set(g))


@pytest.fixture
def geometric_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "geo"
    folder.mkdir()
    src = corpus_photo(5)
    shutil.copy(src, folder / src.name)
    with Image.open(src) as im:
        img = im.convert("RGB")
    for name in ("hflip", "rot90", "border5"):
        transforms.apply(img, name, 4).save(folder / f"{src.stem}.{name}.jpg", quality=92)
    shutil.copy(corpus_photo(60), folder / corpus_photo(60).name)  # an unrelated photo
    return folder


def _group_names(result: neardup.ScanResult) -> list[set[str]]:
    return [{Path(result.records[m].path).name for m in g.members} for g in result.groups]


def test_scan_invariant_and_trim(geometric_folder: Path) -> None:
    stem = corpus_photo(5).stem
    plain = neardup.scan([geometric_folder], trim=False)
    assert all(f"{stem}.hflip.jpg" not in g for g in _group_names(plain))
    trimmed = neardup.scan([geometric_folder], trim=True)
    assert trimmed.settings.trim and trimmed.settings.grouping == "centre"
    assert any({corpus_photo(5).name, f"{stem}.border5.jpg"} <= g for g in _group_names(trimmed))
    inv = neardup.scan(
        [geometric_folder], invariant="flip,rotate", verify=True, crop=True, trim=True
    )
    groups = _group_names(inv)
    assert len(groups) == 1
    assert groups[0] == {
        corpus_photo(5).name,
        f"{stem}.hflip.jpg",
        f"{stem}.rot90.jpg",
        f"{stem}.border5.jpg",
    }
    assert inv.settings.invariant == ("flip", "rotate")
    with pytest.raises(UsageError, match="phash"):
        neardup.scan([geometric_folder], hash="dhash", invariant="flip")
    with pytest.raises(UsageError, match="grouping"):
        neardup.scan([geometric_folder], grouping="cliques")


def test_scan_cli_options_in_json(cli, geometric_folder: Path) -> None:  # type: ignore[no-untyped-def]
    proc = cli(
        "scan", str(geometric_folder), "--invariant", "flip,rotate", "--verify", "--trim",
        "--grouping", "components", "--format", "json", "--no-save", "--quiet",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    settings = json.loads(proc.stdout)["settings"]
    assert settings["grouping"] == "components"
    assert settings["invariant"] == ["flip", "rotate"]
    assert settings["verify"] is True and settings["trim"] is True
    assert len(json.loads(proc.stdout)["groups"]) == 1
    bad = cli("scan", str(geometric_folder), "--invariant", "skew", "--no-save")
    assert bad.returncode == 2 and "skew" in bad.stderr


@pytest.mark.parametrize(
    "options", [FeatureOptions(crop=True), FeatureOptions(invariant=frozenset({"flip", "rotate"}))]
)
def test_alternates_leave_an_images_own_hash_and_views_alone(
    tmp_path: Path, options: FeatureOptions
) -> None:
    # --crop and --invariant add alternates from the same reduced decode as the defaults:
    # asking for them changes neither the image's hash, nor its trimmed box, nor its views
    plain = FeatureOptions(trim=True, verify=True)
    extra = FeatureOptions(True, options.invariant, options.crop, True)
    paths = sorted(PHOTOS.glob("*.jpg"))[::4]
    big = tmp_path / "big.jpg"  # decoded at a reduced scale
    with Image.open(corpus_photo(3)) as im:
        im.convert("RGB").resize((3000, 2000), Image.Resampling.BICUBIC).save(big, quality=90)
    for p in [*paths, big]:
        a, b = analyse_file(p, HashSpec(), plain), analyse_file(p, HashSpec(), extra)
        assert isinstance(a.outcome, ImageRecord) and isinstance(b.outcome, ImageRecord)
        assert (b.outcome.hash, b.outcome.trim_hash, b.outcome.trim_box) == (
            a.outcome.hash,
            a.outcome.trim_hash,
            a.outcome.trim_box,
        )
        assert a.features is not None and b.features is not None
        assert a.features.views is not None and b.features.views is not None
        assert b.features.views.to_bytes() == a.features.views.to_bytes()
        assert len(b.features.alternates) == (2 if options.crop else 7)
