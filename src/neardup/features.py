"""Extra per-image features beyond the one perceptual hash: border trimming, flip/rotation
alternates, centred sub-region hashes and verification thumbnails.

All of it works on an already decoded :class:`PIL.Image.Image` (or its small greyscale
thumbnail), so it stays independent of how files are opened and hashed.

* :func:`trim_borders` removes uniform or near-uniform margins (frames, letterboxing) before
  hashing, so a padded copy hashes like its original.
* :func:`dihedral_hashes` computes pHash of the 8 flips/rotations of the 32×32 thumbnail;
  an image matches when any alternate of it is within the threshold of the other's hash.
* :func:`centre_hashes` hashes centred sub-regions (crop resistance).
* :func:`verify_thumbnail` is a small normalised greyscale thumbnail; the normalised
  correlation of two of them (:func:`similarity`) confirms candidate pairs (``--verify``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, NamedTuple

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from neardup.errors import UsageError
from neardup.hashing import HashSpec, bits_to_int, hash_image

#: ``--invariant`` names and the dihedral transforms (numpy functions on a square array) each adds.
INVARIANTS: Final[tuple[str, ...]] = ("flip", "rotate")

#: Largest share of a side :func:`trim_borders` may remove; more is content, not a frame.
MAX_TRIM: Final = 0.45
#: A margin line is uniform when this share of its pixels is within :data:`TRIM_TOLERANCE`.
#: 0.90 lets a trim pass through a small watermark or a few stars in a dark margin
#: (docs/accuracy.md measures 0.98, 0.94, 0.92 and 0.90).
TRIM_COVERAGE: Final = 0.90
#: Largest difference in luminance (0–255) from the line's level that still counts as uniform.
TRIM_TOLERANCE: Final = 6
#: Side of the reduced copy margins are searched on.
TRIM_PROBE: Final = 128

#: Side of the verification thumbnail.
VERIFY_SIDE: Final = 32
#: Side of the whole-frame thumbnail a :class:`Views` keeps (re-cropped when verifying).
FRAME_SIDE: Final = 48
#: Default smallest normalised correlation for verification to confirm a pair.
DEFAULT_VERIFY_MIN: Final = 0.92
#: Short side of the working image trimming and verification views are computed on.
WORKING_SIDE: Final = 256

Box = tuple[float, float, float, float]

#: Centred sub-regions hashed for crop resistance (share of each side kept).
CENTRE_FRACTIONS: Final[tuple[float, ...]] = (0.9, 0.8)


def parse_invariant(names: Iterable[str] | str | None) -> frozenset[str]:
    """``"flip,rotate"`` or an iterable of names → a validated set.

    >>> sorted(parse_invariant("rotate, flip"))
    ['flip', 'rotate']
    """
    if names is None:
        return frozenset()
    items = names.split(",") if isinstance(names, str) else list(names)
    chosen = frozenset(n.strip() for n in items if n.strip())
    unknown = sorted(chosen - set(INVARIANTS))
    if unknown:
        raise UsageError(
            f"unknown invariance {', '.join(unknown)}; choose from: {', '.join(INVARIANTS)}"
        )
    return chosen


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

    def check(self, spec: HashSpec) -> None:
        if self.invariant and spec.algorithm != "phash":
            raise UsageError("--invariant works with --hash phash only")


@dataclass(frozen=True, slots=True)
class Features:
    """What a scan keeps of one image besides its main hash."""

    alternates: tuple[int, ...] = ()
    views: Views | None = field(default=None, compare=False)


def _uniform_run(lines: NDArray[np.int16], limit: int) -> int:
    """How many leading lines (axis 0) are each (almost) one colour or a smooth ramp.

    Each line is compared with its own level plus a linear trend, so a gradient (a dark
    sky, a lit backdrop) trims as consistently as a flat frame.
    """
    start, step = 0, 4
    while start < limit:
        stop = min(limit, start + step)
        block = lines[start:stop].astype(np.float32)
        x = np.linspace(-1.0, 1.0, block.shape[1], dtype=np.float32)[None, :, None]
        level = np.median(block, axis=1, keepdims=True)
        slope = (block * x).sum(axis=1, keepdims=True) / (x * x).sum()
        close = (np.abs(block - level - slope * x).max(axis=2) <= TRIM_TOLERANCE).mean(axis=1)
        bad = np.flatnonzero(close < TRIM_COVERAGE)
        if bad.size:
            return start + int(bad[0])
        start, step = stop, step * 2
    return limit


def trim_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The box of ``image`` without uniform margins, or ``None`` when there are none.

    Margins are searched on a reduced copy; each side is trimmed while its outermost line
    is (almost) one colour (:data:`TRIM_COVERAGE` of its pixels within
    :data:`TRIM_TOLERANCE` of the line's median), at most :data:`MAX_TRIM` of the side.
    """
    w, h = image.size
    if w < 8 or h < 8:
        return None
    # A fixed-size, median-filtered probe: isolated specks (stars, noise, dust) vanish and
    # the result does not depend on the resolution of the copy.
    scale = TRIM_PROBE / max(w, h)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    probe = image.convert("L").resize(size, Image.Resampling.BOX)
    probe = probe.filter(ImageFilter.MedianFilter(3))
    a = np.asarray(probe, dtype=np.int16)[:, :, None]
    ph, pw = a.shape[:2]
    lim_y, lim_x = int(ph * MAX_TRIM), int(pw * MAX_TRIM)
    top = bottom = left = right = 0
    for _ in range(4):  # a frame's top edge hides the sky beside it: repeat until stable
        inner = a[top : ph - bottom, left : pw - right]
        cols = inner.transpose(1, 0, 2)
        new = (
            top + _uniform_run(inner, lim_y - top),
            bottom + _uniform_run(inner[::-1], lim_y - bottom),
            left + _uniform_run(cols, lim_x - left),
            right + _uniform_run(cols[::-1], lim_x - right),
        )
        if new == (top, bottom, left, right):
            break
        top, bottom, left, right = new
    if top == bottom == left == right == 0:
        return None
    sx, sy = w / pw, h / ph
    # Round inwards so no margin pixel survives the mapping back to full size.
    box = (
        min(w - 1, int(np.ceil(left * sx))),
        min(h - 1, int(np.ceil(top * sy))),
        max(1, int((pw - right) * sx)),
        max(1, int((ph - bottom) * sy)),
    )
    if box[2] - box[0] < 8 or box[3] - box[1] < 8:
        return None
    return box


