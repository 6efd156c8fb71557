"""A picture lying on a plain canvas among bars of controls (a media player, a dark phone
page), whose own dark parts meet the canvas without an edge."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from neardup.api import scan
from neardup.hashing.canvas import canvas_picture
from neardup.hashing.trim import relative_box, working_image
from neardup.tools.frames import framed
from tests.conftest import PHOTOS


def _photo(name: str) -> Image.Image:
    return Image.open(PHOTOS / f"{name}.jpg").convert("RGB")


def test_a_picture_with_a_dark_side_on_a_black_screen_is_found() -> None:
    """Title bar above, controls below, the picture between on black; its lower third is as
    dark as the screen (no edge there), yet the block of things on the canvas is found."""
    rng = np.random.default_rng(3)
    screen = np.zeros((200, 320), np.uint8)
    screen[:12] = 200  # title bar
    screen[176:190, 10:310] = 90  # controls
    picture = rng.integers(40, 255, (110, 160)).astype(np.uint8)
    picture[75:] = rng.integers(0, 3, (35, 160))  # a night foreground, nearly black
    picture[75:, ::7] = 60  # with a few lit windows
    screen[40:150, 80:240] = picture
    box = canvas_picture(screen)
    assert box is not None
    assert np.abs(np.subtract(box, (80, 40, 240, 150))).max() <= 2


def test_no_canvas_or_nothing_on_it_is_no_picture() -> None:
    rng = np.random.default_rng(4)
    assert canvas_picture(rng.integers(0, 255, (120, 160)).astype(np.uint8)) is None
    assert canvas_picture(np.full((120, 160), 30, np.uint8)) is None
    page = Image.new("L", (300, 400), 255)
    draw = ImageDraw.Draw(page)
    for y in range(20, 380, 14):
        draw.text((20, y), "Lorem ipsum dolor sit amet, consectetur adipiscing", fill=0)
    assert canvas_picture(np.asarray(page)) is None  # lines of text are not a picture


@pytest.mark.parametrize("design", ["video", "phone"])
def test_a_photo_of_space_in_a_dark_app_is_found(design: str) -> None:
    """The astronaut's black sky meets the app's black screen: no edge, but a canvas."""
    shot, (x0, y0, x1, y1) = framed(design, _photo("006_astronaut"), 0.35)
    w, h = shot.size
    box = relative_box(working_image(shot.convert("L")))
    assert box is not None
    assert np.abs(np.subtract(box, (x0 / w, y0 / h, x1 / w, y1 / h))).max() < 0.02


def test_a_screenshot_of_it_matches_the_photo(tmp_path: Path) -> None:
    _photo("006_astronaut").save(tmp_path / "photo.jpg", quality=92)
    framed("video", _photo("006_astronaut"), 0.35)[0].save(tmp_path / "shot.png")
    framed("video", _photo("009_chelsea"), 0.35)[0].save(tmp_path / "other.png")
    result = scan([tmp_path], use_cache=False, jobs=1)
    groups = [{Path(result.records[m].path).name for m in g.members} for g in result.groups]
    assert groups == [{"photo.jpg", "shot.png"}]


def test_lines_of_dashes_make_no_thousands_of_blocks() -> None:
    """Dashes in rows on a page: every canvas row and column cuts, but a part too small to
    hold a picture is not cut further."""
    from neardup.hashing.canvas import _blocks

    page = np.zeros((256, 341), bool)
    page[::3, :] = True
    page[:, ::3] = False
    assert len(_blocks(page, 35, 26)) < 50
    assert canvas_picture(np.where(page, 0, 255).astype(np.uint8)) is None


@pytest.mark.parametrize("name", ["004_panther-chameleon-female", "058_leaningTowerOfPisa"])
def test_a_picture_in_a_chat_bubble_is_cut_to_its_own_edges(name: str) -> None:
    """The bubble's edges are straight and found first; the picture lies on the bubble with
    a margin below it, so that side moves in to the picture's own edge."""
    shot, (x0, y0, x1, y1) = framed("chat", _photo(name), 0.5)
    w, h = shot.size
    box = relative_box(working_image(shot.convert("L")))
    assert box is not None
    assert np.abs(np.subtract(box, (x0 / w, y0 / h, x1 / w, y1 / h))).max() < 0.008


def test_the_tightest_picture_moves_only_sides_with_a_margin() -> None:
    from neardup.hashing.canvas import tightest

    bubble, picture = (38, 4, 175, 147), (38, 4, 176, 142)
    assert tightest(bubble, picture, 2) == (38, 4, 175, 142)
    assert tightest(bubble, (37, 5, 174, 146), 2) == bubble  # within the edges' reach
    assert tightest(bubble, (200, 4, 260, 60), 2) == bubble  # elsewhere
    assert tightest(None, picture, 2) == picture
    assert tightest(bubble, None, 2) == bubble
