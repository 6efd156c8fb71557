"""Pictures inside frames: different pictures shown in one application window, or made
from one template, are not duplicates; a screenshot of a picture is a duplicate of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from neardup.api import scan
from neardup.hashing.agreement import MAX_DISAGREEING, disagreeing_tiles, views_agree
from neardup.hashing.panels import is_panel
from neardup.hashing.region import picture_box
from neardup.hashing.trim import relative_box, working_image
from neardup.hashing.views import Views, view_similarity, views_of

PHOTOS = sorted((Path(__file__).parent / "data" / "photos").glob("*.jpg"))


def _photo(k: int) -> Image.Image:
    return Image.open(PHOTOS[k]).convert("RGB")


def viewer(picture: Image.Image, share: float = 0.6, size: tuple[int, int] = (1280, 800)):
    """A desktop image viewer: title bar with menus, a sidebar of folders, a grey canvas
    with ``picture`` centred at ``share`` of the canvas width. Returns the screenshot and
    the picture's box."""
    w, h = size
    shot = Image.new("RGB", size, (60, 60, 64))
    draw = ImageDraw.Draw(shot)
    draw.rectangle((0, 0, w, 40), fill=(230, 230, 230))
    for i in range(5):
        draw.text((20 + 90 * i, 12), f"Menu {i}", fill=(20, 20, 20))
    draw.rectangle((0, 40, 220, h), fill=(245, 245, 245))
    for i in range(12):
        draw.text((16, 60 + 50 * i), f"folder {i}", fill=(40, 40, 40))
    pw = int((w - 220) * share)
    ph = min(int(picture.height * pw / picture.width), int((h - 40) * 0.9))
    pw = int(picture.width * ph / picture.height)
    x, y = 220 + (w - 220 - pw) // 2, 40 + (h - 40 - ph) // 2
    shot.paste(picture.resize((pw, ph), Image.Resampling.LANCZOS), (x, y))
    return shot, (x, y, x + pw, y + ph)


def card(picture: Image.Image) -> Image.Image:
    """A playing card: the same border, title band and text box around ``picture``."""
    w, h = 500, 700
    out = Image.new("RGB", (w, h), (20, 20, 20))
    draw = ImageDraw.Draw(out)
    draw.rounded_rectangle((15, 15, w - 15, h - 15), 20, fill=(200, 170, 60))
    draw.rectangle((40, 40, w - 40, 90), fill=(240, 230, 200))
    draw.text((60, 55), "Card name", fill=(0, 0, 0))
    out.paste(ImageOps.fit(picture, (w - 80, 320)), (40, 100))
    draw.rectangle((40, 440, w - 40, h - 40), fill=(240, 230, 200))
    return out


def _groups(folder: Path, **options: object) -> list[set[str]]:
    result = scan([folder], use_cache=False, jobs=1, **options)
    return [{Path(result.records[m].path).name for m in g.members} for g in result.groups]


def test_the_picture_in_a_viewer_window_is_found() -> None:
    shot, box = viewer(_photo(0))
    grey = working_image(shot.convert("L"))
    found = picture_box(np.asarray(grey))
    assert found is not None
    scale = grey.width / shot.width
    assert np.abs(np.subtract(found, np.multiply(box, scale))).max() <= 3


def test_a_plain_photo_has_no_frame() -> None:
    photo = _photo(3)
    grey = working_image(photo.convert("L"))
    assert picture_box(np.asarray(grey)) is None


def test_different_pictures_in_one_window_are_not_duplicates(tmp_path: Path) -> None:
    for k in range(6):
        viewer(_photo(k), share=0.45)[0].save(tmp_path / f"shot{k}.png")
    assert _groups(tmp_path, threshold=12) == []


def test_cards_of_one_template_are_not_duplicates(tmp_path: Path) -> None:
    for k in range(6):
        card(_photo(k)).save(tmp_path / f"card{k}.jpg", quality=90)
    assert _groups(tmp_path, threshold=12) == []


def test_a_screenshot_of_a_picture_matches_the_picture(tmp_path: Path) -> None:
    for k in (1, 2):
        _photo(k).save(tmp_path / f"photo{k}.jpg", quality=92)
    viewer(_photo(1), share=0.5)[0].save(tmp_path / "screenshot.png")
    assert _groups(tmp_path) == [{"photo1.jpg", "screenshot.png"}]