def trim_borders(image: Image.Image) -> Image.Image:
    """``image`` without uniform margins (the same object when there are none)."""
    box = trim_box(image)
    return image if box is None else image.crop(box)


def grey_thumbnail(image: Image.Image, side: int) -> NDArray[np.float64]:
    """The ``side``×``side`` greyscale thumbnail pHash works on (ImageHash's resampling)."""
    small = image.convert("L").resize((side, side), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.float64)


def phash_of_thumbnail(pixels: NDArray[np.float64], hash_size: int = 8) -> int:
    """pHash of a ``4·hash_size`` square greyscale thumbnail, bit-identical to ImageHash."""
    import scipy.fft  # imported on first use: it costs start-up time

    dct = scipy.fft.dct(scipy.fft.dct(pixels, axis=0), axis=1)
    low = dct[:hash_size, :hash_size]
    return bits_to_int(low > np.median(low))


def dihedral_views(pixels: NDArray[Any], invariant: frozenset[str]) -> list[NDArray[Any]]:
    """The flips/rotations of ``pixels`` (first two axes) that ``invariant`` allows, without
    the identity."""
    rotations = [np.rot90(pixels, k) for k in range(4)] if "rotate" in invariant else [pixels]
    if "flip" in invariant:
        rotations += [np.fliplr(r) for r in rotations]
    return rotations[1:]


