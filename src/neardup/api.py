"""The library API the CLI is a thin layer over.

>>> import neardup
>>> result = neardup.scan(["~/Pictures"], index="bktree", threshold=10)  # doctest: +SKIP
>>> [[result.records[m].path for m in g.members] for g in result.groups]  # doctest: +SKIP

:class:`ScanOptions` is the one home of every scan option's default and check; ``scan``,
``find_similar`` and the command line all take one. This module imports only the standard
library and neardup's records at import time (the command line reads the defaults without
loading numpy or Pillow); the pipeline is imported when a scan runs.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from neardup.errors import UsageError
from neardup.model import (
    DEFAULT_GROUPING,
    DEFAULT_INDEX,
    DEFAULT_KEEP,
    DEFAULT_MAX_PIXELS,
    DEFAULT_THRESHOLD,
    DEFAULT_VERIFY_MIN,
    Group,
    ImageRecord,
    ScanOptions,
    ScanResult,
    Skipped,
    parse_invariant,
    parse_keep,
)

if TYPE_CHECKING:
    from neardup.bits import HashArray
    from neardup.catalog import Catalog
    from neardup.index.base import PairBlock
    from neardup.pipeline.find import FindResult

ProgressCallback = Callable[[int, int], None]


def resolved_index_options(options: ScanOptions) -> ScanOptions:
    """Load the backend (fail fast, before hashing anything) and let it fill in its option
    defaults."""
    from neardup import index as index_registry

    backend = index_registry.load(options.index)
    opts = dict(options.index_options)
    if hasattr(backend, "resolve_options"):
        backend.resolve_options(opts)
    return options.replace(index_options=opts)


def find_pairs(
    hashes: HashArray,
    threshold: int,
    index: str = DEFAULT_INDEX,
    index_options: Mapping[str, Any] | None = None,
) -> Iterator[PairBlock]:
    """All pairs of rows of ``hashes`` within ``threshold``, found with backend ``index``."""
    from neardup import index as index_registry

    built = index_registry.build(index, hashes, **dict(index_options or {}))
    return built.pairs(threshold)


def group(
    records: Sequence[ImageRecord],
    hashes: HashArray,
    options: ScanOptions | None = None,
    *,
    pairs: Iterable[PairBlock] | None = None,
    **changes: Any,
) -> list[Group]:
    """Find near-duplicate groups among already hashed ``records`` (plain hashes).

    The proposed keeper of each group is chosen by ``options.keep``; ``options.grouping``
    is ``centre`` (no chaining) or ``components``. ``pairs``, when given, are the pairs
    within the threshold already found elsewhere (a Dask scan's distributed join);
    otherwise the ``options.index`` backend finds them.
    """
    from neardup.pipeline.grouping import build_groups
    from neardup.pipeline.keep import keeper_key

    opts = ScanOptions.of(options, **changes)
    if len(records) < 2:
        return []
    blocks = (
        pairs
        if pairs is not None
        else find_pairs(hashes, opts.threshold, opts.index, dict(opts.index_options))
    )
    return build_groups(
        hashes, blocks, opts.threshold, keeper_key(records, opts.keep), opts.grouping
    )


def scan(
    paths: Iterable[str | os.PathLike[str]],
    options: ScanOptions | None = None,
    *,
    catalog: Catalog | str | os.PathLike[str] | None = None,
    use_cache: bool = True,
    rehash: bool = False,
    dask: str | None = None,
    store: str | os.PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
    log: Callable[[str], None] | None = None,
    **changes: Any,
) -> ScanResult:
    """Walk ``paths``, hash every image, and group near-duplicates.

    Args:
        paths: files and folders to scan (fsspec URLs too).
        options: what to look for (:class:`ScanOptions`); keyword ``changes`` (``index=``,
            ``threshold=``, ...) adjust it.
        catalog: the hash catalog (:class:`neardup.catalog.Catalog` or its file); ``None``
            is the default catalog. Only new and changed files are hashed; hashes of the
            fast and the compat mode are kept apart.
        use_cache: ``False`` neither reads nor writes the catalog.
        rehash: hash every file again (the catalog is still updated).
        dask: run hashing and the pair search on a Dask cluster: ``"local"``,
            ``"local:N"`` or a scheduler address (needs ``neardup[dask]``; see
            docs/scale-out.md). ``None`` never imports Dask.
        store: a Parquet hash store (a folder or fsspec URL, created when missing) that
            takes the catalog's place for hashes: only new and changed files are hashed,
            and their hashes are added to it (see docs/scale-out.md).
        progress: called as ``progress(done, total)`` while hashing.
        log: receives one-line notes, such as the Dask dashboard address.

    Returns:
        A :class:`ScanResult`; bad files are in ``result.skipped``, never raised.

    Raises:
        UsageError: bad option values or a path that does not exist.
        UnknownIndexError, IndexUnavailable: the backend cannot be used.
    """
    from neardup.pipeline.run import run_scan

    opts = ScanOptions.of(options, **changes)
    if dask is not None:
        from neardup.pipeline.dask import require_dask
        from neardup.pipeline.dask.cluster import parse_scheduler

        parse_scheduler(dask)  # a bad value is a usage error before any work
        require_dask()
    opts = resolved_index_options(opts)
    started = time.perf_counter()
    path_list = [os.fspath(p) for p in paths]
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(_cluster(dask, log)) if dask is not None else None
        found = run_scan(
            path_list,
            opts,
            catalog=catalog,
            use_cache=use_cache,
            rehash=rehash,
            client=client,
            progress=progress,
            store=None if store is None else os.fspath(store),
        )
    result = ScanResult(
        opts.settings(path_list),
        found.records,
        found.skipped,
        found.groups,
        found.files_seen,
        found.ignored,
    )
    result.from_catalog = found.from_catalog
    result.seconds = time.perf_counter() - started
    return result


def last_scan(catalog: Catalog | str | os.PathLike[str] | None = None) -> ScanResult:
    """The last saved scan, with the "not duplicates" decisions made since applied.

    A pair a person marked "not duplicates" in ``neardup review`` after the scan was saved
    is split apart here, so ``delete``, ``show`` and ``review`` without PATH never propose
    it (:mod:`neardup.pipeline.decisions`).

    Raises:
        NoSavedScanError: no scan was saved yet.
        StateError: it is from an incompatible version or damaged.
        CatalogError: the catalog cannot be read.
    """
    from neardup.catalog import Catalog, default_path, load_last_scan
    from neardup.pipeline.decisions import without_not_duplicates

    if not isinstance(catalog, Catalog):
        path = default_path() if catalog is None else catalog
        if not os.path.exists(path):
            return load_last_scan(path)  # raises NoSavedScanError
        with Catalog(path) as cat:
            return last_scan(cat)
    return without_not_duplicates(load_last_scan(catalog), catalog.not_duplicate_pairs())


def find_similar(
    images: Iterable[str | os.PathLike[str]],
    options: ScanOptions | None = None,
    *,
    within: Sequence[str | os.PathLike[str]] = (),
    catalog: Catalog | str | os.PathLike[str] | None = None,
    limit: int | None = None,
    **changes: Any,
) -> list[FindResult]:
    """The catalogued images within the threshold of each query image, nearest first.

    A query image need not be in the catalog (it is hashed, not added). With ``within``,
    those files and folders are brought up to date in the catalog first (only new and
    changed files are hashed) and the search is limited to them; otherwise every image
    of that hash kind (algorithm, size, compat or fast mode) in the catalog is a
    candidate. A query never matches itself, nor a file that no longer exists. Matching
    trims and verifies as :func:`scan` does (``options.trim``, ``options.verify``).

    Raises:
        UsageError: bad option values or a path that does not exist.
        UnknownIndexError, IndexUnavailable: the backend cannot be used.
        CatalogError: the catalog cannot be used.
    """
    from neardup.pipeline.find import find_in_catalog

    opts = resolved_index_options(ScanOptions.of(options, **changes))
    if limit is not None and limit < 1:
        raise UsageError(f"limit must be at least 1, got {limit}")
    return find_in_catalog(
        [os.fspath(p) for p in images],
        [os.fspath(p) for p in within],
        opts,
        catalog=catalog,
        limit=limit,
    )


@contextlib.contextmanager
def _cluster(dask: str, log: Callable[[str], None] | None) -> Iterator[Any]:
    """Connect to the Dask cluster named by ``dask`` and say where its dashboard is."""
    from neardup.pipeline.dask.cluster import connect

    with connect(dask) as client:
        if log is not None:
            workers = len(client.scheduler_info().get("workers", {}))
            log(f"dask: {workers} workers, dashboard {client.dashboard_link}")
        yield client


__all__ = [
    "DEFAULT_GROUPING",
    "DEFAULT_INDEX",
    "DEFAULT_KEEP",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_THRESHOLD",
    "DEFAULT_VERIFY_MIN",
    "ScanOptions",
    "ScanResult",
    "Skipped",
    "find_pairs",
    "find_similar",
    "group",
    "last_scan",
    "parse_invariant",
    "parse_keep",
    "scan",
]
