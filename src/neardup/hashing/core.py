"""Hashing files: one decode per image gives every hash and view the scan asked for.

:func:`analyse_file` opens a file once and computes, from that one decode, its hash, the
hash without its uniform margins (:mod:`neardup.hashing.trim`), the alternates of
``--invariant``/``--crop`` (:mod:`neardup.hashing.alternates`) and the verification views
(:mod:`neardup.hashing.views`). :func:`hash_file` is the common case (hash and trimmed
hash). Neither raises for a bad file: it comes back as a :class:`~neardup.model.Skipped`.

Running many files in worker processes and remembering them in the catalog is the
pipeline's business (:mod:`neardup.pipeline`); nothing here imports it.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import Literal, NamedTuple

from neardup.errors import DecodeError, UsageError
from neardup.hashing import fast
from neardup.hashing.alternates import FeatureOptions, Features, alternate_hashes, extract
from neardup.hashing.decode import SizeFor, open_image, open_thumbnails
from neardup.hashing.spec import hash_image, thumbnail_hash
from neardup.hashing.trim import Box, crop_relative, trimmed_hash, working_image, working_size
from neardup.hashing.views import Views, views_of
from neardup.model import DEFAULT_MAX_PIXELS, HashOutcome, HashSpec, ImageRecord, Skipped


class Analysed(NamedTuple):
    """What :func:`analyse_file` found: the outcome, and the features a scan with
    alternates or views asked for (``None`` when the file was skipped or none were asked)."""

    outcome: HashOutcome
    features: Features | None = None


def check_max_pixels(max_pixels: int) -> None:
    """Raise :class:`UsageError` unless the pixel limit is a positive count."""
    if max_pixels < 1:
        raise UsageError(f"max_pixels must be a positive number of pixels, got {max_pixels}")


def _skipped(name: str, exc: BaseException) -> Skipped:
    """The skip record of a file whose decode failed with ``exc``."""
    if isinstance(exc, DecodeError):
        return Skipped(name, exc.reason, exc.detail)
    if isinstance(exc, FileNotFoundError):
        return Skipped(name, "unreadable", "file vanished during the scan")
    if isinstance(exc, OSError):
        return Skipped(name, "unreadable", exc.strerror or str(exc))
    return Skipped(name, "corrupt", f"unexpected decoder error {type(exc).__name__}: {exc}")


def analyse_file(
    path: str | os.PathLike[str],
    spec: HashSpec = HashSpec(),
    options: FeatureOptions = FeatureOptions(trim=False),
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Analysed:
    """Hash one file and compute the features ``options`` ask for, from one decode.

    The EXIF orientation is applied first, so a photo and its EXIF-rotated twin hash alike.
    In compat mode (``spec.compat``) the whole image is decoded; otherwise only what is
    needed: a thumbnail for the hash and, for trimming, views or the alternates of
    ``--invariant``/``--crop``, a working image with short side
    :data:`~neardup.hashing.trim.WORKING_SIDE` (the alternates are hashed from it, as
    ``neardup eval`` measures them on a reduced copy).
    """
    check_max_pixels(max_pixels)
    p = Path(path)
    name = str(p)
    full = spec.compat
    try:
        st = p.stat()
        if full:
            image = open_image(p, max_pixels=max_pixels)
            width, height = image.size
        else:
            sizes: list[SizeFor] = [functools.partial(fast.input_size, spec.algorithm, spec.size)]
            if options.trim or options.verify or options.needs_alternates:
                sizes.append(working_size)
            thumbs = open_thumbnails(p, sizes, max_pixels=max_pixels, chroma=options.verify)
            width, height = thumbs[0].width, thumbs[0].height
    except Exception as exc:  # a decoder bug must not abort a scan: record it with its type
        return Analysed(_skipped(name, exc))
    try:
        features: Features | None = None
        if full and options.needs_alternates:
            got = extract(image, spec, options)
            value, trim_hash, box, features = got.hash, got.trim_hash, got.trim_box, got.features
        else:
            working = image if full else thumbs[-1].image
            value = (
                hash_image(image, spec, compat=True)
                if full
                else thumbnail_hash(thumbs[0].image, spec)
            )
            trim_hash, box = (None, None)
            if options.trim:
                trim_hash, box = trimmed_hash(working, spec, value, compat=spec.compat)
            alternates: tuple[int, ...] = ()
            if options.needs_alternates:  # flips, turns, centred crops of what trimming kept
                alternates = alternate_hashes(crop_relative(working, box), spec, options)
            views = None
            if options.verify:
                found: Box | Literal["find"] | None = box if options.trim else "find"
                if full:  # views are made at working size: margins are found there again
                    working = working_image(working)
                    found = "find"
                colour = None if full else thumbs[-1].chroma  # a full decode has its own
                views = views_of(working, found, colour)
            if alternates or views is not None:
                features = Features(alternates, views)
    except (ValueError, OSError, MemoryError) as exc:  # degenerate pixel data
        return Analysed(Skipped(name, "corrupt", f"cannot hash: {exc}"))
    record = ImageRecord(
        name, value, width, height, st.st_size, st.st_mtime_ns, trim_hash=trim_hash, trim_box=box
    )
    return Analysed(record, features)


def hash_file(
    path: str | os.PathLike[str],
    spec: HashSpec = HashSpec(),
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    compat: bool = False,
    trim: bool = False,
) -> HashOutcome:
    """Hash one file; never raises for a bad file, returns :class:`Skipped` instead.

    ``compat=True`` decodes the whole image and hashes it with ImageHash (bit-for-bit equal
    to ImageHash on the upright image); the default decodes only what the hash needs.
    ``trim=True`` also hashes the image without its uniform margins (``trim_hash`` and
    ``trim_box`` of the record), from the same decode.
    """
    if compat and not spec.compat:
        spec = dataclasses.replace(spec, compat=True)
    return analyse_file(path, spec, FeatureOptions(trim=trim), max_pixels=max_pixels).outcome


def file_views(path: str | os.PathLike[str], *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Views:
    """The verification :class:`Views` of one file, from a reduced decode.

    Raises:
        DecodeError: the file cannot be decoded (any decoder failure, with its reason).
    """
    try:
        # the working image comes second, made as a scan makes it (the first is the hash's)
        sizes: list[SizeFor] = [functools.partial(fast.input_size, "phash", 8), working_size]
        thumb = open_thumbnails(Path(path), sizes, max_pixels=max_pixels, chroma=True)[-1]
        return views_of(thumb.image, "find", thumb.chroma)
    except DecodeError:
        raise
    except Exception as exc:
        skipped = _skipped(str(path), exc)
        raise DecodeError(skipped.reason, skipped.detail) from None