def dihedral_hashes(
    image: Image.Image, invariant: frozenset[str], hash_size: int = 8
) -> tuple[int, ...]:
    """pHash of the flipped/rotated thumbnails (identity excluded): 1, 3 or 7 hashes."""
    if not invariant:
        return ()
    pixels = grey_thumbnail(image, 4 * hash_size)
    return tuple(phash_of_thumbnail(p, hash_size) for p in dihedral_views(pixels, invariant))


def centre_hashes(
    image: Image.Image, spec: HashSpec, fractions: Sequence[float] = CENTRE_FRACTIONS
) -> tuple[int, ...]:
    """Hashes of centred sub-regions keeping ``fractions`` of each side."""
    w, h = image.size
    out = []
    for f in fractions:
        cw, ch = max(1, round(w * f)), max(1, round(h * f))
        x, y = (w - cw) // 2, (h - ch) // 2
        out.append(hash_image(image.crop((x, y, x + cw, y + ch)), spec))
    return tuple(out)


def relative_box(image: Image.Image) -> Box | None:
    """:func:`trim_box` as shares of the width and height (4 decimals), or ``None``."""
    box = trim_box(image)
    if box is None:
        return None
    w, h = image.size
    return (
        round(box[0] / w, 4),
        round(box[1] / h, 4),
        round(box[2] / w, 4),
        round(box[3] / h, 4),
    )


def crop_relative(image: Image.Image, box: Box | None) -> Image.Image:
    """``image`` cropped to a relative box (the image itself for ``None``)."""
    if box is None:
        return image
    w, h = image.size
    return image.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))


@dataclass(frozen=True, slots=True)
class Views:
    """What verification compares of one image: its content without margins at 32×32, the
    whole frame at 48×48 (greyscale, ``uint8``) and the relative trim box (``None``: no
    margins).

    Trimming depends on thresholds, so two copies of one photo may be trimmed differently
    (a clear sky ends a line earlier after a brightness edit). Keeping the whole frame lets
    :func:`view_similarity` compare one image's content with the same region of the other.
    """

    content: NDArray[np.uint8]
    frame: NDArray[np.uint8]
    box: Box | None
    #: Width / height of the image (the frame is stored square).
    aspect: float = 1.0

    _HEAD: ClassVar[str] = "<5f"

    def to_bytes(self) -> bytes:
        """A compact serialisation (3.3 KB) for the catalog."""
        box = self.box if self.box is not None else (-1.0, -1.0, -1.0, -1.0)
        head = struct.pack(self._HEAD, *box, self.aspect)
        return head + self.content.tobytes() + self.frame.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Views:
        head = struct.calcsize(cls._HEAD)
        c = VERIFY_SIDE * VERIFY_SIDE
        if len(data) != head + c + FRAME_SIDE * FRAME_SIDE:
            raise ValueError(f"not a serialised Views ({len(data)} bytes)")
        *box, aspect = struct.unpack(cls._HEAD, data[:head])
        content = np.frombuffer(data, np.uint8, c, head).reshape(VERIFY_SIDE, VERIFY_SIDE)
        frame = np.frombuffer(data, np.uint8, FRAME_SIDE * FRAME_SIDE, head + c)
        return cls(
            content,
            frame.reshape(FRAME_SIDE, FRAME_SIDE),
            None if box[0] < 0 else tuple(round(float(v), 4) for v in box),  # type: ignore[arg-type]
            round(float(aspect), 4),
        )


def views_of(image: Image.Image) -> Views:
    """The :class:`Views` of a decoded image (best given the working image, short side
    :data:`WORKING_SIDE`)."""
    grey = image.convert("L")
    box = relative_box(grey)
    content = grey_thumbnail(crop_relative(grey, box), VERIFY_SIDE).astype(np.uint8)
    frame = grey_thumbnail(grey, FRAME_SIDE).astype(np.uint8)
    return Views(content, frame, box, round(grey.width / max(1, grey.height), 4))


def unit_vector(pixels: NDArray[Any]) -> NDArray[np.float32]:
    """Pixels as a zero-mean, unit-norm vector (all zeros for a flat image)."""
    v = np.asarray(pixels, dtype=np.float32).ravel()
    v = v - v.mean()
    norm = float(np.linalg.norm(v))
    out: NDArray[np.float32] = v / norm if norm > 0 else v
    return out


