"""Find the catalogued images nearest to query images.

>>> import neardup.find
>>> hits = neardup.find.find_similar(["query.jpg"], within=["~/Pictures"])  # doctest: +SKIP
>>> [(m.record.path, m.distance) for m in hits[0].matches]  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from neardup import index as index_registry
from neardup.api import DEFAULT_INDEX, DEFAULT_THRESHOLD
from neardup.catalog import Catalog
from neardup.decode import DEFAULT_MAX_PIXELS
from neardup.errors import UsageError
from neardup.features import DEFAULT_VERIFY_MIN, view_similarity
from neardup.files import discover
from neardup.hashing import HashSpec, hash_file, to_array
from neardup.incremental import CatalogArg, hash_paths, open_catalog
from neardup.matching import compute_views, stacked_hashes, views_for
from neardup.model import ImageRecord, Skipped


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


def find_similar(
    images: Iterable[str | os.PathLike[str]],
    *,
    within: Sequence[str | os.PathLike[str]] = (),
    catalog: CatalogArg = None,
    hash: str = "phash",
    hash_size: int = 8,
    threshold: int = DEFAULT_THRESHOLD,
    index: str = DEFAULT_INDEX,
    index_options: Mapping[str, Any] | None = None,
    limit: int | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    compat: bool = False,
    jobs: int | None = None,
    trim: bool = True,
    verify: bool = True,
    verify_min: float = DEFAULT_VERIFY_MIN,
) -> list[FindResult]:
    """The catalogued images within ``threshold`` of each query image, nearest first.

    A query image need not be in the catalog (it is hashed, not added). With ``within``,
    those files and folders are brought up to date in the catalog first (only new and
    changed files are hashed) and the search is limited to them; otherwise every image
    of that hash kind (algorithm, size, ``compat`` or fast mode) in the catalog is a
    candidate; ``jobs`` hashing processes bring ``within`` up to date. A query never
    matches itself, nor a file that no longer exists.

    As in :func:`neardup.scan`, ``trim`` also matches the hashes of the images without
    their uniform margins (the distance is the smallest over both), and ``verify`` keeps
    only the matches whose small greyscale views correlate at least ``verify_min`` with
    the query's.

    Raises:
        UsageError: bad option values or a path that does not exist.
        UnknownIndexError, IndexUnavailable: the backend cannot be used.
        CatalogError: the catalog cannot be used.
    """
    spec = HashSpec(hash, hash_size, compat=compat)
    if threshold < 0 or threshold > spec.bits:
        raise UsageError(f"threshold must be between 0 and {spec.bits}, got {threshold}")
    if limit is not None and limit < 1:
        raise UsageError(f"limit must be at least 1, got {limit}")
    if not -1.0 <= verify_min <= 1.0:
        raise UsageError(f"verify_min must be between -1 and 1, got {verify_min}")
    queries = [os.path.abspath(os.fspath(p)) for p in images]
    for q in queries:
        if not os.path.lexists(q):
            raise UsageError(f"no such file: {q}")
        if os.path.isdir(q):
            raise UsageError(f"{q} is a folder; give image files to find (use --in for folders)")
    opts = dict(index_options or {})
    backend = index_registry.load(index)
    if hasattr(backend, "resolve_options"):
        backend.resolve_options(opts)
    roots = [os.path.abspath(os.fspath(p)) for p in within]
    results: list[FindResult] = []
    with open_catalog(catalog) as cat:
        assert cat is not None
        if roots:
            found = discover(roots)
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
            outcome = hash_file(q, spec, max_pixels=max_pixels, trim=trim)
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
                alike = _alike(q, [records[k] for k in rows], cat, max_pixels, jobs, trim)
                rows = [k for k, sim in zip(rows, alike, strict=True) if sim >= verify_min]
            neighbours = [Neighbour(records[k], near[k]) for k in rows]
            neighbours.sort(key=lambda n: (n.distance, n.record.path))
            results.append(FindResult(q, outcome.hash, neighbours[:limit]))
    return results


def _alike(
    query: str,
    candidates: Sequence[ImageRecord],
    catalog: Catalog,
    max_pixels: int,
    jobs: int | None,
    trim: bool,
) -> list[float]:
    """How alike each candidate's views are to the query's (-1 when either cannot be
    decoded)."""
    mine = compute_views(query, max_pixels)
    if mine is None:
        return [-1.0] * len(candidates)
    theirs = views_for(candidates, catalog=catalog, max_pixels=max_pixels, jobs=jobs)
    return [-1.0 if v is None else view_similarity(mine, v, trim=trim) for v in theirs]
