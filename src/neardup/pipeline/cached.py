"""Hashing with the catalog: only new and changed files are decoded.

:func:`hash_paths` is what :func:`neardup.scan` uses. It stats every file, takes the
still-valid outcomes from the :class:`~neardup.catalog.Catalog`, hashes the rest with
:func:`neardup.pipeline.batch.hash_files` (whose outcomes may arrive in any order) and writes
them back in batches as they arrive, so an interrupted scan keeps what it hashed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from neardup.catalog import Catalog, CatalogArg, FileStat
from neardup.catalog.extras import alternates_kind, alternates_to_bytes
from neardup.hashing.alternates import FeatureOptions
from neardup.hashing.core import Analysed
from neardup.hashing.views import Views
from neardup.model import HashOutcome, HashSpec, ImageRecord, is_url
from neardup.pipeline.batch import Scanned, scan_files
from neardup.pipeline.keep import exif_datetime_ns

#: Computes outcomes for a list of paths, yielding them in any order.
Hasher = Callable[[Sequence[str]], Iterable[HashOutcome | Analysed | Scanned]]


@dataclass(slots=True)
class Hashed:
    """Outcomes by path; how many images came from the catalog (skips remembered there are
    not counted), and how many outcomes were computed."""

    outcomes: dict[str, HashOutcome] = field(default_factory=dict)
    #: Verification views made from the same decode as the hashes (``views=True``).
    views: dict[str, Views] = field(default_factory=dict)
    #: Alternate hashes of every image (``invariant``/``crop``), computed or from the catalog.
    alternates: dict[str, tuple[int, ...]] = field(default_factory=dict)
    from_catalog: int = 0
    computed: int = 0
    vanished: int = 0

    def add(self, item: HashOutcome | Analysed | Scanned) -> HashOutcome:
        """Record one computed outcome (and its views, when it came with them)."""
        if isinstance(item, Scanned):
            item = item.analysed
        if isinstance(item, Analysed):
            outcome, features = item
            if features is not None and features.views is not None:
                self.views[outcome.path] = features.views
            if features is not None and features.alternates:
                self.alternates[outcome.path] = features.alternates
        else:
            outcome = item
        self.outcomes[outcome.path] = outcome
        return outcome


@contextlib.contextmanager
def open_catalog(catalog: CatalogArg, use_cache: bool = True) -> Iterator[Catalog | None]:
    """The catalog to use: a given :class:`Catalog` (left open), a path or ``None`` for the
    default location (opened and closed here), or no catalog when ``use_cache`` is false."""
    if not use_cache:
        yield None
    elif isinstance(catalog, Catalog):
        yield catalog
    else:
        with Catalog(catalog) as opened:
            yield opened


def hash_paths(
    paths: Sequence[str],
    spec: HashSpec,
    *,
    catalog: Catalog | None,
    roots: Sequence[str] = (),
    max_pixels: int,
    rehash: bool = False,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = 1,
    hasher: Hasher | None = None,
    trim: bool = False,
    views: bool = False,
    invariant: frozenset[str] = frozenset(),
    crop: bool = False,
) -> Hashed:
    """Hash ``paths`` (absolute), reusing and filling ``catalog`` when one is given.

    Args:
        paths: the image files of a scan.
        spec: the hash to compute.
        catalog: where hashes are remembered; ``None`` hashes everything, stores nothing.
        roots: the scanned files and folders; catalogued files below them that are gone
            now are marked vanished.
        max_pixels: the pixel limit (a cached ``too-large`` skip is retried under a
            higher limit).
        rehash: ignore cached hashes (new ones are still stored).
        progress: called as ``progress(done, total)``.
        jobs: hashing processes for :func:`neardup.pipeline.batch.hash_files` (``None``/``0``:
            every core where it pays off).
        hasher: computes outcomes for the files not found in the catalog, in any order
            (default: :func:`neardup.pipeline.batch.scan_files` with ``jobs``, URLs fetched
            one at a time; a Dask scan passes its cluster hasher).
        trim: also hash each image without its margins; cached hashes stored without
            that are computed again.
        views: also make each new image's verification views from the same decode, and
            store them in the catalog (so verification never decodes it again).
        invariant, crop: also the alternate hashes of ``--invariant``/``--crop``
            (:attr:`Hashed.alternates`), from the same decode, stored in the catalog; a
            cached image without them is decoded again.
    """
    options = FeatureOptions(trim=trim, invariant=invariant, crop=crop, verify=views)
    if hasher is None:

        def hasher(todo: Sequence[str]) -> Iterator[Analysed | Scanned]:
            local = [p for p in todo if not is_url(p)]
            yield from scan_files(local, spec, options, max_pixels=max_pixels, jobs=jobs)
            urls = [p for p in todo if is_url(p)]
            if urls:  # fetched one at a time, analysed as a local file is
                from neardup.pipeline.remote import analyse_path  # fsspec is optional

                for url in urls:
                    yield analyse_path(url, spec, options, max_pixels)

    out = Hashed()
    total = len(paths)
    if catalog is None:
        for done, item in enumerate(hasher(paths), 1):
            out.add(item)
            if progress is not None:
                progress(done, total)
        out.computed = total
        return out

    kind = alternates_kind(trim, invariant, crop) if options.needs_alternates else ""
    stats: dict[str, FileStat] = {}
    for p in paths:
        st = FileStat.of(p)
        if st is not None:
            stats[p] = st
    if not rehash:
        hits = catalog.lookup(stats, spec, max_pixels=max_pixels, roots=roots, trim=trim)
        out.outcomes.update(hits.outcomes)
        catalog.mark_seen(hits.file_ids)
        moved, moved_from = hits.moved, hits.moved_from
        if options.needs_alternates:
            _with_alternates(out, catalog, spec, kind, moved_from)
            moved = {p: exif for p, exif in moved.items() if p in out.outcomes}
    else:
        moved, moved_from = {}, {}
    out.from_catalog = sum(isinstance(o, ImageRecord) for o in out.outcomes.values())
    done = len(out.outcomes)
    if progress is not None:
        progress(done, total)
    todo = [p for p in paths if p not in out.outcomes]
    writing = catalog.writer(
        spec, max_pixels=max_pixels, exif=exif_datetime_ns, alternates_kind=kind
    )
    with writing as writer:
        for p, exif_ns in moved.items():
            writer.add(out.outcomes[p], stats.get(p), exif_known=True, exif_ns=exif_ns,
                       moved_from=moved_from.get(p))  # fmt: skip
        for item in hasher(todo):
            outcome = out.add(item)
            # Views made from the hashing decode are stored with the hash, in the same
            # transaction: verification never decodes these images again.
            made = out.views.get(outcome.path) if isinstance(outcome, ImageRecord) else None
            data = made.to_bytes() if made is not None else None
            alts = out.alternates.get(outcome.path)
            packed = None if alts is None else alternates_to_bytes(alts, spec)
            scanned = item if isinstance(item, Scanned) else None  # the worker read the date
            writer.add(outcome, stats.get(outcome.path), exif_known=scanned is not None,
                       exif_ns=None if scanned is None else scanned.exif_ns,
                       views=data, alternates=packed)  # fmt: skip
            out.computed += 1
            done += 1
            if progress is not None:
                progress(done, total)
    if roots:
        out.vanished = catalog.mark_vanished(roots, paths)
    return out


def _with_alternates(
    out: Hashed, catalog: Catalog, spec: HashSpec, kind: str, moved_from: Mapping[str, str]
) -> None:
    """Add the stored alternates of ``kind`` of the cached images in ``out`` (a moved one's
    under its old path, ``moved_from``); an image without them is dropped from ``out`` (it
    is decoded again)."""
    records = [o for o in out.outcomes.values() if isinstance(o, ImageRecord)]
    stored = catalog.load_alternates(records, spec, kind, moved_from)
    for r in records:
        if r.path in stored:
            out.alternates[r.path] = stored[r.path]
        else:
            del out.outcomes[r.path]
