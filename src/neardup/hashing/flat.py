"""Flat and nearly flat images (a solid fill, a blank page): they have no structure to
correlate, so verification calls one a duplicate only of another flat image of about the
same level, colour and proportions (:func:`flat_similarity`), whatever their hashes say.
"""

from __future__ import annotations

from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray


class ViewsLike(Protocol):
    """What of an image's :class:`neardup.hashing.views.Views` the comparison reads."""

    @property
    def frame(self) -> NDArray[np.uint8]: ...
    @property
    def aspect(self) -> float: ...
    @property
    def chroma(self) -> NDArray[np.uint8] | None: ...


#: Two flat images are duplicates only when their mean Cb and Cr differ at most this much.
FLAT_CHROMA: Final = 6.0
#: A frame whose grey levels spread less than this (standard deviation) is flat.
FLAT_SPREAD: Final = 2.0
#: Two flat images are duplicates only when their mean grey levels differ at most this much
#: and their proportions (width / height) by at most :data:`FLAT_ASPECT`.
FLAT_LEVEL: Final = 3.0
FLAT_ASPECT: Final = 0.02


def is_flat(views: ViewsLike) -> bool:
    """Whether an image is one colour, or nearly (a solid fill, a blank page).

    >>> from neardup.hashing.views import Views
    >>> flat = np.full((48, 48), 80, np.uint8)
    >>> is_flat(Views(flat[:32, :32], flat, None))
    True
    """
    return float(views.frame.std()) < FLAT_SPREAD


def flat_similarity(a: ViewsLike, b: ViewsLike) -> float:
    """1.0 when both images are flat at about the same level and proportions, else -1.0."""
    if not (is_flat(a) and is_flat(b)):
        return -1.0
    level = abs(float(a.frame.mean()) - float(b.frame.mean()))
    aspect = abs(a.aspect - b.aspect) / max(a.aspect, b.aspect, 1e-9)
    tint = 0.0
    if a.chroma is not None and b.chroma is not None:
        mean_a = a.chroma.reshape(2, -1).mean(axis=1)
        mean_b = b.chroma.reshape(2, -1).mean(axis=1)
        tint = float(np.abs(mean_a - mean_b).max())
    same = level <= FLAT_LEVEL and aspect <= FLAT_ASPECT and tint <= FLAT_CHROMA
    return 1.0 if same else -1.0
