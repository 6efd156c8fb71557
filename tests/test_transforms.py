"""Variant generators are deterministic and do what their names say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from neardup.errors import UsageError
from neardup.tools import transforms


@pytest.fixture(scope="module")
def photo(photo_paths: list[Path]) -> Image.Image:
    with Image.open(photo_paths[3]) as im:
        return im.convert("RGB").reduce(4)


@pytest.mark.parametrize("name", list(transforms.TRANSFORMS))
def test_same_input_same_output(photo: Image.Image, name: str) -> None:
    a = transforms.apply(photo, name, seed=7)
    b = transforms.apply(photo, name, seed=7)
    assert a.mode == "RGB"
    assert a.size == b.size
    assert np.array_equal(np.asarray(a), np.asarray(b))


def test_geometry(photo: Image.Image) -> None:
    w, h = photo.size
    assert transforms.apply(photo, "resize50", 1).size == (round(w / 2), round(h / 2))
    assert transforms.apply(photo, "rot90", 1).size == (h, w)
    assert transforms.apply(photo, "crop10", 1).size == (round(w * 0.9), round(h * 0.9))
    border = round(0.05 * min(w, h))
    assert transforms.apply(photo, "border5", 1).size == (w + 2 * border, h + 2 * border)
    flipped = np.asarray(transforms.apply(photo, "hflip", 1))
    assert np.array_equal(flipped, np.asarray(photo)[:, ::-1])


def test_seed_changes_seeded_transforms(photo: Image.Image) -> None:
    a = np.asarray(transforms.apply(photo, "noise", 1))
    b = np.asarray(transforms.apply(photo, "noise", 2))
    assert not np.array_equal(a, b)
    assert transforms.seed_for("a.jpg") != transforms.seed_for("b.jpg")


def test_photometric_edits_keep_size(photo: Image.Image) -> None:
    for name in ("jpeg30", "bright+20", "contrast-20", "grey", "noise", "watermark", "png"):
        assert transforms.apply(photo, name, 3).size == photo.size, name
    grey = np.asarray(transforms.apply(photo, "grey", 3)).astype(int)
    assert np.array_equal(grey[..., 0], grey[..., 1])


def test_parse_transforms() -> None:
    assert transforms.parse_transforms("all") == tuple(transforms.TRANSFORMS)
    assert transforms.parse_transforms("rot90, jpeg30") == ("jpeg30", "rot90")
    with pytest.raises(UsageError, match="unknown transform"):
        transforms.parse_transforms("jpeg30,blur")
