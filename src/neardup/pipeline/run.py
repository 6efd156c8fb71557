"""One scan, stage by stage: discover → hash (catalog first) → candidate pairs → verify →
groups → "not duplicates" decisions. :func:`neardup.scan` checks the options and calls
:func:`run_scan`."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from neardup.bits import HashArray, to_array
from neardup.catalog import Catalog, CatalogArg, not_duplicate_pairs
from neardup.hashing.alignment import CROP_SLACK
from neardup.hashing.alternates import FeatureOptions, Features
from neardup.hashing.core import Analysed
from neardup.hashing.views import Views
from neardup.model import Group, HashOutcome, ImageRecord, ScanOptions, Skipped, is_url
from neardup.pipeline.cached import Hasher, hash_paths, open_catalog
from neardup.pipeline.decisions import split_not_duplicates
from neardup.pipeline.discover import discover
from neardup.pipeline.matching import match_groups, owner_pairs, stacked_alternates
from neardup.pipeline.verify import views_for
from neardup.pipeline.workers import worker_pool

ProgressCallback = Callable[[int, int], None]


@dataclass(slots=True)
class Found:
    """What :func:`run_scan` found, in discovery order."""

    records: list[ImageRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    files_seen: int = 0
    ignored: int = 0
    from_catalog: int = 0


def feature_options(options: ScanOptions) -> FeatureOptions:
    """What each image must give besides its hash, for a scan with ``options``."""
    return FeatureOptions(options.trim, options.invariant, options.crop, options.verify)


def run_scan(
    paths: Sequence[str],
    options: ScanOptions,
    *,
    catalog: CatalogArg = None,
    use_cache: bool = True,
    rehash: bool = False,
    client: Any = None,
    progress: ProgressCallback | None = None,
    store: str | None = None,
) -> Found:
    """Scan ``paths`` with ``options`` (already checked, backend options resolved).

    ``client`` is a connected Dask client: hashing and the pair search then run on its
    cluster. Everything comes from the catalog where it is still valid (the alternates of
    ``--invariant`` and ``--crop`` too), or from the Parquet hash store at ``store`` (which
    then takes the catalog's place for hashes, and keeps the alternates too), on a cluster
    as locally.
    """
    found = discover(
        paths, recursive=options.recursive, exclude=options.exclude, hidden=options.hidden
    )
    out = Found(skipped=list(found.skipped), files_seen=found.files_seen, ignored=found.ignored)
    order = {p: k for k, p in enumerate(found.images)}  # workers finish in any order
    with contextlib.ExitStack() as stack:
        # One pool of workers for every stage; started only if a stage needs it.
        stack.enter_context(worker_pool(options.jobs))
        cat = stack.enter_context(open_catalog(catalog, use_cache))
        roots = [os.path.abspath(p) for p in paths if not is_url(p)]
        hashing: dict[str, Any] = {
            "max_pixels": options.max_pixels,
            "rehash": rehash,
            "progress": progress,
            "jobs": options.jobs,
            "hasher": _cluster_hasher(client, options),
            "trim": options.trim,
            "views": options.verify,
            "invariant": options.invariant,
            "crop": options.crop,
        }
        if store is not None:
            from neardup.pipeline.hashstore import HashStore, hash_stored

            hashed = hash_stored(found.images, options.spec, HashStore(store), **hashing)
        else:
            hashed = hash_paths(found.images, options.spec, catalog=cat, roots=roots, **hashing)
        out.from_catalog = hashed.from_catalog
        analysed: dict[str, tuple[HashOutcome, Features | None]] = {
            p: (outcome, Features(hashed.alternates.get(p, ())))
            for p, outcome in hashed.outcomes.items()
        }
        made = hashed.views
        features: list[Features] = []
        for path in sorted(analysed, key=lambda p: order.get(p, len(order))):
            outcome, feats = analysed[path]
            if isinstance(outcome, ImageRecord):
                out.records.append(outcome)
                features.append(feats or Features())
            else:
                out.skipped.append(outcome)
        hashes = to_array([r.hash for r in out.records], options.spec.words)
        groups = _groups(
            out.records, hashes, features, options, cat, client, progress is not None, made
        )
        # Pairs a person marked "not duplicates" in ``neardup review`` are never grouped.
        rejected = not_duplicate_pairs(cat if cat is not None else catalog)
        out.groups = split_not_duplicates(groups, out.records, hashes, rejected, options.keep)
    return out


def _cluster_hasher(client: Any, options: ScanOptions) -> Hasher | None:
    """Hash on the Dask cluster of ``client``; ``None`` (local processes) without one. With
    ``--invariant``/``--crop`` the workers also return alternates and views from the same
    decode (stored like a local scan's)."""
    if client is None:
        return None
    if options.needs_alternates:
        from neardup.pipeline.dask.hashing import analyse_on_cluster

        def analyser(todo: Sequence[str]) -> Iterable[Analysed]:
            return analyse_on_cluster(
                client, todo, options.spec, feature_options(options), max_pixels=options.max_pixels
            )

        return analyser
    from neardup.pipeline.dask.hashing import hash_on_cluster

    def hasher(todo: Sequence[str]) -> Iterable[HashOutcome]:
        settings = {"max_pixels": options.max_pixels, "trim": options.trim}
        return hash_on_cluster(client, todo, options.spec, options=settings)

    return hasher


def _cluster_views(
    client: Any, rows: Sequence[ImageRecord], cat: Catalog | None, max_pixels: int
) -> dict[str, Views]:
    """Views of ``rows`` the catalog does not have, decoded on the cluster and stored."""
    from neardup.pipeline.dask.hashing import views_on_cluster

    stored = cat.load_views(rows) if cat is not None else {}
    todo = [r.path for r in rows if r.path not in stored]
    by_path = {r.path: r for r in rows}
    out: dict[str, Views] = {}
    for path, got in views_on_cluster(client, todo, max_pixels=max_pixels):
        if not isinstance(got, Skipped):  # views_for logs the reason when it fails again
            out[path] = got
    if cat is not None and out:
        cat.store_views([(by_path[p], v.to_bytes()) for p, v in out.items()])
    return out


def _groups(
    records: list[ImageRecord],
    hashes: HashArray,
    features: list[Features],
    options: ScanOptions,
    cat: Catalog | None,
    client: Any,
    show_progress: bool,
    made: Mapping[str, Views] | None = None,
) -> list[Group]:
    """Candidate pairs (local index or the cluster's join), verified, grouped."""
    candidates = None
    if client is not None:  # the pair search runs on the cluster too
        from neardup.pipeline.dask.join import distributed_pairs

        radius = options.threshold + (CROP_SLACK if options.crop and options.verify else 0)
        alts = features if options.needs_alternates else ()
        stacked, owner, alternate = stacked_alternates(hashes, records, options.trim, alts)
        block = distributed_pairs(stacked, radius, client, show_progress=show_progress)
        candidates = owner_pairs([block], owner, radius, alternate)
    have: dict[str, Views] = dict(made or {})

    def views(rows: Sequence[ImageRecord]) -> Sequence[Views | None]:
        """Views made by this scan's hashing decode, else from the catalog or decoded
        (on the cluster's workers when there is one)."""
        if client is not None:
            todo = [r for r in rows if r.path not in have]
            have.update(_cluster_views(client, todo, cat, options.max_pixels))
        known = [have.get(r.path) for r in rows]
        missing = [r for r, v in zip(rows, known, strict=True) if v is None]
        rest = iter(
            views_for(missing, catalog=cat, max_pixels=options.max_pixels, jobs=options.jobs)
        )
        return [v if v is not None else next(rest) for v in known]

    return match_groups(
        records,
        hashes,
        options.threshold,
        options=feature_options(options),
        index=options.index,
        index_options=dict(options.index_options),
        keep=options.keep,
        grouping=options.grouping,
        verify_min=options.verify_min,
        features=features if options.needs_alternates else (),
        views=views,
        candidates=candidates,
        verdicts=cat,
    )
