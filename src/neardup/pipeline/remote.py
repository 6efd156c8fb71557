"""fsspec URLs as scan paths: ``file://``, ``memory://``, and any protocol the user has
installed (``s3://`` with s3fs, ``gs://`` with gcsfs, ...).

Files behind a URL are listed with the filesystem's ``find``/``info`` and hashed through
the same decoder as local files: a ``file://`` URL is hashed in place; any other protocol
is read into a temporary file first, so the fast JPEG path, EXIF orientation and the
skip-with-reason rules apply unchanged.
"""

from __future__ import annotations

import contextlib
import posixpath
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from fnmatch import fnmatch
from typing import Any

from neardup.errors import ExtraMissing, NeardupError, UsageError, install_hint
from neardup.hashing.alternates import FeatureOptions
from neardup.hashing.core import Analysed, analyse_file
from neardup.hashing.formats import is_image_name
from neardup.model import (
    DEFAULT_MAX_PIXELS,
    Discovery,
    HashOutcome,
    HashSpec,
    ImageRecord,
    Skipped,
    is_url,
    natural_key,
)


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise ExtraMissing(f"{url}: URLs need fsspec", hint=install_hint("dask")) from None
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise UsageError(f"cannot open {url}: {exc}") from None
    return fs, path


def _protocol(fs: Any) -> str:
    proto = fs.protocol
    return str(proto[0] if isinstance(proto, (tuple, list)) else proto)


def _unstrip(fs: Any, path: str) -> str:
    return str(fs.unstrip_protocol(path))


def discover_url(
    url: str, *, recursive: bool = True, exclude: Sequence[str] = (), hidden: bool = False
) -> Discovery:
    """List the image files under ``url`` (a folder or a single file)."""
    fs, root = _filesystem(url)
    found = Discovery()
    if not fs.exists(root):
        raise UsageError(f"no such file or folder: {url}")
    if fs.isfile(root):
        names = [root]
    else:
        names = fs.find(root, maxdepth=None if recursive else 1, withdirs=False)
    for name in sorted(names, key=natural_key):
        rel = posixpath.relpath(name, root) if name != root else posixpath.basename(name)
        parts = rel.split("/")
        if not hidden and any(p.startswith(".") for p in parts):
            continue
        if exclude and any(fnmatch(parts[-1], pat) or fnmatch(rel, pat) for pat in exclude):
            continue
        found.files_seen += 1
        if is_image_name(name):
            found.images.append(_unstrip(fs, name))
        else:
            found.ignored += 1
    return found


@contextlib.contextmanager
def local_file(url: str) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """A local path holding the file behind ``url`` (the file itself for ``file://``, a
    temporary copy otherwise, with the remote ``info``)."""
    fs, path = _filesystem(url)
    if _protocol(fs) in ("file", "local"):
        yield path, None
        return
    info = fs.info(path)
    suffix = posixpath.splitext(path)[1]
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with fs.open(path, "rb") as src:
            while chunk := src.read(1 << 20):
                tmp.write(chunk)
        tmp.flush()
        yield tmp.name, info


def hash_url(
    url: str, spec: HashSpec, *, max_pixels: int | None = None, trim: bool = False
) -> HashOutcome:
    """Hash the file behind ``url`` with the local decoder (:func:`analyse_path` with only
    the hashes); never raises for a bad file."""
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    return analyse_path(url, spec, FeatureOptions(trim=trim), limit).outcome


def analyse_path(path: str, spec: HashSpec, options: FeatureOptions, max_pixels: int) -> Analysed:
    """:func:`~neardup.hashing.core.analyse_file` of a local path or an fsspec URL (fetched
    to a temporary file; the record keeps the URL and the remote object's size and time,
    as :func:`hash_url`); never raises for a bad file."""
    if not is_url(path):
        return analyse_file(path, spec, options, max_pixels=max_pixels)
    try:
        with local_file(path) as (local, info):
            got = analyse_file(local, spec, options, max_pixels=max_pixels)
    except (OSError, NeardupError) as exc:
        return Analysed(Skipped(path, "unreadable", str(exc)))
    outcome = got.outcome
    if isinstance(outcome, ImageRecord):
        size, mtime = outcome.size, outcome.mtime_ns
        if info is not None:
            size, mtime = int(info.get("size") or size), mtime_ns(info)
        return Analysed(replace(outcome, path=path, size=size, mtime_ns=mtime), got.features)
    return Analysed(Skipped(path, outcome.reason, outcome.detail))


def mtime_ns(info: Mapping[str, Any]) -> int:
    """The modification time in an fsspec ``info`` mapping, in nanoseconds (0: none)."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(key)
        if value is None:
            continue
        if hasattr(value, "timestamp"):
            return int(value.timestamp() * 1_000_000_000)
        try:
            return int(float(value) * 1_000_000_000)
        except (TypeError, ValueError):
            continue
    return 0
