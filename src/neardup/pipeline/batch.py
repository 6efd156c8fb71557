"""The per-file functions of :mod:`neardup.hashing` over many files, in the worker pool of
:mod:`neardup.pipeline.workers`: hashes, hashes with features, and verification views.

Outcomes arrive in completion order with several jobs; match them up by path. Closing a
generator (or Ctrl-C) stops the workers at once, and every outcome already yielded stays
valid. A file that crashes its decoder is reported as skipped (``corrupt``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from neardup.errors import DecodeError
from neardup.hashing.alternates import FeatureOptions
from neardup.hashing.core import Analysed, analyse_file, file_views, hash_file
from neardup.hashing.views import Views
from neardup.model import DEFAULT_MAX_PIXELS, HashOutcome, HashSpec, ImageRecord, Skipped, is_url
from neardup.pipeline.keep import exif_datetime_ns
from neardup.pipeline.workers import map_files

CRASHED = "the decoder crashed on this file"


def crashed(path: str) -> Skipped:
    """The skip record of a file whose decoder crashed its worker."""
    return Skipped(path, "corrupt", CRASHED)


def hash_files(
    paths: Iterable[str | os.PathLike[str]],
    spec: HashSpec = HashSpec(),
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    jobs: int | None = 1,
    trim: bool = False,
) -> Iterator[HashOutcome]:
    """:func:`~neardup.hashing.core.hash_file` over many files (local paths or fsspec
    URLs), yielding one outcome per path as soon as it is ready.

    ``jobs``: ``1`` hashes in this process, in order; ``None`` or ``0`` uses every core
    where it pays off; a count uses that many processes.
    """
    path_list = [os.fspath(p) for p in paths]
    local = [p for p in path_list if not is_url(p)]
    one = functools.partial(hash_file, spec=spec, max_pixels=max_pixels, trim=trim)
    for _, outcome in map_files(local, one, jobs=jobs, on_crash=crashed):
        yield outcome
    urls = [p for p in path_list if is_url(p)]
    if urls:
        from neardup.pipeline.remote import hash_url  # fsspec is optional

        for url in urls:
            yield hash_url(url, spec, max_pixels=max_pixels, trim=trim)


class Scanned(NamedTuple):
    """What a scan's worker gives for one file: its analysis and, for an image, its EXIF
    date (ns since the epoch, ``None`` without one), read in the worker so the process
    that writes the catalog does not open every file a second time."""

    analysed: Analysed
    exif_ns: int | None = None


def scan_file(path: str, spec: HashSpec, options: FeatureOptions, max_pixels: int) -> Scanned:
    """:func:`~neardup.hashing.core.analyse_file` and the EXIF date of one file."""
    analysed = analyse_file(path, spec, options, max_pixels=max_pixels)
    exif = exif_datetime_ns(path) if isinstance(analysed.outcome, ImageRecord) else None
    return Scanned(analysed, exif)


def _scanned_crash(path: str) -> Scanned:
    return Scanned(Analysed(crashed(path)))


def scan_files(
    paths: Sequence[str],
    spec: HashSpec,
    options: FeatureOptions,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    jobs: int | None = 1,
) -> Iterator[Scanned]:
    """:func:`scan_file` over many local files (same workers as :func:`hash_files`)."""
    one = functools.partial(scan_file, spec=spec, options=options, max_pixels=max_pixels)
    for _, scanned in map_files(list(paths), one, jobs=jobs, on_crash=_scanned_crash):
        yield scanned


def views_or_skip(path: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Views | Skipped:
    """The verification views of one file or URL, or why they cannot be computed."""
    try:
        if is_url(path):
            from neardup.pipeline.remote import local_file  # fsspec is optional

            with local_file(path) as (local, _):
                return file_views(local, max_pixels=max_pixels)
        return file_views(path, max_pixels=max_pixels)
    except DecodeError as exc:
        return Skipped(path, exc.reason, exc.detail)
    except OSError as exc:
        return Skipped(path, "unreadable", exc.strerror or str(exc))


def views_of_files(
    paths: Sequence[str], *, max_pixels: int = DEFAULT_MAX_PIXELS, jobs: int | None = 1
) -> Iterator[tuple[str, Views | Skipped]]:
    """``(path, views or why not)`` for every path, in the worker pool."""
    one = functools.partial(views_or_skip, max_pixels=max_pixels)
    yield from map_files(list(paths), one, jobs=jobs, on_crash=crashed)
