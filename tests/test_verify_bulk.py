"""Verification of many pairs at once gives exactly what comparing them one by one gives."""

from __future__ import annotations

import itertools

import pytest
from PIL import Image, ImageOps

from neardup.hashing.alignment import ALIGNED_MIN, aligned_similarity_of_frames
from neardup.hashing.views import (
    Views,
    view_similarity,
    views_of,
)
from neardup.model import DEFAULT_VERIFY_MIN
from neardup.pipeline.verify import verified
from neardup.tools import transforms
from tests.conftest import photo


def _views() -> list[Views | None]:
    """Photos, edited copies, framed copies (with margins), a flat image and a missing one."""
    out: list[Views | None] = []
    for k in (1, 5, 9, 40):
        with Image.open(photo(k)) as im:
            base = im.convert("RGB").reduce(4)
        out.append(views_of(base))
        out.append(views_of(transforms.apply(base, "jpeg30", 1)))
        out.append(views_of(ImageOps.expand(base, border=30, fill=(0, 0, 0))))
        out.append(views_of(ImageOps.mirror(base)))
    out.append(views_of(Image.new("RGB", (300, 200), (90, 90, 90))))
    out.append(views_of(Image.new("RGB", (300, 200), (91, 91, 91))))
    out.append(None)
    return out


def _one_by_one(
    pairs: dict[tuple[int, int], int],
    views: list[Views | None],
    *,
    trim: bool,
    invariant: frozenset[str],
    threshold: int,
    crop: bool,
) -> dict[tuple[int, int], int]:
    out = {}
    for (a, b), d in pairs.items():
        va, vb = views[a], views[b]
        if va is None or vb is None:
            continue
        near = d <= threshold
        if (
            near and view_similarity(va, vb, trim=trim, invariant=invariant) >= DEFAULT_VERIFY_MIN
        ) or (crop and aligned_similarity_of_frames(va, vb) >= ALIGNED_MIN):
            out[(a, b)] = d
    return out


@pytest.mark.parametrize(
    ("trim", "invariant", "crop"),
    [
        (True, frozenset(), False),
        (False, frozenset(), False),
        (True, frozenset({"flip"}), False),
        (True, frozenset(), True),
    ],
)
def test_bulk_verification_equals_pair_by_pair(
    trim: bool, invariant: frozenset[str], crop: bool
) -> None:
    views = _views()
    pairs = {(a, b): (a * 7 + b) % 12 for a, b in itertools.combinations(range(len(views)), 2)}
    expected = _one_by_one(pairs, views, trim=trim, invariant=invariant, threshold=8, crop=crop)
    got = verified(
        pairs,
        views,
        DEFAULT_VERIFY_MIN,
        trim=trim,
        invariant=invariant,
        threshold=8,
        crop=crop,
    )
    assert got == expected
    assert got  # the set has true pairs (edited copies), so the check is not vacuous
    assert len(got) < len([p for p in pairs if views[p[0]] and views[p[1]]])
