"""Verification views: what a scan compares of two images to confirm a candidate pair.

A :class:`Views` holds an image's content without margins at 32×32 and its whole frame at
48×48 (greyscale); :func:`view_similarity` is the normalised correlation of two of them,
and :func:`neardup.hashing.alignment.aligned_similarity_of_frames` matches one frame
against cropped or slightly rotated parts of the other (``--crop``). A flat image has no
structure to correlate: it is similar only to another flat image.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from neardup.hashing.agreement import disagreeing_tiles, hues_disagree, views_agree
from neardup.hashing.boxes import area, overlap
from neardup.hashing.decode import REDUCING_GAP
from neardup.hashing.flat import flat_similarity, is_flat
from neardup.hashing.trim import Box, crop_relative, relative_box

#: Side of the verification thumbnail.
VERIFY_SIDE: Final = 32


#: Side of the whole-frame thumbnail a :class:`Views` keeps (re-cropped when verifying).
FRAME_SIDE: Final = 48


#: Side of the detailed view of the content, where a picture inside a shared frame or
#: template still has enough pixels to disagree (:func:`disagreeing_tiles`).
DETAIL_SIDE: Final = 64


#: Side of the colour planes a :class:`Views` keeps of its content.
CHROMA_SIDE: Final = 8


def grey_thumbnail(image: Image.Image, side: int) -> NDArray[np.float64]:
    """The ``side``×``side`` greyscale thumbnail pHash works on (ImageHash's resampling)."""
    small = image.convert("L").resize((side, side), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.float64)


def dihedral_views(pixels: NDArray[Any], invariant: frozenset[str]) -> list[NDArray[Any]]:
    """The flips/rotations of ``pixels`` (first two axes) that ``invariant`` allows, without
    the identity."""
    rotations = [np.rot90(pixels, k) for k in range(4)] if "rotate" in invariant else [pixels]
    if "flip" in invariant:
        rotations += [np.fliplr(r) for r in rotations]
    return rotations[1:]


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
    #: The content at :data:`DETAIL_SIDE` (``None``: as the content, enlarged).
    detail: NDArray[np.uint8] | None = None
    #: The colour of the content (Cb and Cr, :data:`CHROMA_SIDE` square; ``None``: unknown).
    chroma: NDArray[np.uint8] | None = None

    _HEAD: ClassVar[str] = "<5f"

    def detailed(self) -> NDArray[np.uint8]:
        """The content at :data:`DETAIL_SIDE` (enlarged from the content when not kept)."""
        if self.detail is not None:
            return self.detail
        side = (DETAIL_SIDE, DETAIL_SIDE)
        return np.asarray(Image.fromarray(self.content).resize(side, Image.Resampling.BILINEAR))

    def to_bytes(self) -> bytes:
        """A compact serialisation (7.6 KB) for the catalog; no colour is stored as grey."""
        box = self.box if self.box is not None else (-1.0, -1.0, -1.0, -1.0)
        head = struct.pack(self._HEAD, *box, self.aspect)
        body = self.content.tobytes() + self.frame.tobytes() + self.detailed().tobytes()
        neutral = np.full((2, CHROMA_SIDE, CHROMA_SIDE), 128, np.uint8)
        return head + body + (neutral if self.chroma is None else self.chroma).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Views:
        head = struct.calcsize(cls._HEAD)
        c, f, d = VERIFY_SIDE**2, FRAME_SIDE**2, DETAIL_SIDE**2
        tint = 2 * CHROMA_SIDE**2
        if len(data) != head + c + f + d + tint:
            raise ValueError(f"not a serialised Views ({len(data)} bytes)")
        planes = np.frombuffer(data, np.uint8, tint, head + c + f + d)
        chroma = planes.reshape(2, CHROMA_SIDE, CHROMA_SIDE)
        *box, aspect = struct.unpack(cls._HEAD, data[:head])
        content = np.frombuffer(data, np.uint8, c, head).reshape(VERIFY_SIDE, VERIFY_SIDE)
        frame = np.frombuffer(data, np.uint8, f, head + c)
        detail = np.frombuffer(data, np.uint8, d, head + c + f)
        return cls(
            content,
            frame.reshape(FRAME_SIDE, FRAME_SIDE),
            None if box[0] < 0 else tuple(round(float(v), 4) for v in box),  # type: ignore[arg-type]
            round(float(aspect), 4),
            detail.reshape(DETAIL_SIDE, DETAIL_SIDE),
            chroma,
        )


def chroma_of(colour: Image.Image, box: Box | None) -> NDArray[np.uint8]:
    """The Cb and Cr planes of the ``box`` of a colour image, :data:`CHROMA_SIDE` square."""
    ycbcr = colour if colour.mode == "YCbCr" else colour.convert("RGB").convert("YCbCr")
    small = crop_relative(ycbcr, box).resize((CHROMA_SIDE, CHROMA_SIDE), Image.Resampling.BOX)
    return np.ascontiguousarray(np.asarray(small)[:, :, 1:].transpose(2, 0, 1))


def views_of(
    image: Image.Image,
    box: Box | Literal["find"] | None = "find",
    colour: Image.Image | None = None,
) -> Views:
    """The :class:`Views` of a decoded image (best given the working image, short side
    :data:`WORKING_SIDE`). ``box``: its :func:`relative_box` when the caller has it.
    ``colour``: the image in colour, at any size (a colour ``image`` is its own)."""
    if colour is None and image.mode not in ("L", "1", "I", "F", "I;16"):
        colour = image
    grey = image.convert("L")
    if box == "find":
        box = relative_box(grey)
    # Lanczos over at most twice the view's side (area averages before it): half the cost
    lanczos = Image.Resampling.LANCZOS
    gap = REDUCING_GAP
    detail_image = crop_relative(grey, box).resize((DETAIL_SIDE,) * 2, lanczos, reducing_gap=gap)
    detail = np.asarray(detail_image, dtype=np.uint8)
    content = np.asarray(detail_image.reduce(DETAIL_SIDE // VERIFY_SIDE), dtype=np.uint8)
    frame = np.asarray(grey.resize((FRAME_SIDE,) * 2, lanczos, reducing_gap=gap), dtype=np.uint8)
    chroma = None if colour is None else chroma_of(colour, box)
    return Views(content, frame, box, round(grey.width / max(1, grey.height), 4), detail, chroma)


def unit_vector(pixels: NDArray[Any]) -> NDArray[np.float32]:
    """Pixels as a zero-mean, unit-norm vector (all zeros for a flat image)."""
    v = np.asarray(pixels, dtype=np.float32).ravel()
    v = v - v.mean()
    norm = float(np.linalg.norm(v))
    out: NDArray[np.float32] = v / norm if norm > 0 else v
    return out


def unit_rows(rows: NDArray[np.float32]) -> NDArray[np.float32]:
    """:func:`unit_vector` of each row of a 2-D ``float32`` array, at once."""
    centred = rows - rows.mean(axis=1, keepdims=True, dtype=np.float32)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    out: NDArray[np.float32] = np.divide(
        centred, norms, out=np.zeros_like(centred), where=norms > 0
    )
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


def region_pixels(frame: NDArray[np.uint8], box: Box | None) -> NDArray[np.uint8]:
    """A relative region of a :attr:`Views.frame`, resampled to the verification side."""
    side = frame.shape[0]
    region = (0.0, 0.0, 1.0, 1.0) if box is None else box
    small = Image.fromarray(frame).resize(
        (VERIFY_SIDE, VERIFY_SIDE),
        Image.Resampling.BILINEAR,
        box=tuple(v * side for v in region),
    )
    return np.asarray(small)


def frame_region(frame: NDArray[np.uint8], box: Box | None) -> NDArray[np.float32]:
    """:func:`region_pixels` as a :func:`unit_vector`."""
    return unit_vector(region_pixels(frame, box))


def _held(score: float, a: NDArray[Any], b: NDArray[Any], best: float = -1.0) -> float:
    """``score`` if it beats ``best`` and the views agree tile by tile, else ``best``."""
    return score if score > best and views_agree(a, b) else best


def colours_disagree(a: Views, b: Views) -> bool:
    """Whether two images differ in hue where both are coloured (a red and a blue version of
    one drawing). A grey copy of a colour photo has no coloured tiles: it never disagrees.
    """
    if a.chroma is None or b.chroma is None:
        return False
    return hues_disagree(a.chroma, b.chroma)


def _best_turn(
    a: NDArray[Any],
    b: NDArray[Any],
    detail_a: NDArray[Any],
    detail_b: NDArray[Any],
    invariant: frozenset[str],
) -> float:
    """The best correlation of ``a`` with ``b`` or a flip/rotation of it that ``invariant``
    allows, among those whose details agree tile by tile (-1 when none does)."""
    ua = unit_vector(a)
    if not ua.any() or not np.asarray(b).std():  # a plain content agrees with nothing
        return -1.0
    best = _held(similarity(ua, unit_vector(b)), detail_a, detail_b)
    turns = zip(
        dihedral_views(np.asarray(b), invariant), dihedral_views(detail_b, invariant), strict=True
    )
    for turned, turned_detail in turns if invariant else ():
        best = _held(similarity(ua, unit_vector(turned)), detail_a, turned_detail, best)
    return best


def view_similarity(
    a: Views, b: Views, *, trim: bool = True, invariant: frozenset[str] = frozenset()
) -> float:
    """How alike two images look: the best normalised correlation of

    * their contents without margins (over the flips/rotations ``invariant`` allows);
    * the content of one and the same region of the other's frame, either way round (a
      copy trimmed differently, or not at all);
    * the content of one and the whole of the other (a screenshot and its picture).

    Each comparison counts only when the two also agree tile by tile
    (:func:`disagreeing_tiles`): a shared frame or template cannot make it alone.

    With ``trim=False`` only whole frames are compared.

    A flat or nearly flat image (:func:`is_flat`) has no structure to agree on: it is a
    duplicate only of another flat image of about the same level and proportions
    (:func:`flat_similarity`), whatever their hashes say.
    """
    if is_flat(a) or is_flat(b):
        return flat_similarity(a, b)
    if colours_disagree(a, b):
        return -1.0
    whole_a, whole_b = region_pixels(a.frame, None), region_pixels(b.frame, None)
    if not trim:
        return _best_turn(whole_a, whole_b, whole_a, whole_b, invariant)
    # Both pictures in frames: what was found inside may be a part of a frame they share (a
    # panel of icons), so their whole images must agree tile by tile too (a flipped or
    # turned copy, as ``invariant`` allows, in one of its turns).
    both_framed = max(kept_share(a), kept_share(b)) < FRAMED_SHARE
    if both_framed and not (
        _wholes_agree(whole_a, whole_b, invariant)
        or _laid_on_each_other_agree(a, b, whole_a, whole_b)
        or _picture_is_other_whole(a, b, whole_a, whole_b)
    ):
        return -1.0
    best = _best_turn(a.content, b.content, a.detailed(), b.detailed(), invariant)
    for one, other, whole in ((a, b, whole_b), (b, a, whole_a)):
        # one's content may be all of the other (a screenshot), or a part of it trimmed
        # differently; but a picture found in a frame is matched itself, not its frame
        if one.box is not None and _matches_picture_of(one, other):
            score = similarity(unit_vector(one.content), unit_vector(whole))
            best = _held(score, one.content, whole, best)
            region = region_pixels(other.frame, one.box)
            content = _as_coarse_as(one.content, one.box)
            score = similarity(unit_vector(content), unit_vector(region))
            best = _held(score, content, region, best)
    return best


#: A region of an image whose picture was found in a frame stands for that picture only
#: when the picture takes at least this share of it.
PICTURE_SHARE: Final = 0.5


def _matches_picture_of(one: Views, other: Views) -> bool:
    """Whether comparing ``one``'s content (near all of it) with the same region of
    ``other``'s frame compares ``other``'s picture: ``other`` is not framed, or its picture
    takes :data:`PICTURE_SHARE` of that region."""
    if kept_share(one) < FRAMED_SHARE or kept_share(other) >= FRAMED_SHARE:
        return True
    assert one.box is not None and other.box is not None
    return overlap(one.box, other.box) >= PICTURE_SHARE * kept_share(one)


def _wholes_agree(a: NDArray[np.uint8], b: NDArray[np.uint8], invariant: frozenset[str]) -> bool:
    """Whether two whole images agree tile by tile, ``b`` as it is or in a flip or turn that
    ``invariant`` allows (at most :data:`FRAMED_DISAGREEING` disagreeing tiles)."""
    turns = [b, *(dihedral_views(b, invariant) if invariant else [])]
    return any(disagreeing_tiles(a, t) <= FRAMED_DISAGREEING for t in turns)


#: How far (a share of the side) one image's whole may reach beyond the other's border when
#: their pictures are laid on each other (:func:`_laid_on_each_other_agree`), and the
#: largest share of the other's area it may cover (more is the same geometry, already
#: compared as wholes: a second look there would only be a second chance).
LAID_REACH: Final = 0.02
LAID_AREA: Final = 0.95


def _laid_on_each_other_agree(
    a: Views, b: Views, whole_a: NDArray[np.uint8], whole_b: NDArray[np.uint8]
) -> bool:
    """Whether one image's whole (``whole_a``, ``whole_b``: :func:`region_pixels` of the
    frames) agrees tile by tile with the part of the other it covers when their pictures
    (boxes) are laid on each other: a copy with a border added keeps its picture's
    surroundings, shifted and scaled, where two pictures in one frame differ."""
    if a.box is None or b.box is None:
        return False
    for one, other, whole in ((a, b, whole_a), (b, a, whole_b)):
        assert one.box is not None and other.box is not None
        (x0, y0, x1, y1), (u0, v0, u1, v1) = one.box, other.box
        sx, sy = (u1 - u0) / max(x1 - x0, 1e-6), (v1 - v0) / max(y1 - y0, 1e-6)
        part = (u0 - x0 * sx, v0 - y0 * sy, u0 + (1 - x0) * sx, v0 + (1 - y0) * sy)
        if min(part[:2]) < -LAID_REACH or max(part[2:]) > 1 + LAID_REACH:
            continue  # one's whole is not all inside the other
        if area(part) > LAID_AREA:
            continue
        inside = (max(0.0, part[0]), max(0.0, part[1]), min(1.0, part[2]), min(1.0, part[3]))
        if disagreeing_tiles(whole, region_pixels(other.frame, inside)) <= FRAMED_DISAGREEING:
            return True
    return False


def _picture_is_other_whole(
    a: Views, b: Views, whole_a: NDArray[np.uint8], whole_b: NDArray[np.uint8]
) -> bool:
    """Whether the picture found in one image is the other image whole, tile by tile (a
    screenshot of a photo that is itself trimmed: its picture is all of the photo)."""
    return any(
        disagreeing_tiles(one.content, whole) <= FRAMED_DISAGREEING
        for one, whole in ((a, whole_b), (b, whole_a))
    )


def _as_coarse_as(content: NDArray[np.uint8], box: Box) -> NDArray[np.uint8]:
    """``content`` blurred to the resolution its ``box`` has in a :attr:`Views.frame`, so
    that it compares tile by tile with that region of another frame."""
    left, top, right, bottom = box
    size = (max(4, round((right - left) * FRAME_SIDE)), max(4, round((bottom - top) * FRAME_SIDE)))
    if min(size) >= VERIFY_SIDE:
        return content
    small = Image.fromarray(content).resize(size, Image.Resampling.BOX)
    return np.asarray(small.resize(content.shape[::-1], Image.Resampling.BILINEAR))


#: Two images that both kept less than this share of their area after trimming are both
#: framed: their whole images must also agree tile by tile (:func:`view_similarity`).
FRAMED_SHARE: Final = 0.8
#: ... with at most this many disagreeing tiles: their pictures may be small.
FRAMED_DISAGREEING: Final = 0


def kept_share(views: Views) -> float:
    """The share of the image's area trimming keeps (1.0 without margins)."""
    if views.box is None:
        return 1.0
    return area(views.box)
