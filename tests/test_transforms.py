"""Variant generators are deterministic and do what their names say."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from neardup.errors import UsageError
from neardup.tools import transforms
from tests.conftest import photo


@pytest.fixture(scope="module")
def photo_image() -> Image.Image:
    with Image.open(photo(3)) as im:
        return im.convert("RGB").reduce(4)


@pytest.mark.parametrize("name", list(transforms.TRANSFORMS))
def test_same_input_same_output(photo_image: Image.Image, name: str) -> None:
    a = transforms.apply(photo_image, name, seed=7)
    b = transforms.apply(photo_image, name, seed=7)
    assert a.mode == "RGB"
    assert a.size == b.size
    assert np.array_equal(np.asarray(a), np.asarray(b))


def test_geometry(photo_image: Image.Image) -> None:
    w, h = photo_image.size
    assert transforms.apply(photo_image, "resize50", 1).size == (round(w / 2), round(h / 2))
    assert transforms.apply(photo_image, "rot90", 1).size == (h, w)
    assert transforms.apply(photo_image, "crop10", 1).size == (round(w * 0.9), round(h * 0.9))
    border = round(0.05 * min(w, h))
    assert transforms.apply(photo_image, "border5", 1).size == (w + 2 * border, h + 2 * border)
    flipped = np.asarray(transforms.apply(photo_image, "hflip", 1))
    assert np.array_equal(flipped, np.asarray(photo_image)[:, ::-1])


def test_seed_changes_seeded_transforms(photo_image: Image.Image) -> None:
    a = np.asarray(transforms.apply(photo_image, "noise", 1))
    b = np.asarray(transforms.apply(photo_image, "noise", 2))
    assert not np.array_equal(a, b)
    assert transforms.seed_for("a.jpg") != transforms.seed_for("b.jpg")


def test_photometric_edits_keep_size(photo_image: Image.Image) -> None:
    for name in ("jpeg30", "bright+20", "contrast-20", "grey", "noise", "watermark", "png"):
        assert transforms.apply(photo_image, name, 3).size == photo_image.size, name
    grey = np.asarray(transforms.apply(photo_image, "grey", 3)).astype(int)
    assert np.array_equal(grey[..., 0], grey[..., 1])


def test_parse_transforms() -> None:
    assert transforms.parse_transforms("all") == tuple(transforms.TRANSFORMS)
    assert transforms.parse_transforms("rot90, jpeg30") == ("jpeg30", "rot90")
    with pytest.raises(UsageError, match="unknown transform"):
        transforms.parse_transforms("jpeg30,blur")