def test_a_copy_disagrees_nowhere_a_different_picture_in_many_tiles() -> None:
    def views(image: Image.Image) -> Views:
        grey = working_image(image.convert("L"))
        return views_of(grey, relative_box(grey))

    a, b = card(_photo(4)), card(_photo(5))
    copy = a.resize((250, 350), Image.Resampling.LANCZOS)
    va, vb, vc = views(a), views(b), views(copy)
    assert disagreeing_tiles(va.detailed(), vc.detailed()) == 0
    assert view_similarity(va, vc) > 0.95
    assert view_similarity(va, vb) < 0.5


def test_tiles_differing_only_in_level_disagree() -> None:
    """A bright and a dark plain panel in the same place of one picture (a label, a slide's
    box) have no structure to correlate, but their level differs: those tiles disagree. A
    brightness and contrast edit moves every tile alike: none disagrees."""
    grey = _photo(3).convert("L").resize((64, 64), Image.Resampling.BOX)
    a, b = np.array(grey), np.array(grey)
    a[24:40, 24:40], b[24:40, 24:40] = 230, 40  # four whole tiles
    assert disagreeing_tiles(a, b) == 4
    brighter = np.clip(a.astype(np.float64) * 1.15 + 12, 0, 255).astype(np.uint8)
    darker = np.clip(b.astype(np.float64) * 0.8, 0, 255).astype(np.uint8)
    assert disagreeing_tiles(a, brighter) == disagreeing_tiles(b, darker) == 0


def test_a_small_picture_on_a_plain_screen_must_agree_too() -> None:
    """Two different small pictures on one dark phone screen touch only two coarse tiles,
    within what a watermark may change; on fine tiles they differ over most of what the
    screen has. A watermark on a busy photo changes a few fine tiles of many."""
    screen = np.full((64, 64), 16, np.uint8)
    screen[8:10, 8:56] = 200  # an app bar and buttons: the same on both
    for x in (12, 26, 40):
        screen[54:56, x : x + 8] = 180
    photos = [
        np.asarray(_photo(k).convert("L").resize((24, 8), Image.Resampling.BOX)) for k in (1, 2)
    ]
    a, b = screen.copy(), screen.copy()
    a[28:36, 20:44], b[28:36, 20:44] = photos
    assert disagreeing_tiles(a, b) <= MAX_DISAGREEING  # the coarse tiles alone let it pass
    assert not views_agree(a, b)
    busy = np.asarray(_photo(3).convert("L").resize((64, 64), Image.Resampling.BOX))
    marked = busy.copy()
    marked[44:52, 36:56] = np.minimum(255, marked[44:52, 36:56].astype(np.int16) + 60)
    assert views_agree(busy, marked)


@pytest.mark.parametrize("with_detail", [True, False])
def test_views_round_trip(with_detail: bool) -> None:
    rng = np.random.default_rng(0)
    content = rng.integers(0, 255, (32, 32), dtype=np.uint8)
    frame = rng.integers(0, 255, (48, 48), dtype=np.uint8)
    detail = rng.integers(0, 255, (64, 64), dtype=np.uint8) if with_detail else None
    views = Views(content, frame, (0.1, 0.2, 0.9, 0.8), 1.5, detail)
    back = Views.from_bytes(views.to_bytes())
    assert back.box == views.box and back.aspect == views.aspect
    assert np.array_equal(back.detailed(), views.detailed())
    with pytest.raises(ValueError, match="not a serialised"):
        Views.from_bytes(views.to_bytes()[:-1])


def test_a_small_object_in_a_dark_sky_is_still_the_content() -> None:
    sky = Image.new("L", (640, 480), 12)
    ImageDraw.Draw(sky).ellipse((300, 220, 340, 260), fill=200)
    box = relative_box(working_image(sky))
    assert box is not None and (box[2] - box[0]) * (box[3] - box[1]) < 0.05


@pytest.mark.parametrize("invariant", ["", "flip,rotate"])
@pytest.mark.parametrize(
    "design", ["filemanager", "social", "phone", "web", "video", "mail", "blog", "lightbox"]
)
def test_different_pictures_in_one_app_design_are_not_duplicates(
    tmp_path: Path, design: str, invariant: str
) -> None:
    from neardup.tools.frames import framed

    for k in range(5):
        framed(design, _photo(k), 0.35 + 0.05 * k)[0].save(tmp_path / f"{design}{k}.png")
    assert _groups(tmp_path, threshold=12, invariant=invariant) == []


