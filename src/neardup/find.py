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
from neardup.decode import DEFAULT_MAX_PIXELS
from neardup.errors import UsageError
from neardup.files import discover
from neardup.hashing import HashSpec, hash_file, to_array
from neardup.incremental import CatalogArg, hash_paths, open_catalog
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
    threshold: int = 10,
    index: str = "bktree",
    index_options: Mapping[str, Any] | None = None,
    limit: int | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    compat: bool = False,
    jobs: int | None = None,
) -> list[FindResult]:
    """The catalogued images within ``threshold`` of each query image, nearest first.

    A query image need not be in the catalog (it is hashed, not added). With ``within``,
    those files and folders are brought up to date in the catalog first (only new and
    changed files are hashed) and the search is limited to them; otherwise every image
    of that hash kind (algorithm, size, ``compat`` or fast mode) in the catalog is a
    candidate; ``jobs`` hashing processes bring ``within`` up to date. A query never
    matches itself, nor a file that no longer exists.

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
    with open_catalog(catalog) as cat:
        assert cat is not None
        if roots:
            found = discover(roots)
            hash_paths(
                found.images, spec, catalog=cat, roots=roots, max_pixels=max_pixels, jobs=jobs
            )
        records, hashes = cat.images(spec, within=roots)
    built = index_registry.build(index, hashes, **opts) if records else None
    results: list[FindResult] = []
    for q in queries:
        outcome = hash_file(q, spec, max_pixels=max_pixels)
        if isinstance(outcome, Skipped):
            results.append(FindResult(q, None, skipped=outcome))
            continue
        neighbours: list[Neighbour] = []
        if built is not None:
            row = to_array([outcome.hash], spec.words)[0]
            for m in sorted(built.query(row, threshold)):
                rec = records[m.index]
                # a file deleted since the last scan is not offered as a match
                if rec.path != q and os.path.lexists(rec.path):
                    neighbours.append(Neighbour(rec, int(m.distance)))
        neighbours.sort(key=lambda n: (n.distance, n.record.path))
        results.append(FindResult(q, outcome.hash, neighbours[:limit]))
    return results
