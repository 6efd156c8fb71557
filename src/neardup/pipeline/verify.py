"""Verification of candidate pairs: the views of the images in them (from the catalog, or
decoded once and stored there) and the pairs whose views agree.

An image whose views cannot be computed (it cannot be decoded again) cannot confirm a pair:
its pairs are dropped, and the reason is logged once per file.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Mapping, Sequence

from neardup.catalog import Catalog
from neardup.hashing.views import (
    ALIGNED_MIN,
    Views,
    aligned_similarity_of_frames,
    alignment_cache,
    view_similarity,
)
from neardup.model import DEFAULT_MAX_PIXELS, ImageRecord, Skipped
from neardup.pipeline.batch import views_of_files

Pair = tuple[int, int]
_log = logging.getLogger(__name__)


def views_for(
    records: Sequence[ImageRecord],
    *,
    catalog: Catalog | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    jobs: int | None = 1,
) -> list[Views | None]:
    """Verification views of ``records`` (aligned), from the catalog where it has them,
    decoded (in worker processes) and stored there otherwise; ``None`` for an image whose
    views cannot be computed (logged with the reason)."""
    cached = catalog.load_views(records) if catalog is not None else {}
    out: dict[str, Views | None] = {}
    for path, data in cached.items():
        with contextlib.suppress(ValueError):  # stored by another version: computed again
            out[path] = Views.from_bytes(data)
    todo = [r.path for r in records if r.path not in out]
    if todo:
        by_path = {r.path: r for r in records}
        fresh: list[tuple[ImageRecord, bytes]] = []
        for path, got in views_of_files(todo, max_pixels=max_pixels, jobs=jobs):
            if isinstance(got, Skipped):
                _log.warning("cannot verify pairs of %s: %s (%s)", path, got.detail, got.reason)
                out[path] = None
                continue
            out[path] = got
            if path in by_path:
                fresh.append((by_path[path], got.to_bytes()))
        if catalog is not None and fresh:
            catalog.store_views(fresh)
    return [out.get(r.path) for r in records]


def verified(
    pairs: Mapping[Pair, int],
    views: Sequence[Views | None],
    minimum: float,
    *,
    trim: bool = True,
    invariant: frozenset[str] = frozenset(),
    threshold: int | None = None,
    crop: bool = False,
) -> dict[Pair, int]:
    """The pairs whose views are at least ``minimum`` alike (see
    :func:`neardup.hashing.views.view_similarity`); a pair with an image that has no views (it
    could not be decoded again) is dropped.

    Only pairs within ``threshold`` (all when ``None``) are compared that way. With
    ``crop``, a pair is also kept when one whole frame matches a cropped or slightly
    rotated part of the other (:func:`neardup.hashing.views.aligned_similarity_of_frames`, at
    least :data:`~neardup.hashing.views.ALIGNED_MIN`).
    """
    alignments = alignment_cache()
    # Identical views (copies of one file) are compared once: many copies make many pairs.
    digests = [None if v is None else hashlib.blake2b(v.to_bytes(), digest_size=16).digest()
               for v in views]  # fmt: skip
    decided: dict[tuple[bytes, bytes, bool], bool] = {}
    out = {}
    for (a, b), d in pairs.items():
        va, vb, da, db = views[a], views[b], digests[a], digests[b]
        if va is None or vb is None or da is None or db is None:
            continue
        near = threshold is None or d <= threshold
        key = (da, db, near)
        ok = decided.get(key)
        if ok is None:
            ok = decided[key] = (
                near and view_similarity(va, vb, trim=trim, invariant=invariant) >= minimum
            ) or (crop and aligned_similarity_of_frames(va, vb, alignments) >= ALIGNED_MIN)
        if ok:
            out[(a, b)] = d
    return out
