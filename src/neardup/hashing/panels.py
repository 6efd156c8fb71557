"""Panels of text on a plain ground (a file list, a caption): rectangles bounded by edges
like a picture, but mostly one grey level, so never taken for one."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

#: A region is a panel, not a picture, when this share of its pixels lies within
#: :data:`PANEL_TOLERANCE` of one grey level (text on a plain ground; a photo's share is
#: 0.18 at the median, 0.39 at the 95th percentile).
PANEL_SHARE: Final = 0.6
PANEL_TOLERANCE: Final = 6
#: How many panels (each with the rectangles mostly on it) are passed over before none is
#: taken for a picture.
PANEL_TRIES: Final = 8


def is_panel(part: NDArray[np.uint8]) -> bool:
    """Whether most of ``part``, and of its middle (the central half of each side), is one
    grey level (:data:`PANEL_SHARE`): text on a plain ground is plain throughout, a picture
    framed on a plain ground is not in its middle."""
    h, w = part.shape
    middle = part[h // 4 : h - h // 4, w // 4 : w - w // 4]
    return _one_level(part) and _one_level(middle)


def _one_level(part: NDArray[np.uint8]) -> bool:
    return main_level(part, PANEL_TOLERANCE)[1] >= PANEL_SHARE * max(1, part.size)


def main_level(pixels: NDArray[np.uint8], tolerance: int) -> tuple[int, int]:
    """The grey level with the most pixels within ``tolerance`` of it, and how many."""
    counts = np.bincount(pixels.ravel(), minlength=256)
    window = np.convolve(counts, np.ones(2 * tolerance + 1, np.int64), "same")
    level = int(window.argmax())
    return level, int(window[level])
