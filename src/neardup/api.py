"""The library API the CLI is a thin layer over.

>>> import neardup
>>> result = neardup.scan(["~/Pictures"], index="bktree", threshold=10)  # doctest: +SKIP
>>> [[result.records[m].path for m in g.members] for g in result.groups]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from neardup import index as index_registry
from neardup.decode import DEFAULT_MAX_PIXELS
from neardup.errors import UsageError
from neardup.features import DEFAULT_VERIFY_MIN, FeatureOptions, Features, Views, parse_invariant
from neardup.files import discover, is_url
from neardup.grouping import GROUPINGS, Group, build_groups
from neardup.hashing import HashArray, HashSpec, check_max_pixels, to_array
from neardup.incremental import CatalogArg, Hasher, hash_paths, open_catalog
from neardup.index.base import PairBlock
from neardup.keep import DEFAULT_KEEP, keeper_key, parse_keep
from neardup.matching import (
    analyse_files,
    match_groups,
    owner_pairs,
    pair_block,
    stacked_hashes,
    views_for,
)
from neardup.model import HashOutcome, ImageRecord, Skipped
from neardup.parallel import resolve_jobs
from neardup.result import ScanResult, ScanSettings, pin_roots

#: Default options of :func:`scan` (and of the CLI).
DEFAULT_INDEX = "mih"  # fastest exact backend at every size measured (docs/performance.md)
DEFAULT_THRESHOLD = 8
#: Default grouping: non-chaining centre groups (see :mod:`neardup.grouping`).
DEFAULT_GROUPING = GROUPINGS[0]
#: Border trimming and verification are on by default (docs/accuracy.md).
DEFAULT_TRIM = True
DEFAULT_VERIFY = True

ProgressCallback = Callable[[int, int], None]


def find_pairs(
    hashes: HashArray,
    threshold: int,
    index: str = DEFAULT_INDEX,
    index_options: Mapping[str, Any] | None = None,
) -> Iterator[PairBlock]:
    """All pairs of rows of ``hashes`` within ``threshold``, found with backend ``index``."""
    built = index_registry.build(index, hashes, **dict(index_options or {}))
    return built.pairs(threshold)


def group(
    records: Sequence[ImageRecord],
    hashes: HashArray,
    threshold: int = DEFAULT_THRESHOLD,
    index: str = DEFAULT_INDEX,
    index_options: Mapping[str, Any] | None = None,
    keep: Sequence[str] = DEFAULT_KEEP,
    grouping: str = DEFAULT_GROUPING,
    pairs: Iterable[PairBlock] | None = None,
) -> list[Group]:
    """Find near-duplicate groups among already hashed ``records``.

    The proposed keeper of each group is chosen by the ``keep`` rules (see :mod:`neardup.keep`);
    ``grouping`` is ``centre`` (no chaining) or ``components`` (see :mod:`neardup.grouping`).
    ``pairs``, when given, are the pairs within ``threshold`` already found elsewhere (a
    Dask scan's distributed join); otherwise the ``index`` backend finds them.
    """
    if len(records) < 2:
        return []
    blocks = pairs if pairs is not None else find_pairs(hashes, threshold, index, index_options)
    return build_groups(hashes, blocks, threshold, keeper_key(records, keep), grouping)


def scan(
    paths: Iterable[str | os.PathLike[str]],
    *,
    index: str = DEFAULT_INDEX,
    hash: str = "phash",
    hash_size: int = 8,
    threshold: int = DEFAULT_THRESHOLD,
    recursive: bool = True,
    exclude: Sequence[str] = (),
    hidden: bool = False,
    index_options: Mapping[str, Any] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    keep: Sequence[str] = DEFAULT_KEEP,
    progress: ProgressCallback | None = None,
    grouping: str = DEFAULT_GROUPING,
    trim: bool | None = None,
    invariant: Iterable[str] | str | None = None,
    crop: bool = False,
    verify: bool | None = None,
    verify_min: float = DEFAULT_VERIFY_MIN,
    jobs: int | None = None,
    compat: bool = False,
    catalog: CatalogArg = None,
    use_cache: bool = True,
    rehash: bool = False,
    dask: str | None = None,
    log: Callable[[str], None] | None = None,
) -> ScanResult:
    """Walk ``paths``, hash every image, and group near-duplicates.

    Args:
        paths: files and folders to scan.
        index: backend name from the ``neardup.indexes`` entry-point group.
        hash: ``phash``, ``dhash``, ``ahash`` or ``whash``.
        hash_size: 8 (64-bit hashes) or 16 (256-bit).
        threshold: largest Hamming distance that counts as a near-duplicate (inclusive).
        recursive: descend into sub-folders.
        exclude: glob patterns of names or relative paths to leave out.
        hidden: include hidden files and folders.
        index_options: backend options.
        max_pixels: images with more pixels are skipped as ``too-large``.
        keep: keep rules choosing each group's proposed keeper (:mod:`neardup.keep`).
        progress: called as ``progress(done, total)`` while hashing.
        grouping: ``centre`` (default, no chaining) or ``components``.
        trim: also hash each image without its uniform margins (frames, letterboxing) and
            match on either hash. ``None``: on (:data:`DEFAULT_TRIM`).
        invariant: ``"flip"``, ``"rotate"`` or both: also match mirrored/rotated copies
            (pHash only; every image is decoded on every scan).
        crop: also match on hashes of centred sub-regions (crop resistance; every image is
            decoded on every scan).
        verify: confirm candidate pairs by the normalised correlation of small greyscale
            views, at least ``verify_min`` (:func:`neardup.features.view_similarity`).
            ``None``: on (:data:`DEFAULT_VERIFY`).
        jobs: hashing processes; ``None`` or ``0`` uses every core, ``1`` none.
        compat: hash bit-for-bit as ImageHash (full decode; slower). The default fast path
            agrees with ImageHash to within 2 bits on nearly every image (docs/hashing.md).
        catalog: the hash catalog (:class:`neardup.catalog.Catalog` or its file); ``None``
            is the default catalog. Only new and changed files are hashed; hashes of the
            fast and the compat mode are kept apart.
        use_cache: ``False`` neither reads nor writes the catalog.
        rehash: hash every file again (the catalog is still updated).
        dask: run hashing and the pair search on a Dask cluster: ``"local"``,
            ``"local:N"`` or a scheduler address (needs ``neardup[dask]``; see
            docs/scale-out.md). ``None`` never imports Dask.
        log: receives one-line notes, such as the Dask dashboard address.

    Returns:
        A :class:`ScanResult`; bad files are in ``result.skipped``, never raised.

    Raises:
        UsageError: bad option values or a path that does not exist.
        UnknownIndexError, IndexUnavailable: the backend cannot be used.
    """
    spec = HashSpec(hash, hash_size, compat=compat)
    keep = parse_keep(keep)
    if grouping not in GROUPINGS:
        raise UsageError(f"unknown grouping {grouping!r}; choose one of: {', '.join(GROUPINGS)}")
    if not -1.0 <= verify_min <= 1.0:
        raise UsageError(f"verify_min must be between -1 and 1, got {verify_min}")
    if dask is not None and (crop or invariant):
        raise UsageError("--dask does not run --invariant or --crop (they decode every image)")
    trim = DEFAULT_TRIM if trim is None else trim
    verify = DEFAULT_VERIFY if verify is None else verify
    features_opts = FeatureOptions(trim, parse_invariant(invariant), crop, verify)
    features_opts.check(spec)
    cached = not features_opts.needs_alternates  # invariant and crop decode every image
    if threshold < 0 or threshold > spec.bits:
        raise UsageError(f"threshold must be between 0 and {spec.bits}, got {threshold}")
    check_max_pixels(max_pixels)
    resolve_jobs(jobs)
    if dask is not None:
        from neardup.scaleout import require_dask
        from neardup.scaleout.cluster import parse_scheduler

        parse_scheduler(dask)  # a bad value is a usage error before any work
        require_dask()
    opts = dict(index_options or {})
    backend = index_registry.load(index)  # fail fast, before hashing anything
    if hasattr(backend, "resolve_options"):
        backend.resolve_options(opts)
    started = time.perf_counter()
    path_list = [os.fspath(p) for p in paths]
    pins = pin_roots([os.path.abspath(p) for p in path_list if not is_url(p)])
    found = discover(path_list, recursive=recursive, exclude=exclude, hidden=hidden)
    records: list[ImageRecord] = []
    skipped: list[Skipped] = list(found.skipped)
    features: list[Features] = []
    order = {p: k for k, p in enumerate(found.images)}  # workers finish in any order
    from_catalog = 0
    analysed: dict[str, tuple[HashOutcome, Features | None]]
    client: Any = None
    with contextlib.ExitStack() as stack:
        cat = stack.enter_context(open_catalog(catalog, use_cache)) if cached else None
        if cached:
            roots = [os.path.abspath(p) for p in path_list if not is_url(p)]
            client = stack.enter_context(_cluster(dask, log)) if dask is not None else None
            hasher: Hasher | None = None  # None: local processes (see hash_paths)
            if client is not None:
                from neardup.scaleout.hashing import hash_on_cluster

                def hasher(todo: Sequence[str]) -> Iterable[HashOutcome]:
                    options = {"max_pixels": max_pixels, "trim": trim}
                    return hash_on_cluster(client, todo, spec, options=options)

            hashed = hash_paths(
                found.images,
                spec,
                catalog=cat,
                roots=roots,
                max_pixels=max_pixels,
                rehash=rehash,
                progress=progress,
                jobs=jobs,
                hasher=hasher,
                trim=trim,
            )
            from_catalog = hashed.from_catalog
            analysed = {path: (outcome, None) for path, outcome in hashed.outcomes.items()}
        else:  # alternates are not cached: every image is decoded
            analysed = {}
            total = len(found.images)
            outcomes = analyse_files(
                found.images, spec, features_opts, max_pixels=max_pixels, jobs=jobs
            )
            for done, (outcome, feats) in enumerate(outcomes, 1):
                analysed[outcome.path] = (outcome, feats)
                if progress is not None:
                    progress(done, total)
        for path in sorted(analysed, key=lambda p: order.get(p, len(order))):
            outcome, feats = analysed[path]
            if isinstance(outcome, ImageRecord):
                records.append(outcome)
                features.append(feats or Features())
            else:
                skipped.append(outcome)
        hashes = to_array([r.hash for r in records], spec.words)
        candidates = None
        if client is not None:  # the pair search runs on the cluster too
            from neardup.scaleout.join import distributed_pairs

            stacked, owner = stacked_hashes(hashes, records, trim)
            block = distributed_pairs(stacked, threshold, client, show_progress=bool(progress))
            candidates = owner_pairs([block], owner, threshold)
        if not (trim or verify or features_opts.needs_alternates):
            pairs = None if candidates is None else [pair_block(candidates)]
            groups = group(records, hashes, threshold, index, opts, keep, grouping, pairs=pairs)
        else:

            def views(rows: Sequence[ImageRecord]) -> Sequence[Views | None]:
                return views_for(rows, catalog=cat, max_pixels=max_pixels, jobs=jobs)

            groups = match_groups(
                records,
                hashes,
                threshold,
                options=features_opts,
                index=index,
                index_options=opts,
                keep=keep,
                grouping=grouping,
                verify_min=verify_min,
                features=features if features_opts.needs_alternates else (),
                views=views,
                candidates=candidates,
            )
    settings = ScanSettings(
        paths=tuple(p if is_url(p) else os.path.abspath(p) for p in path_list),
        hash=hash,
        hash_size=hash_size,
        threshold=threshold,
        index=index,
        index_options=tuple(sorted(opts.items())),
        recursive=recursive,
        exclude=tuple(exclude),
        hidden=hidden,
        keep=keep,
        grouping=grouping,
        trim=trim,
        invariant=tuple(sorted(features_opts.invariant)),
        crop=crop,
        verify=verify,
        verify_min=verify_min,
        hash_mode="compat" if compat else "fast",
        max_pixels=max_pixels,
        roots=pins,
    )
    result = ScanResult(settings, records, skipped, groups, found.files_seen, found.ignored)
    result.from_catalog = from_catalog
    result.seconds = time.perf_counter() - started
    return result


@contextlib.contextmanager
def _cluster(dask: str, log: Callable[[str], None] | None) -> Iterator[Any]:
    """Connect to the Dask cluster named by ``dask`` and say where its dashboard is."""
    from neardup.scaleout.cluster import connect

    with connect(dask) as client:
        if log is not None:
            workers = len(client.scheduler_info().get("workers", {}))
            log(f"dask: {workers} workers, dashboard {client.dashboard_link}")
        yield client
