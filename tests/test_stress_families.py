"""The generated look-alike families, the screenshot transform and the tuning / held-out
split of the evaluation: deterministic, really different pictures sharing a frame or a
template, halves disjoint and stable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from neardup.errors import UsageError
from neardup.tools import frames, stress, templates, transforms
from neardup.tools.measure import reduce_for_hashing
from neardup.tools.scoring import ORIGINAL, Truth, score_clusters, wrong_pairs_by_family


@pytest.fixture(scope="module")
def pictures(photo_paths: list[Path]) -> list[Image.Image]:
    out = []
    for p in photo_paths[:6]:
        with Image.open(p) as im:
            out.append(reduce_for_hashing(im.convert("RGB"), 256))
    return out


def _pixels(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.int16)


def _outside(size: tuple[int, int], boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    mask = np.ones((size[1], size[0]), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        mask[y0:y1, x0:x1] = False
    return mask


@pytest.mark.parametrize("family", stress.ALL_FAMILIES)
def test_every_family_is_deterministic_and_each_number_differs(
    family: str, pictures: list[Image.Image]
) -> None:
    a = stress.generate(family, 3, pictures)
    again = stress.generate(family, 3, pictures)
    assert a.tobytes() == again.tobytes() and a.size == again.size
    b = stress.generate(family, 4, pictures)
    assert a.size != b.size or a.tobytes() != b.tobytes()


@pytest.mark.parametrize("name", frames.NAMES)
def test_frame_designs_share_every_pixel_outside_the_picture(
    name: str, pictures: list[Image.Image]
) -> None:
    rng = np.random.default_rng(0)
    one, box_one = frames.family_image(name, pictures[0], rng)
    two, box_two = frames.family_image(name, pictures[1], rng)
    assert one.size == two.size == frames.design(name).size
    same = _outside(one.size, [box_one, box_two])
    assert same.mean() > 0.4  # the frame is a large part of the picture
    assert (_pixels(one)[same] == _pixels(two)[same]).all()
    # ... and the pictures are different pictures
    x0, y0, x1, y1 = (max(a, b) for a, b in zip(box_one[:2] * 2, box_two[:2] * 2, strict=True))
    x1, y1 = min(box_one[2], box_two[2]), min(box_one[3], box_two[3])
    diff = np.abs(_pixels(one)[y0:y1, x0:x1] - _pixels(two)[y0:y1, x0:x1]).mean()
    assert diff > 10
    for box in (box_one, box_two):
        share = (box[2] - box[0]) / one.width
        assert share <= frames.FAMILY_SHARE[1] + 0.01


@pytest.mark.parametrize("name", templates.NAMES)
def test_template_sets_differ_only_in_their_content_boxes(
    name: str, pictures: list[Image.Image]
) -> None:
    one, boxes_one = templates.render(name, pictures[2], np.random.default_rng(1))
    two, boxes_two = templates.render(name, pictures[3], np.random.default_rng(2))
    assert one.size == two.size
    same = _outside(one.size, boxes_one + boxes_two)
    assert same.mean() > 0.3
    assert (_pixels(one)[same] == _pixels(two)[same]).all()
    assert one.tobytes() != two.tobytes()


def test_flat_images_are_flat_and_never_the_same_colour_at_the_same_size() -> None:
    seen = set()
    count = len(stress.FLAT_COLOURS)
    for n in [*range(count + 4), 2 * count, 2 * count + 1]:  # colours come round again
        img = stress.generate("flat", n, [])
        arr = _pixels(img)[::7, ::7]
        colour = tuple(int(c) for c in np.median(arr.reshape(-1, 3), axis=0))
        assert colour == stress.FLAT_COLOURS[n % len(stress.FLAT_COLOURS)]
        assert arr.std(axis=(0, 1)).max() < 4  # solid, tiny noise or a faint gradient
        assert (colour, img.size) not in seen
        seen.add((colour, img.size))
    first = [stress.FLAT_COLOURS[n] for n in range(len(stress.FLAT_COLOURS))]
    assert len(set(first)) == len(first)


def test_rotated_pictures_have_plain_corners(pictures: list[Image.Image]) -> None:
    for n in range(3):
        arr = _pixels(stress.generate("rotated", n, pictures))
        corner = arr[0, 0]
        assert (corner == (255 if n % 3 == 2 else 0)).all()
        assert (arr[-1, -1] == corner).all()
        assert arr.shape[0] > 360 and arr.shape[1] > 360  # expanded by the rotation


def test_tiles_are_four_disjoint_quarters(pictures: list[Image.Image]) -> None:
    photo = pictures[0]
    quarters = [stress.tile(photo, q) for q in range(4)]
    assert {q.size for q in quarters} == {(photo.width // 2, photo.height // 2)}
    assert len({q.tobytes() for q in quarters}) == 4


def test_screenshot_shows_the_original_at_the_stated_scale(pictures: list[Image.Image]) -> None:
    for seed, picture in enumerate(pictures):
        for half in (0, 1):
            names = frames.NAMES[half::2]
            shot, box = frames.screenshot(picture, seed, names)
            assert shot.size in {frames.design(n).size for n in names}
            share = (box[2] - box[0]) / shot.width
            assert frames.SCREENSHOT_SHARE[0] - 0.01 <= share <= frames.SCREENSHOT_SHARE[1] + 0.01
            inside = shot.crop(box)
            expected = picture.resize(inside.size, Image.Resampling.LANCZOS)
            assert np.abs(_pixels(inside) - _pixels(expected)).mean() < 1
            same = transforms.apply(picture, "screenshot", seed, half)
            assert same.tobytes() == shot.tobytes()


def test_screenshot_transform_is_listed_after_the_geometric_edits() -> None:
    assert list(transforms.TRANSFORMS)[-1] == "screenshot"
    assert transforms.parse_transforms("screenshot,jpeg70") == ("jpeg70", "screenshot")


def test_halves_are_disjoint_stable_and_both_used(photo_paths: list[Path]) -> None:
    halves = [stress.photo_half(p.name) for p in photo_paths]
    assert halves == [stress.photo_half(p.name) for p in photo_paths]
    assert 0.25 < np.mean(halves) < 0.75
    assert stress.photo_half("a.jpg") == stress.photo_half("a.jpg")
    for names, half_of in ((frames.NAMES, frames.half_of), (templates.NAMES, templates.half_of)):
        tuning = {n for n in names if half_of(n) == 0}
        held = {n for n in names if half_of(n) == 1}
        assert tuning and held and not tuning & held and tuning | held == set(names)
    # every template kind has one design in each half; a family's images keep to one half
    kinds = {n.rpartition("-")[0] for n in templates.NAMES if templates.half_of(n) == 1}
    assert kinds == {n.rpartition("-")[0] for n in templates.NAMES}
    for family in (*stress.FRAME_FAMILIES, *stress.TEMPLATE_FAMILIES):
        assert len({stress.family_half(family, n) for n in range(6)}) == 1
    for family in ("flat", "rotated", "night"):
        assert [stress.family_half(family, n) for n in range(4)] == [0, 1, 0, 1]
    # flat colours of the two halves differ
    colours = [
        {stress.FLAT_COLOURS[n % len(stress.FLAT_COLOURS)] for n in range(80) if n % 2 == h}
        for h in (0, 1)
    ]
    assert not colours[0] & colours[1]


def test_parse_families() -> None:
    assert stress.parse_families("all") == stress.ALL_FAMILIES
    assert stress.parse_families("none") == ()
    assert stress.parse_families("frame") == stress.FRAME_FAMILIES
    assert stress.parse_families("rotated, frame-web") == ("frame-web", "rotated")
    with pytest.raises(UsageError, match="frames"):
        stress.parse_families("frames")


def test_wrong_pairs_are_counted_by_family() -> None:
    # identities: 0 (photo, rows 0-1), 1 and 2 (frame-viewer), 3 (flat)
    truth = Truth(
        np.array([0, 0, 1, 2, 3]),
        np.array([ORIGINAL, "jpeg70", ORIGINAL, ORIGINAL, ORIGINAL]),
        np.array(["photos", "photos", "stress", "stress", "stress"]),
        np.array([0, 0, 2, 3, 4]),
        np.array(["photos", "photos", "frame-viewer", "frame-web", "flat"]),
        np.array([0, 0, 0, 0, 1]),
    )
    # one group of the two frames and the photo's copy; one group of the photo and the flat
    groups = [np.array([1, 2, 3]), np.array([0, 4])]
    by_class, by_family = wrong_pairs_by_family(truth, groups)
    assert by_class == {"flat": 1, "frame": 3, "photos": 3}
    assert by_family == {"flat": 1, "frame-viewer": 2, "frame-web": 2, "photos": 3}
    overall, _ = score_clusters(truth, groups, ["jpeg70"])
    assert overall.wrong_pairs == 4
    assert overall.wrong_by_class == by_class


def test_subset_keeps_each_identity_with_its_original() -> None:
    truth = Truth(
        np.array([0, 1, 0, 1]),
        np.array([ORIGINAL, ORIGINAL, "jpeg70", "jpeg70"]),
        np.array(["photos"] * 4),
        np.array([0, 1, 0, 1]),
        np.array(["photos"] * 4),
        np.array([0, 1, 0, 1]),
    )
    held = truth.subset(np.flatnonzero(truth.half == 1))
    assert held.identity.tolist() == [1, 1]
    assert held.original_row.tolist() == [0, 0]


def test_each_half_has_flat_colours_of_one_grey_level_at_one_size() -> None:
    def grey(c: tuple[int, int, int]) -> int:
        return int(Image.new("RGB", (1, 1), c).convert("L").getpixel((0, 0)))  # type: ignore[arg-type]

    for half in (0, 1):
        same = 0
        images = [(n, stress.generate("flat", n, [])) for n in range(half, 24, 2)]
        for k, (n, a) in enumerate(images):
            for m, b in images[k + 1 :]:
                ca, cb = stress.FLAT_COLOURS[n], stress.FLAT_COLOURS[m]
                if a.size == b.size and abs(grey(ca) - grey(cb)) <= 1:
                    assert ca != cb
                    same += 1
        assert same >= 4
