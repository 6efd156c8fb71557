"""The fast 3×3 median of the margin search equals Pillow's ``MedianFilter(3)``."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from neardup.hashing.trim import median3


@pytest.mark.parametrize("seed", range(6))
def test_median3_equals_pillow(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        h, w = (int(v) for v in rng.integers(1, 90, 2))
        levels = int(rng.choice([2, 5, 256]))
        pixels = (rng.integers(0, levels, (h, w)) * (255 // max(1, levels - 1))).astype(np.uint8)
        expected = np.asarray(Image.fromarray(pixels).filter(ImageFilter.MedianFilter(3)))
        assert np.array_equal(median3(pixels), expected), (h, w, levels)
