"""Flat images and colour: different solid colours are never duplicates; two identical ones are."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from neardup.api import scan


def _solid(folder: Path, name: str, colour: tuple[int, int, int], size=(320, 240)) -> None:
    Image.new("RGB", size, colour).save(folder / name)


def test_four_solid_colours_make_no_group(tmp_path: Path) -> None:
    for name, colour in {
        "red.png": (255, 0, 0),
        "blue.png": (0, 0, 255),
        "white.png": (255, 255, 255),
        "black.png": (0, 0, 0),
    }.items():
        _solid(tmp_path, name, colour)
    result = scan([tmp_path], use_cache=False, jobs=1)
    assert len(result.records) == 4
    assert result.groups == []


def test_two_identical_solid_reds_make_one_group(tmp_path: Path) -> None:
    _solid(tmp_path, "red.png", (255, 0, 0))
    _solid(tmp_path, "red-copy.jpg", (255, 0, 0))
    _solid(tmp_path, "blue.png", (0, 0, 255))
    result = scan([tmp_path], use_cache=False, jobs=1)
    groups = [{Path(result.records[m].path).name for m in g.members} for g in result.groups]
    assert groups == [{"red.png", "red-copy.jpg"}]


def test_a_flat_image_is_not_a_duplicate_of_a_picture(tmp_path: Path) -> None:
    grey = Image.new("L", (320, 240), 128)
    grey.save(tmp_path / "grey.png")
    picture = Image.radial_gradient("L").resize((320, 240))
    picture.save(tmp_path / "gradient.png")
    result = scan([tmp_path], use_cache=False, jobs=1, threshold=32)
    assert result.groups == []


def test_flat_images_of_one_grey_level_but_different_colours_make_no_group(tmp_path: Path) -> None:
    # red and green chosen to have the same luminance: only their colour tells them apart
    _solid(tmp_path, "red.png", (200, 60, 60))
    _solid(tmp_path, "green.jpg", (60, 130, 60))
    result = scan([tmp_path], use_cache=False, jobs=1)
    assert result.groups == []


def test_colour_tells_a_recoloured_picture_apart_but_not_a_grey_copy(tmp_path: Path) -> None:
    photo = Image.open(next((Path(__file__).parent / "data" / "photos").glob("000_*"))).convert(
        "RGB"
    )
    recoloured, grey = tmp_path / "recoloured", tmp_path / "grey"
    for folder in (recoloured, grey):
        folder.mkdir()
        photo.save(folder / "photo.jpg", quality=92)
    red, green, blue = photo.split()
    Image.merge("RGB", (blue, green, red)).save(recoloured / "swapped.jpg", quality=92)
    photo.convert("L").save(grey / "grey.jpg", quality=92)
    assert scan([recoloured], use_cache=False, jobs=1).groups == []
    assert len(scan([grey], use_cache=False, jobs=1).groups) == 1
