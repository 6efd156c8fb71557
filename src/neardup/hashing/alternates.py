"""Alternate hashes of one image, for matching beyond its own hash: the flips and rotations
of its pHash thumbnail (``--invariant``) and centred sub-regions (``--crop``), and
:func:`extract`, which computes everything a scan with such options needs from one decoded
image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from PIL import Image

from neardup.bits import bits_to_int
from neardup.hashing.decode import REDUCING_GAP, grey_of, shrink
from neardup.hashing.fast import input_size, phash_bits
from neardup.hashing.spec import hash_image, thumbnail_hash
from neardup.hashing.trim import Box, crop_relative, trimmed_hash, working_image
from neardup.hashing.views import Views, dihedral_views, grey_thumbnail, views_of
from neardup.model import HashSpec

#: Centred sub-regions hashed for crop resistance (share of each side kept).
CENTRE_FRACTIONS: Final[tuple[float, ...]] = (0.9, 0.8)


@dataclass(frozen=True, slots=True)
class FeatureOptions:
    """Which extra features a scan computes (all but trimming are opt-in)."""

    trim: bool = True
    invariant: frozenset[str] = frozenset()
    crop: bool = False
    verify: bool = False

    @property
    def needs_alternates(self) -> bool:
        return bool(self.invariant) or self.crop


@dataclass(frozen=True, slots=True)
class Features:
    """What a scan keeps of one image besides its main hash."""

    alternates: tuple[int, ...] = ()
    views: Views | None = field(default=None, compare=False)


def dihedral_count(invariant: frozenset[str]) -> int:
    """How many flipped/rotated hashes :func:`dihedral_hashes` makes (they come first among
    an image's alternates)."""
    return (4 if "rotate" in invariant else 1) * (2 if "flip" in invariant else 1) - 1


def dihedral_hashes(
    image: Image.Image, invariant: frozenset[str], hash_size: int = 8
) -> tuple[int, ...]:
    """pHash of the flipped/rotated thumbnails (identity excluded): 1, 3 or 7 hashes."""
    if not invariant:
        return ()
    pixels = grey_thumbnail(image, 4 * hash_size)
    return tuple(bits_to_int(phash_bits(p, hash_size)) for p in dihedral_views(pixels, invariant))


def centre_hashes(
    image: Image.Image, spec: HashSpec, fractions: Sequence[float] = CENTRE_FRACTIONS
) -> tuple[int, ...]:
    """Hashes of centred sub-regions keeping ``fractions`` of each side.

    The fast path resizes each region straight out of ``image`` (Lanczos after averaging
    areas down to twice the thumbnail, :data:`~neardup.hashing.decode.REDUCING_GAP`): an
    alternate only has to find candidates, which verification then confirms, and the
    fuller gap of the main hash would cost twice as much for a bit of difference or less.
    """
    w, h = image.size
    grey = image if spec.compat else grey_of(image)  # once, for every region
    out = []
    for f in fractions:
        cw, ch = max(1, round(w * f)), max(1, round(h * f))
        x, y = (w - cw) // 2, (h - ch) // 2
        if spec.compat:
            out.append(hash_image(image.crop((x, y, x + cw, y + ch)), spec))
        else:
            size = input_size(spec.algorithm, spec.size, cw, ch)
            box = (float(x), float(y), float(x + cw), float(y + ch))
            out.append(thumbnail_hash(shrink(grey, size, box, REDUCING_GAP), spec))
    return tuple(out)


def alternate_hashes(
    trimmed: Image.Image, spec: HashSpec, options: FeatureOptions
) -> tuple[int, ...]:
    """The alternates ``options`` ask for, of an image without its margins: flipped and
    turned hashes (``invariant``) first, then the centred crops' (``crop``)."""
    alternates: tuple[int, ...] = ()
    if options.invariant:
        alternates += dihedral_hashes(trimmed, options.invariant, spec.size)
    if options.crop:
        alternates += centre_hashes(trimmed, spec)
    return alternates


class Extracted(NamedTuple):
    """What :func:`extract` finds in one image."""

    hash: int
    trim_hash: int | None
    trim_box: Box | None
    features: Features


def extract(image: Image.Image, spec: HashSpec, options: FeatureOptions) -> Extracted:
    """Hashes and :class:`Features` of a decoded image, as a scan with ``options`` needs
    (the uncached path of ``--invariant`` and ``--crop``): its hash, the hash without
    margins, and the alternates and views of the trimmed image."""
    value = hash_image(image, spec)
    trim_hash, box = trimmed_hash(image, spec, value) if options.trim else (None, None)
    alternates = alternate_hashes(crop_relative(image, box), spec, options)
    views = None
    if options.verify:
        views = views_of(working_image(image))
    return Extracted(value, trim_hash, box, Features(alternates, views))