def test_flipped_and_turned_screenshots_match_under_invariance(tmp_path: Path) -> None:
    from neardup.tools.frames import framed

    shot = framed("viewer", _photo(1), 0.5)[0]
    shot.save(tmp_path / "shot.png")
    shot.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(tmp_path / "flipped.png")
    shot.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "turned.png")
    framed("viewer", _photo(2), 0.5)[0].save(tmp_path / "other.png")
    expected = [{"shot.png", "flipped.png", "turned.png"}]
    assert _groups(tmp_path, invariant="flip,rotate") == expected


def _found_box(shot: Image.Image) -> tuple[float, ...] | None:
    """The relative picture box a scan finds, on the working image as a scan makes it."""
    return relative_box(working_image(shot.convert("L")))


def _assert_found(shot: Image.Image, truth: tuple[int, int, int, int]) -> None:
    """The box a scan finds in ``shot`` is ``truth`` (pixels) to within 2% of each side."""
    w, h = shot.size
    box = _found_box(shot)
    assert box is not None
    x0, y0, x1, y1 = truth
    assert np.abs(np.subtract(box, (x0 / w, y0 / h, x1 / w, y1 / h))).max() < 0.02


@pytest.mark.parametrize(("design", "share"), [("social", 0.32), ("phone", 0.32), ("chat", 0.45)])
@pytest.mark.parametrize("k", [0, 1, 9])
def test_a_small_picture_in_an_app_screen_is_found(design: str, share: float, k: int) -> None:
    """A photo at under a tenth of a phone screen, on a plain canvas among lines of text and
    icons, is found (the edges of a smaller picture were too short to be tried)."""
    from neardup.tools.frames import framed

    shot, truth = framed(design, _photo(k), share)
    _assert_found(shot, truth)


@pytest.mark.parametrize(("k", "share"), [(2, 0.30), (22, 0.30), (24, 0.33), (0, 0.30), (7, 0.33)])
def test_a_picture_inside_a_column_of_text_is_found(k: int, share: float) -> None:
    """A web page's article column is a panel of text bounded by edges; the small picture
    inside it is tried on its own (it was passed over as "mostly on a panel"), and looked
    for among the column's own lines (the page's header and text lines took every
    candidate line before the picture's lower edge)."""
    from neardup.tools.frames import framed

    shot, truth = framed("web", _photo(k), share)
    _assert_found(shot, truth)


def test_different_small_pictures_in_one_web_page_are_not_duplicates(tmp_path: Path) -> None:
    """Pictures at 30% of a web page's width, in its column of text: the pages are the
    same pixel for pixel around them, and a re-saved copy of each still groups with it."""
    from neardup.tools.frames import framed

    for k in range(4):
        framed("web", _photo(k), 0.30)[0].save(tmp_path / f"{k}.png")
    Image.open(tmp_path / "0.png").convert("RGB").save(tmp_path / "0-copy.jpg", quality=70)
    assert _groups(tmp_path) == [{"0.png", "0-copy.jpg"}]


def test_a_panel_of_text_is_not_a_picture() -> None:
    page = Image.new("L", (300, 200), 250)
    draw = ImageDraw.Draw(page)
    for y in range(10, 190, 14):
        draw.text((12, y), "IMG_2041.JPG   2.4 MB   holiday", fill=40)
    assert is_panel(np.asarray(page))
    assert not is_panel(np.asarray(_photo(1).convert("L")))


@pytest.mark.parametrize("design", ["social", "phone", "chat"])
def test_small_different_pictures_in_one_feed_are_not_duplicates(
    tmp_path: Path, design: str
) -> None:
    """Pictures at 30–36% of a phone screen's width: the screens around them are the same
    pixel for pixel, and a re-saved copy of each still groups with it."""
    from neardup.tools.frames import framed

    shots = [framed(design, _photo(k), 0.30 + 0.02 * k)[0] for k in range(4)]
    for k, shot in enumerate(shots):
        shot.save(tmp_path / f"{k}.png")
    shots[0].convert("RGB").save(tmp_path / "0-copy.jpg", quality=70)
    assert _groups(tmp_path) == [{"0.png", "0-copy.jpg"}]