def verify_thumbnail(image: Image.Image, side: int = VERIFY_SIDE) -> NDArray[np.float32]:
    """A zero-mean, unit-norm greyscale thumbnail, flattened (for normalised correlation)."""
    return unit_vector(grey_thumbnail(image, side))


def similarity(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """Normalised correlation of two :func:`unit_vector` vectors (-1 … 1).

    A flat image has no structure to correlate: it is similar only to another flat image.
    """
    na, nb = bool(a.any()), bool(b.any())
    if not na or not nb:
        return 1.0 if na == nb else 0.0
    return float(np.dot(a, b))


def aligned_similarity(
    a: NDArray[np.float32], b: NDArray[np.float32], invariant: frozenset[str] = frozenset()
) -> float:
    """:func:`similarity`, maximised over the flips/rotations ``invariant`` allows of ``b``."""
    best = similarity(a, b)
    if invariant and a.any() and b.any():
        square = b.reshape(VERIFY_SIDE, VERIFY_SIDE)
        for t in dihedral_views(square, invariant):
            best = max(best, float(np.dot(a, np.ascontiguousarray(t).ravel())))
    return best


def frame_region(frame: NDArray[np.uint8], box: Box | None) -> NDArray[np.float32]:
    """A relative region of a :attr:`Views.frame`, resampled to the verification side."""
    side = frame.shape[0]
    region = (0.0, 0.0, 1.0, 1.0) if box is None else box
    small = Image.fromarray(frame).resize(
        (VERIFY_SIDE, VERIFY_SIDE),
        Image.Resampling.BILINEAR,
        box=tuple(v * side for v in region),
    )
    return unit_vector(np.asarray(small))


def view_similarity(
    a: Views, b: Views, *, trim: bool = True, invariant: frozenset[str] = frozenset()
) -> float:
    """How alike two images look: the best normalised correlation of

    * their contents without margins (over the flips/rotations ``invariant`` allows);
    * the content of one and the same region of the other's frame, either way round (a
      copy trimmed differently, or not at all).

    With ``trim=False`` only whole frames are compared.
    """
    if not trim:
        whole_a, whole_b = frame_region(a.frame, None), frame_region(b.frame, None)
        return aligned_similarity(whole_a, whole_b, invariant)
    ca, cb = unit_vector(a.content), unit_vector(b.content)
    best = aligned_similarity(ca, cb, invariant)
    if a.box is not None:
        best = max(best, similarity(ca, frame_region(b.frame, a.box)))
    if b.box is not None:
        best = max(best, similarity(cb, frame_region(a.frame, b.box)))
    return best


#: ``--crop`` with verification also searches pairs this many bits beyond the threshold and
#: confirms them by :func:`aligned_similarity_of_frames`.
CROP_SLACK: Final = 4
#: Smallest correlation an aligned comparison needs (docs/accuracy.md).
ALIGNED_MIN: Final = 0.85
#: Sub-regions of one frame tried against the other's whole frame: crops keeping 95% and
#: 90% of each side at 3×3 positions, and ±5° rotations cropped to 90%.
CROP_SCALES: Final[tuple[float, ...]] = (0.95, 0.9)
ROTATIONS: Final[tuple[float, ...]] = (5.0, -5.0)
ROTATED_KEEP: Final = 0.9
#: Frames are aligned only when trimming kept at least this share of each image: a frame
#: that is mostly an empty margin (a dark sky, a white page) matches too easily.
ALIGNED_MIN_KEPT: Final = 0.9


def kept_share(views: Views) -> float:
    """The share of the image's area trimming keeps (1.0 without margins)."""
    if views.box is None:
        return 1.0
    left, top, right, bottom = views.box
    return max(0.0, right - left) * max(0.0, bottom - top)


def _rotated_region(frame: NDArray[np.uint8], degrees: float, aspect: float) -> Image.Image:
    """``frame`` (square, of an image ``aspect`` wide) rotated about its centre in the
    image's true proportions, keeping the central :data:`ROTATED_KEEP` of each side."""
    n = frame.shape[0]
    c = (n - 1) / 2
    a = np.deg2rad(degrees)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    # output (u, v) -> input: unsquash, rotate, squash again, and shrink to the kept part
    m = np.diag([1 / aspect, 1.0]) @ rot @ np.diag([aspect, 1.0]) * ROTATED_KEEP
    off = np.array([c, c]) - m @ np.array([c, c])
    coeffs = (m[0, 0], m[0, 1], off[0], m[1, 0], m[1, 1], off[1])
    return Image.fromarray(frame).transform(
        (n, n), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR
    )


def frame_alignments(views: Views) -> NDArray[np.float32]:
    """The unit vectors of every sub-region :func:`aligned_similarity_of_frames` tries."""
    out = []
    for s in CROP_SCALES:
        for x in np.linspace(0.0, 1.0 - s, 3):
            for y in np.linspace(0.0, 1.0 - s, 3):
                out.append(frame_region(views.frame, (x, y, x + s, y + s)))
    for deg in ROTATIONS:
        turned = _rotated_region(views.frame, deg, views.aspect)
        side = (VERIFY_SIDE, VERIFY_SIDE)
        out.append(unit_vector(np.asarray(turned.resize(side, Image.Resampling.BILINEAR))))
    return np.stack(out)


def alignment_cache() -> Callable[[Views], NDArray[np.float32]]:
    """:func:`frame_alignments` remembered per :class:`Views` object (for many pairs)."""
    cache: dict[int, tuple[Views, NDArray[np.float32]]] = {}

    def alignments(views: Views) -> NDArray[np.float32]:
        hit = cache.get(id(views))
        if hit is None or hit[0] is not views:
            hit = cache[id(views)] = (views, frame_alignments(views))
        return hit[1]

    return alignments


def aligned_similarity_of_frames(
    a: Views,
    b: Views,
    alignments: Callable[[Views], NDArray[np.float32]] = frame_alignments,
) -> float:
    """How well one whole frame matches a cropped or slightly rotated part of the other
    (the best correlation, either way round). Images that trimming cut by more than
    :data:`ALIGNED_MIN_KEPT` are not compared this way (-1)."""
    if kept_share(a) < ALIGNED_MIN_KEPT or kept_share(b) < ALIGNED_MIN_KEPT:
        return -1.0
    wa, wb = frame_region(a.frame, None), frame_region(b.frame, None)
    if not wa.any() or not wb.any():
        return -1.0
    return float(max((alignments(a) @ wb).max(), (alignments(b) @ wa).max()))


def working_size(width: int, height: int) -> tuple[int, int]:
    """The size of the working image: short side :data:`WORKING_SIDE` (never enlarged).

    >>> working_size(4000, 3000), working_size(100, 50)
    ((341, 256), (100, 50))
    """
    short = min(width, height)
    if short <= WORKING_SIDE:
        return width, height
    scale = WORKING_SIDE / short
    return max(1, round(width * scale)), max(1, round(height * scale))


def trimmed_hash(
    image: Image.Image, spec: HashSpec, value: int, *, compat: bool = False
) -> tuple[int, Box | None]:
    """The hash of ``image`` without its uniform margins (``value``, its own hash, when it
    has none) and the relative box kept."""
    box = relative_box(image)
    if box is None:
        return value, None
    return hash_image(crop_relative(image, box), spec, compat=compat), box


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
    trimmed = crop_relative(image, box)
    alternates: tuple[int, ...] = ()
    if options.invariant:
        alternates += dihedral_hashes(trimmed, options.invariant, spec.size)
    if options.crop:
        alternates += centre_hashes(trimmed, spec)
    views = None
    if options.verify:
        views = views_of(image.resize(working_size(*image.size), Image.Resampling.BOX))
    return Extracted(value, trim_hash, box, Features(alternates, views))
