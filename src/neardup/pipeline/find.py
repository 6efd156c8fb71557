"""Find the catalogued images nearest to query images.

>>> import neardup
>>> hits = neardup.find_similar(["query.jpg"], within=["~/Pictures"])  # doctest: +SKIP
>>> [(m.record.path, m.distance) for m in hits[0].matches]  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from neardup import index as index_registry
from neardup.bits import to_array
from neardup.catalog import Catalog, CatalogArg
from neardup.errors import UsageError
from neardup.hashing.alternates import FeatureOptions
from neardup.hashing.core import analyse_file
from neardup.hashing.views import Views, view_similarity
from neardup.model import HashSpec, ImageRecord, ScanOptions, Skipped
from neardup.pipeline.cached import hash_paths, open_catalog
from neardup.pipeline.discover import discover
from neardup.pipeline.matching import stacked_hashes
from neardup.pipeline.verify import views_for


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A catalogued image near a query, and its Hamming distance to it."""

    record: ImageRecord
    distance: int


@dataclass(frozen=True, slots=True)
class FindResult:
    """The answer for one query image: its hash (or why it could not be hashed) and the
    catalogued images within the threshold, nearest first."""

    query: str
    hash: int | None
    matches: list[Neighbour] = field(default_factory=list)
    skipped: Skipped | None = None

    def to_dict(self, spec: HashSpec) -> dict[str, Any]:
        return {
            "query": self.query,
            "hash": spec.hex(self.hash) if self.hash is not None else None,
            "error": (
                {"reason": self.skipped.reason, "detail": self.skipped.detail}
                if self.skipped is not None
                else None
            ),
            "matches": [
                {
                    "path": m.record.path,
                    "distance": m.distance,
                    "hash": spec.hex(m.record.hash),
                    "width": m.record.width,
                    "height": m.record.height,
                    "bytes": m.record.size,
                }
                for m in self.matches
            ],
        }


def find_in_catalog(
    images: Sequence[str],
    within: Sequence[str],
    options: ScanOptions,
    *,
    catalog: CatalogArg = None,
    limit: int | None = None,
) -> list[FindResult]:
    """:func:`neardup.find_similar` once its options are checked: the catalogued images
    within ``options.threshold`` of each query image, nearest first."""
    spec = options.spec
    threshold, trim, verify = options.threshold, options.trim, options.verify
    max_pixels, jobs = options.max_pixels, options.jobs
    opts = dict(options.index_options)
    index = options.index
    queries = [os.path.abspath(p) for p in images]
    for q in queries:
        if not os.path.lexists(q):
            raise UsageError(f"no such file: {q}")
        if os.path.isdir(q):
            raise UsageError(f"{q} is a folder; give image files to find (use --in for folders)")
    roots = [os.path.abspath(os.fspath(p)) for p in within]
    results: list[FindResult] = []
    with open_catalog(catalog) as cat:
        assert cat is not None
        if roots:
            found = discover(
                roots,
                recursive=options.recursive,
                exclude=options.exclude,
                hidden=options.hidden,
            )
            hash_paths(
                found.images,
                spec,
                catalog=cat,
                roots=roots,
                max_pixels=max_pixels,
                jobs=jobs,
                trim=trim,
            )
        records, hashes = cat.images(spec, within=roots)
        stacked, owner = stacked_hashes(hashes, records, trim)
        built = index_registry.build(index, stacked, **opts) if records else None
        for q in queries:
            outcome, feats = analyse_file(
                q, spec, FeatureOptions(trim=trim, verify=verify), max_pixels=max_pixels
            )
            if isinstance(outcome, Skipped):
                results.append(FindResult(q, None, skipped=outcome))
                continue
            near: dict[int, int] = {}
            if built is not None:
                own = [outcome.hash]
                if trim and outcome.trim_hash not in (None, outcome.hash):
                    own.append(outcome.trim_hash)
                for row in to_array(own, spec.words):
                    for m in built.query(row, threshold):
                        k = int(owner[m.index])
                        near[k] = min(near.get(k, threshold + 1), int(m.distance))
            # a file deleted since the last scan is not offered as a match
            rows = [k for k in near if records[k].path != q and os.path.lexists(records[k].path)]
            if verify and rows:
                mine = feats.views if feats is not None else None
                alike = _alike(mine, [records[k] for k in rows], cat, max_pixels, jobs, trim)
                rows = [k for k, sim in zip(rows, alike, strict=True) if sim >= options.verify_min]
            neighbours = [Neighbour(records[k], near[k]) for k in rows]
            neighbours.sort(key=lambda n: (n.distance, n.record.path))
            results.append(FindResult(q, outcome.hash, neighbours[:limit]))
    return results


def _alike(
    mine: Views | None,
    candidates: Sequence[ImageRecord],
    catalog: Catalog,
    max_pixels: int,
    jobs: int | None,
    trim: bool,
) -> list[float]:
    """How alike each candidate's views are to the query's views ``mine`` (-1 when either
    cannot be decoded)."""
    if mine is None:
        return [-1.0] * len(candidates)
    theirs = views_for(candidates, catalog=catalog, max_pixels=max_pixels, jobs=jobs)
    return [-1.0 if v is None else view_similarity(mine, v, trim=trim) for v in theirs]
