"""``--crop``'s aligned comparisons: a cropped or turned copy matches its original, two
different pictures in one shared frame do not (the aligned part must agree tile by tile)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from neardup.hashing.alignment import (
    ALIGNED_MIN,
    _crop_boxes,
    aligned_similarity_of_frames,
    frame_alignments,
)
from neardup.hashing.views import Views, frame_region, unit_rows, views_of
from neardup.tools import frames, transforms
from tests.conftest import photo


def _coarse(a: Views, b: Views) -> float:
    """The best correlation of an aligned part with the other whole, before any tile check."""
    wa, wb = frame_region(a.frame, None), frame_region(b.frame, None)
    return float(max((frame_alignments(a) @ wb).max(), (frame_alignments(b) @ wa).max()))


def _base(k: int) -> Image.Image:
    with Image.open(photo(k)) as im:
        return im.convert("RGB")


@pytest.mark.parametrize("k", [0, 3, 9])
@pytest.mark.parametrize("kind", ["crop10", "crop5", "rot5"])
def test_a_cropped_or_turned_copy_aligns_with_its_original(k: int, kind: str) -> None:
    base = _base(k)
    original, copy = views_of(base), views_of(transforms.apply(base, kind, k))
    assert aligned_similarity_of_frames(original, copy) >= ALIGNED_MIN
    assert aligned_similarity_of_frames(copy, original) >= ALIGNED_MIN


@pytest.mark.parametrize("design", ["chat", "viewer", "slideshow"])
def test_different_pictures_in_one_frame_do_not_align(design: str) -> None:
    # the pictures are not looked for (box None): the frames are compared whole, as when
    # a picture is not found; the shared frame makes some aligned part correlate well
    shots = [frames.framed(design, _base(k), 0.3)[0] for k in (1, 9)]
    a, b = (views_of(s, None) for s in shots)
    assert _coarse(a, b) >= ALIGNED_MIN
    assert aligned_similarity_of_frames(a, b) < ALIGNED_MIN


def test_every_alignment_is_its_region_as_a_scan_compares_it() -> None:
    """The crops are the frame's regions, each a unit vector; a flat frame gives zeros."""
    views = views_of(_base(2))
    got = frame_alignments(views)
    for k, box in enumerate(_crop_boxes()):
        np.testing.assert_allclose(got[k], frame_region(views.frame, box), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, rtol=1e-5)
    rows = np.vstack([np.full(16, 7.0), np.arange(16.0)]).astype(np.float32)
    assert not unit_rows(rows)[0].any()
    assert abs(float(unit_rows(rows)[1].sum())) < 1e-5
