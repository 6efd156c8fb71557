"""Verification of candidate pairs: the views of the images in them (from the catalog, or
decoded once and stored there) and the pairs whose views agree.

An image whose views cannot be computed (it cannot be decoded again) cannot confirm a pair:
its pairs are dropped, and the reason is logged once per file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from neardup.catalog import Catalog
from neardup.hashing.alignment import ALIGNED_MIN, aligned_similarity_of_frames, alignment_cache
from neardup.hashing.flat import is_flat
from neardup.hashing.views import (
    Views,
    frame_region,
    unit_vector,
    view_similarity,
)
from neardup.model import DEFAULT_MAX_PIXELS, ImageRecord, Skipped
from neardup.pipeline.batch import views_of_files
from neardup.pipeline.workers import map_chunks

Pair = tuple[int, int]
_log = logging.getLogger(__name__)

#: Part of every verdict's key (:func:`verdict_key`): raise it whenever a change to the
#: comparisons could decide a pair differently, so stored verdicts are not reused.
VERDICT_VERSION: Final = 1


class Verdicts(Protocol):
    """Where verdicts of pairs compared one by one are remembered (the catalog)."""

    def load_verdicts(self, keys: Iterable[bytes]) -> dict[bytes, bool]: ...

    def store_verdicts(self, verdicts: Mapping[bytes, bool]) -> None: ...


def verdict_key(
    a: bytes, b: bytes, compare: bool, aligned: bool, minimum: float, trim: bool,
    invariant: frozenset[str],
) -> bytes:  # fmt: skip
    """The key of one pair's verdict: the digests of both images' views, which comparisons
    and the settings that decide it."""
    settings = (
        f"{VERDICT_VERSION}|{int(compare)}{int(aligned)}|{minimum!r}|{int(trim)}|"
        f"{','.join(sorted(invariant))}"
    )
    return hashlib.blake2b(a + b + settings.encode(), digest_size=16).digest()


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


#: Pairs correlated per numpy operation (bounds the temporaries to a few megabytes).
PAIR_BLOCK: Final = 4096


def verified(
    pairs: Mapping[Pair, int],
    views: Sequence[Views | None],
    minimum: float,
    *,
    trim: bool = True,
    invariant: frozenset[str] = frozenset(),
    threshold: int | None = None,
    crop: bool = False,
    verdicts: Verdicts | None = None,
) -> dict[Pair, int]:
    """The pairs whose views are at least ``minimum`` alike (see
    :func:`neardup.hashing.views.view_similarity`); a pair with an image that has no views (it
    could not be decoded again) is dropped.

    Only pairs within ``threshold`` (all when ``None``) are compared that way. With
    ``crop``, a pair is also kept when one whole frame matches a cropped or slightly
    rotated part of the other (:func:`neardup.hashing.alignment.aligned_similarity_of_frames`, at
    least :data:`~neardup.hashing.alignment.ALIGNED_MIN`).

    Most pairs (two images without margins, or compared whole; neither flat; no
    ``invariant``) are first correlated as two per-image vectors, all such pairs at once
    with numpy (:func:`_bulk_similarity`): a pair below ``minimum`` there is rejected
    without more work. The others, and the ``crop`` comparisons, are confirmed pair by pair
    (:func:`_pairwise`), and what was decided there is kept in ``verdicts`` (the catalog)
    for the next scan.
    """
    keys = [k for k in pairs if views[k[0]] is not None and views[k[1]] is not None]
    if not keys:
        return {}
    a = np.fromiter((k[0] for k in keys), np.int64, len(keys))
    b = np.fromiter((k[1] for k in keys), np.int64, len(keys))
    dist = np.fromiter((pairs[k] for k in keys), np.int64, len(keys))
    near = dist <= threshold if threshold is not None else np.ones(len(keys), dtype=bool)
    # Images compared by one vector: as view_similarity does for them (content without
    # margins, or the whole frame without trim), so the bulk result equals its result.
    simple = np.zeros(len(views), dtype=bool)
    vectors: dict[int, NDArray[np.float32]] = {}
    if not invariant:
        for k in np.unique(np.concatenate([a[near], b[near]])).tolist():
            v = views[k]
            if v is not None and not is_flat(v) and (not trim or v.box is None):
                simple[k] = True
                vectors[k] = unit_vector(v.content) if trim else frame_region(v.frame, None)
    bulk = near & simple[a] & simple[b]
    passed = np.zeros(len(keys), dtype=bool)
    where = np.flatnonzero(bulk)
    if where.size:
        passed[where] = _bulk_similarity(vectors, a[where], b[where]) >= minimum
    # The bulk correlation is an upper bound of view_similarity (which also asks the tiles
    # and colours to agree): it only rejects. The rest pair by pair: (pair, distance,
    # compare its views, try it aligned).
    compare = near & ~(bulk & ~passed)
    rest = [
        (keys[i], int(dist[i]), bool(compare[i]), crop)
        for i in np.flatnonzero(compare | crop).tolist()
    ]
    return dict(sorted(_pairwise(rest, views, minimum, trim, invariant, verdicts).items()))


def _bulk_similarity(
    vectors: Mapping[int, NDArray[np.float32]], a: NDArray[np.int64], b: NDArray[np.int64]
) -> NDArray[np.float32]:
    """:func:`neardup.hashing.views.similarity` of ``vectors[a[i]]`` and ``vectors[b[i]]``
    for every ``i``, in blocks of :data:`PAIR_BLOCK` pairs."""
    rows = sorted(set(a.tolist()) | set(b.tolist()))
    slot = {k: i for i, k in enumerate(rows)}
    matrix = np.stack([vectors[k] for k in rows])
    empty: NDArray[np.bool_] = ~np.any(matrix, axis=1)
    ia = np.fromiter((slot[k] for k in a.tolist()), np.int64, a.size)
    ib = np.fromiter((slot[k] for k in b.tolist()), np.int64, b.size)
    out = np.empty(a.size, dtype=np.float32)
    for s in range(0, a.size, PAIR_BLOCK):
        x, y = ia[s : s + PAIR_BLOCK], ib[s : s + PAIR_BLOCK]
        out[s : s + PAIR_BLOCK] = np.einsum("ij,ij->i", matrix[x], matrix[y])
    # a flat thumbnail (a zero vector) is similar only to another flat one
    ea, eb = empty[ia], empty[ib]
    return np.where(ea | eb, np.where(ea & eb, 1.0, 0.0), out).astype(np.float32)


def _pairwise(
    todo: Sequence[tuple[Pair, int, bool, bool]],
    views: Sequence[Views | None],
    minimum: float,
    trim: bool,
    invariant: frozenset[str],
    verdicts: Verdicts | None = None,
) -> dict[Pair, int]:
    """The pairs of ``todo`` (pair, distance, compare the views, try aligned frames)
    confirmed one at a time, or as ``verdicts`` remember them."""
    # Identical views (copies of one file) are compared once: many copies make many pairs.
    digests: dict[int, bytes] = {}

    def digest(k: int) -> bytes:
        if k not in digests:
            v = views[k]
            assert v is not None
            digests[k] = hashlib.blake2b(v.to_bytes(), digest_size=16).digest()
        return digests[k]

    keys = [
        verdict_key(digest(a), digest(b), compare, aligned, minimum, trim, invariant)
        for (a, b), _, compare, aligned in todo
    ]
    decided = verdicts.load_verdicts(keys) if verdicts is not None else {}
    undecided: dict[bytes, _Comparison] = {}
    for ((a, b), _, compare, aligned), key in zip(todo, keys, strict=True):
        if key not in decided and key not in undecided:
            va, vb = views[a], views[b]
            assert va is not None and vb is not None
            undecided[key] = (va, vb, compare, aligned)
    items = list(undecided.values())
    decide = functools.partial(_decide, minimum=minimum, trim=trim, invariant=invariant)
    # many comparisons: on the scan's worker processes, if they are running
    got = map_chunks(items, decide) if len(items) >= PARALLEL_PAIRS else None
    fresh = dict(zip(undecided, got if got is not None else decide(items), strict=True))
    decided.update(fresh)
    if verdicts is not None and fresh:
        verdicts.store_verdicts(fresh)
    return {pair: d for (pair, d, _, _), key in zip(todo, keys, strict=True) if decided[key]}


#: One comparison done one by one: two images' views, compare them, try them aligned.
_Comparison = tuple[Views, Views, bool, bool]
#: At least this many comparisons go to the worker processes (fewer are not worth sending).
PARALLEL_PAIRS: Final = 32


def _decide(
    items: Sequence[_Comparison], minimum: float, trim: bool, invariant: frozenset[str]
) -> list[bool]:
    """Whether each pair of ``items`` is confirmed (its views alike, or its frames aligned)."""
    alignments = alignment_cache()
    return [
        (compare and view_similarity(va, vb, trim=trim, invariant=invariant) >= minimum)
        or (aligned and aligned_similarity_of_frames(va, vb, alignments) >= ALIGNED_MIN)
        for va, vb, compare, aligned in items
    ]
