"""Opening image files robustly and normalising them for hashing.

Every decoder failure is turned into :class:`DecodeError` with a short reason code, so a
scan can record it and carry on. Normalisation keeps plain RGB/L/P images untouched (so
hashes equal ImageHash's on them) and fixes the modes where a naive ``convert("L")`` is
wrong: 16-bit and float images are scaled to 8 bits, transparent images are composited
on white, and the EXIF orientation is applied.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from neardup.errors import DecodeError
from neardup.hashing.formats import missing_decoder_hint, png_chunk, special_file
from neardup.model import DEFAULT_MAX_PIXELS

_WHITE = (255, 255, 255)


def _register_optional_plugins() -> None:
    try:  # pragma: no cover - depends on the optional extra
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        pass


_register_optional_plugins()


@contextlib.contextmanager
def _decoding(p: Path, max_pixels: int) -> Iterator[Image.Image]:
    """Open ``p`` (first frame) and turn every decoder failure into :class:`DecodeError`.

    The pixel limit is checked on the declared size, before anything is decoded, and the
    file handle is closed on every path out.
    """
    if max_pixels < 1:
        raise ValueError(f"max_pixels must be positive, got {max_pixels}")
    try:
        st = os.stat(p)  # opening a FIFO would wait forever for a writer
        kind = special_file(st.st_mode)
        if kind is not None:
            raise DecodeError("not-a-file", f"not a regular file ({kind})")
        if st.st_size == 0:
            raise DecodeError("empty", "empty file (0 bytes)")
        with warnings.catch_warnings(), _pillow_limit(max_pixels):
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                width, height = im.size
                if width * height > max_pixels:
                    raise DecodeError(
                        "too-large",
                        f"{width}x{height} is over the pixel limit ({max_pixels:,} pixels)",
                    )
                yield im
    except DecodeError:
        raise
    except Image.DecompressionBombError as exc:
        raise DecodeError("too-large", str(exc)) from None
    except UnidentifiedImageError:
        hint = missing_decoder_hint(p.suffix.lower())
        if hint:
            raise DecodeError("needs-extra", hint) from None
        raise DecodeError("not-an-image", "not a recognised image format") from None
    except PermissionError as exc:
        raise DecodeError("unreadable", exc.strerror or "permission denied") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        raise DecodeError("corrupt", f"{type(exc).__name__}: {exc}".strip()) from None
    except MemoryError:
        raise DecodeError("too-large", "out of memory while decoding") from None


@contextlib.contextmanager
def _pillow_limit(max_pixels: int) -> Iterator[None]:
    """Let Pillow open images up to ``max_pixels`` when that is above its own bomb limit."""
    current = Image.MAX_IMAGE_PIXELS
    if current is None or max_pixels <= 2 * current:
        yield
        return
    Image.MAX_IMAGE_PIXELS = max_pixels // 2 + 1
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = current


def open_image(
    path: str | Path,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    draft: tuple[int, int] | None = None,
) -> Image.Image:
    """Open, fully decode and normalise the first frame of an image file.

    The EXIF orientation is applied. Without ``draft`` this is the faithful (and slow)
    path: the whole image is decoded at full size, as ImageHash expects. ``draft`` lets a
    decoder that can (JPEG) decode at a reduced scale no smaller than that size, which
    makes thumbnails of large photos much cheaper.

    Raises:
        DecodeError: the file is empty, unreadable, not an image, corrupt, or too large.
    """
    p = Path(path)
    with _decoding(p, max_pixels) as im:
        if draft is not None:
            im.draft("RGB", draft)
        im.load()
        oriented = ImageOps.exif_transpose(im)
        return normalise(oriented if oriented is not None else im)


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """A small upright grey image made for hashing, and the upright size of its source."""

    image: Image.Image
    width: int
    height: int
    #: The colour of the image, small and upright (``YCbCr``), when asked for and it has one.
    chroma: Image.Image | None = None


#: How much larger than the requested size the image stays before the final Lanczos resize
#: (JPEG DCT scaling and ``Image.reduce`` do the rest). 2.0 is Pillow's own thumbnail value.
REDUCING_GAP = 2.0
#: ... and the side it keeps at least, so tiny targets (8x8 for aHash) still get a Lanczos
#: resize over many pixels, as ImageHash's direct resize does.
MIN_REDUCED_SIDE = 256

SizeFor = Callable[[int, int], tuple[int, int]]


def open_thumbnail(
    path: str | Path,
    size_for: SizeFor,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Thumbnail:
    """Decode only as much of an image as a hash needs and return it small, grey and upright.

    ``size_for(width, height)`` gets the upright size of the source and returns the
    ``(width, height)`` of the wanted thumbnail. JPEGs are decoded at 1/2 to 1/8 scale in
    the DCT domain (``Image.draft``); every image is then box-reduced by an integer factor
    (``Image.reduce``) to at least :data:`REDUCING_GAP` times the wanted size (and
    :data:`MIN_REDUCED_SIDE`) and resized with Lanczos. The EXIF orientation is applied
    to the thumbnail, not the full image.

    Raises:
        DecodeError: the file is empty, unreadable, not an image, corrupt, or too large.
    """
    return open_thumbnails(path, [size_for], max_pixels=max_pixels)[0]


#: The colour of the last thumbnail (:attr:`Thumbnail.chroma`) is kept at this fraction of
#: its size: colour only needs to tell a red picture from a blue one.
CHROMA_SCALE = 4


def open_thumbnails(
    path: str | Path,
    sizes: Sequence[SizeFor],
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    chroma: bool = False,
) -> list[Thumbnail]:
    """:func:`open_thumbnail` for several sizes from one decode.

    The first size keeps :func:`open_thumbnail`'s reducing gap and Lanczos filter; the
    others (a working image for trimming and views) only need the decode to be no smaller
    than they are, and are made by averaging areas (``BOX``), as
    :func:`neardup.hashing.trim.working_image` does. With
    ``chroma`` the last thumbnail also keeps the image's colour (a JPEG is then decoded in
    its own YCbCr, whose Y is the grey image a grey decode gives).
    """
    p = Path(path)
    with _decoding(p, max_pixels) as im:
        raw_w, raw_h = im.size
        box: tuple[float, float, float, float] = (0, 0, raw_w, raw_h)
        transpose: Image.Transpose | None = None
        if im.format == "JPEG":
            # A JPEG's EXIF block is read when it is opened: its orientation is known before
            # decoding, so the decode is asked for no more than each thumbnail needs along
            # each axis (a square would decode a wide photo at twice the scale).
            transpose = _orientation(im)
            drafted = im.draft("YCbCr" if chroma else "L", _draft_size(sizes, im.size, transpose))
            if drafted is not None:
                box = drafted[1]
        im.load()
        if im.format != "JPEG":  # a PNG's eXIf chunk may follow the pixel data
            transpose = _orientation(im)
        swapped = transpose in _SWAPS_AXES
        width, height = (raw_h, raw_w) if swapped else (raw_w, raw_h)
        colour: Image.Image | None = None
        source = im
        if chroma:
            if im.mode == "YCbCr":
                source, colour = im.getchannel(0), im
            else:
                source = normalise(im)
                colour = source if source.mode not in ("L", "1") else None
        out = []
        grey = grey_of(source)  # once: a large PNG's conversion costs as much as a resize
        for k, size_for in enumerate(sizes):
            tw, th = size_for(width, height)
            size = (th, tw) if swapped else (tw, th)
            if k == 0:
                small = shrink(grey, size, box)
            else:  # a working image: averaging areas is enough, and a third of the cost
                small = grey.resize(size, Image.Resampling.BOX, box, REDUCING_GAP)
            if transpose is not None:
                small = small.transpose(transpose)
            out.append(Thumbnail(small, width, height))
        if colour is not None:
            tw, th = out[-1].image.size
            cw, ch = max(1, tw // CHROMA_SCALE), max(1, th // CHROMA_SCALE)
            tint_size = (ch, cw) if swapped else (cw, ch)
            # colour need only tell a red picture from a blue one: the mean of 2×2 pixels
            # sampled in each tint pixel, not of all of them (a large PNG's colour would
            # cost more than its grey thumbnails)
            sample_size = (2 * tint_size[0], 2 * tint_size[1])
            sample = colour.resize(sample_size, Image.Resampling.NEAREST, box)
            if sample.mode != "YCbCr":
                sample = sample.convert("RGB").convert("YCbCr")
            tint = sample.reduce(2)
            if transpose is not None:
                tint = tint.transpose(transpose)
            out[-1] = dataclasses.replace(out[-1], chroma=tint)
        return out


def _draft_size(
    sizes: Sequence[SizeFor], raw: tuple[int, int], transpose: Image.Transpose | None
) -> tuple[int, int]:
    """The smallest ``(width, height)``, as stored, a reduced decode may have for every
    thumbnail in ``sizes``: the first keeps its reducing gap, the others only their size."""
    swapped = transpose in _SWAPS_AXES
    width, height = (raw[1], raw[0]) if swapped else raw
    first = max(sizes[0](width, height))
    need_w = need_h = int(first * _gap((first, first)))
    for size_for in sizes[1:]:
        tw, th = size_for(width, height)
        if swapped:
            tw, th = th, tw
        need_w, need_h = max(need_w, tw), max(need_h, th)
    return need_w, need_h


def shrink(
    im: Image.Image,
    size: tuple[int, int],
    box: tuple[float, float, float, float] | None = None,
    reducing_gap: float | None = None,
) -> Image.Image:
    """Normalise a loaded image, make it grey and resize it to ``size`` (Lanczos, reduced
    first: by default to :data:`REDUCING_GAP` times ``size`` and :data:`MIN_REDUCED_SIDE`,
    as a hash's thumbnail is; ``reducing_gap`` sets another)."""
    gap = _gap(size) if reducing_gap is None else reducing_gap
    return grey_of(im).resize(size, Image.Resampling.LANCZOS, box, gap)


def grey_of(im: Image.Image) -> Image.Image:
    """A loaded image normalised (:func:`normalise`) and made grey."""
    grey = normalise(im)
    return grey if grey.mode == "L" else grey.convert("L")


def _gap(size: tuple[int, int]) -> float:
    """The ``reducing_gap`` that keeps both :data:`REDUCING_GAP` and :data:`MIN_REDUCED_SIDE`."""
    return max(REDUCING_GAP, MIN_REDUCED_SIDE / max(1, min(size)))


#: EXIF orientation -> the transpose that makes the image upright (as ``ImageOps.exif_transpose``).
_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_AXES = frozenset(
    {Image.Transpose.TRANSPOSE, Image.Transpose.ROTATE_270, Image.Transpose.TRANSVERSE,
     Image.Transpose.ROTATE_90}
)  # fmt: skip
_ORIENTATION_TAG = 0x0112


def _orientation(im: Image.Image) -> Image.Transpose | None:
    """The transpose the EXIF orientation asks for; ``None`` when upright or unknown.

    Call it after loading: a PNG's ``eXIf`` chunk may follow the pixel data.
    """
    try:
        value = im.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block never stops a scan; the image stays as stored
        return None
    return _TRANSPOSES.get(value) if isinstance(value, int) else None


def normalise(im: Image.Image) -> Image.Image:
    """Return an image whose ``convert("L")`` gives faithful grey levels.

    Plain ``RGB``, ``L`` and opaque ``P`` images are returned as they are.
    """
    mode = im.mode
    if mode in ("RGB", "L"):
        return im
    if mode.startswith("I;16") or mode == "I":
        arr = np.asarray(im, dtype=np.float64)
        if mode != "I" or arr.max(initial=0) > 255:
            arr = arr / 257.0
        return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "L")
    if mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        finite = arr[np.isfinite(arr)]
        top = float(finite.max(initial=0.0)) if finite.size else 0.0
        if 0.0 < top <= 1.0:
            arr = arr * 255.0
        return Image.fromarray(np.clip(np.nan_to_num(arr) + 0.5, 0, 255).astype(np.uint8), "L")
    if mode == "P" and "transparency" not in im.info:
        return im
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB")


def header_exif(im: Image.Image, path: str | Path) -> Image.Exif:
    """The EXIF block of an opened, not yet loaded image, without decoding its pixels.

    Pillow's ``getexif()`` loads a whole PNG to look for an ``eXIf`` chunk after the pixel
    data (a second full decode of every PNG when only a date is wanted); here the chunk is
    found by skipping chunks in the file instead.
    """
    if im.format != "PNG" or "exif" in im.info:
        return im.getexif()
    exif = Image.Exif()
    data = png_chunk(path, b"eXIf")
    if data:
        exif.load(data)
    return exif