def test_a_screenshot_in_a_phone_feed_matches_the_picture(tmp_path: Path) -> None:
    from neardup.tools.frames import framed

    _photo(1).save(tmp_path / "picture.jpg", quality=92)
    framed("social", _photo(1), 0.4)[0].save(tmp_path / "shot.png")
    framed("social", _photo(2), 0.4)[0].save(tmp_path / "other.png")
    assert _groups(tmp_path) == [{"picture.jpg", "shot.png"}]


def _under_a_plain_sky(k: int) -> Image.Image:
    """Photo ``k`` under a plain sky (a third of its height) that meets it along a wavy
    line: the photo alone is trimmed of most of the sky, and no straight edge divides it."""
    photo = _photo(k)
    w, h = photo.size
    sky = h // 2
    out = Image.new("RGB", (w, h + sky), (150, 190, 230))
    wave = sky + (np.sin(np.arange(w) / w * 6 * np.pi) * h * 0.08).astype(int)
    mask = (np.arange(h + sky)[:, None] >= wave[None, :]).astype(np.uint8) * 255
    out.paste(photo, (0, sky // 2), Image.fromarray(mask[sky // 2 : sky // 2 + h]))
    return out.crop((0, 0, w, h + sky // 2))


@pytest.mark.parametrize("k", [0, 2])
def test_a_screenshot_of_a_trimmed_photo_matches_it(tmp_path: Path, k: int) -> None:
    """The photo alone is trimmed of its sky, its screenshot shows all of it: the picture
    found in the screenshot is the photo whole, and matches it as a whole."""
    _under_a_plain_sky(k).save(tmp_path / "photo.jpg", quality=92)
    _under_a_plain_sky(k + 1).save(tmp_path / "other.jpg", quality=92)
    viewer(_under_a_plain_sky(k), share=0.5)[0].save(tmp_path / "shot.png")
    assert _groups(tmp_path) == [{"photo.jpg", "shot.png"}]


@pytest.mark.parametrize("design", ["video", "mail", "blog"])
def test_a_screenshot_in_a_later_design_matches_the_picture(tmp_path: Path, design: str) -> None:
    from neardup.tools.frames import framed

    _photo(1).save(tmp_path / "picture.jpg", quality=92)
    framed(design, _photo(1), 0.45)[0].save(tmp_path / "shot.png")
    framed(design, _photo(2), 0.45)[0].save(tmp_path / "other.png")
    assert _groups(tmp_path) == [{"picture.jpg", "shot.png"}]


@pytest.mark.parametrize("name", ["060_mountRushmore", "105_meerkats", "106_nubian_ibex"])
def test_a_picture_floating_on_a_viewer_canvas_is_found(name: str) -> None:
    """The viewer's canvas is bounded by straight edges and found first; the picture floats
    on it with the canvas colour all round, which is the frame's too and is cut off."""
    from neardup.tools.frames import framed

    photo = Image.open(PHOTOS[0].with_stem(name)).convert("RGB")
    shot, truth = framed("viewer", photo, 0.35)
    _assert_found(shot, truth)


def test_a_plain_sky_inside_a_found_picture_stays_with_it(tmp_path: Path) -> None:
    """A picture found by its edges keeps its own plain sky (margins on one side only):
    the screenshot's picture is the whole photo, as the photo alone is."""
    from neardup.tools.frames import framed

    photo = _under_a_plain_sky(1)
    shot, truth = framed("viewer", photo, 0.5)
    _assert_found(shot, truth)


def test_a_line_across_a_found_picture_does_not_cut_it(tmp_path: Path) -> None:
    """A city skyline over its dark foreground, in a blog post: the foot of the buildings
    is a straight line with a quiet strip below it, which was taken for the side of a
    picture inside the picture (its other three sides the picture's own). A strip that is
    not a panel is the photo's own ground: the screenshot's picture is the whole photo."""
    from neardup.tools.frames import framed

    photo = Image.open(PHOTOS[0].with_stem("023_skyline-sf-dusk-back")).convert("RGB")
    shot, truth = framed("blog", photo, 0.6)
    _assert_found(shot, truth)
    photo.save(tmp_path / "photo.jpg", quality=92)
    shot.save(tmp_path / "shot.png")
    assert _groups(tmp_path) == [{"photo.jpg", "shot.png"}]
