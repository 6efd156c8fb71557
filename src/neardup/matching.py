"""Matching beyond one hash per image: trimmed hashes, flip/rotation alternates, centred crop
hashes, and verification of candidate pairs.

Every image contributes its primary hash and, when it was trimmed (its uniform margins
removed, see :mod:`neardup.features`), its trimmed hash. One index holds all of them; a pair
of images is a candidate when any hash of one is within the threshold of any hash of the
other, or when an alternate hash of one (a flipped/rotated thumbnail, a centred sub-region)
is within the threshold of one of the other's hashes. With verification, a candidate pair
is kept only when the two images' small greyscale views correlate at least ``verify_min``
(:func:`neardup.features.view_similarity`).

The trimmed hash is cached in the catalog with the primary one; the verification views of
the images in candidate pairs are computed when first needed and cached too
(:func:`views_for`), so a rescan of an unchanged folder decodes nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from neardup import index as index_registry
from neardup.catalog import Catalog
from neardup.decode import DEFAULT_MAX_PIXELS, open_thumbnails
from neardup.features import (
    ALIGNED_MIN,
    CROP_SLACK,
    DEFAULT_VERIFY_MIN,
    Extracted,
    FeatureOptions,
    Features,
    Views,
    aligned_similarity_of_frames,
    alignment_cache,
    extract,
    view_similarity,
    views_of,
    working_size,
)
from neardup.files import is_url
from neardup.grouping import Group, build_groups
from neardup.hashing import HashArray, HashSpec, hamming, hash_file, to_array
from neardup.index.base import PairBlock
from neardup.keep import DEFAULT_KEEP, keeper_key
from neardup.model import HashOutcome, ImageRecord

Pair = tuple[int, int]
_log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- uncached features


def analyse_file(
    path: str, spec: HashSpec, options: FeatureOptions, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[HashOutcome, Features | None]:
    """Hash one file with ``options`` applied (the full decode ``--invariant`` and ``--crop``
    need); :class:`Features` is ``None`` when the file was skipped."""
    found: list[Extracted] = []

    def analyse(image: Image.Image) -> int:
        found.append(extract(image, spec, options))
        return found[-1].hash

    outcome = hash_file(path, spec, max_pixels=max_pixels, analyse=analyse)
    if not found or not isinstance(outcome, ImageRecord):
        return outcome, None
    got = found[0]
    return dataclasses.replace(
        outcome, trim_hash=got.trim_hash, trim_box=got.trim_box
    ), got.features


def _analyse_chunk(
    paths: tuple[str, ...],
    *,
    spec: HashSpec,
    max_pixels: int,
    compat: bool,
    options: FeatureOptions,
) -> list[Any]:
    """Worker task for :func:`neardup.parallel.hash_in_workers`: (outcome, features) pairs."""
    return [analyse_file(p, spec, options, max_pixels) for p in paths]


def _in_workers(
    path_list: list[str],
    spec: HashSpec,
    task: Callable[..., list[Any]],
    single: Callable[[str], tuple[Any, Any]],
    *,
    max_pixels: int,
    jobs: int | None,
) -> Iterator[tuple[Any, Any]]:
    """Run ``task`` on chunks of ``path_list`` in worker processes (the hashing pool, with its
    Ctrl-C and crash handling), yielding ``(outcome, value)`` pairs in completion order; a
    file that crashed its worker comes as ``(Skipped, None)``. ``single`` is the in-process
    fallback."""
    from neardup.parallel import WorkerError, hash_in_workers, resolve_jobs, worth_workers

    workers = min(resolve_jobs(jobs), len(path_list))
    done: set[str] = set()
    if workers > 1 and (jobs or worth_workers(path_list)):
        try:
            item: Any
            for item in hash_in_workers(
                path_list, spec, max_pixels=max_pixels, compat=spec.compat, jobs=workers, task=task
            ):
                pair = item if isinstance(item, tuple) else (item, None)  # a crashed file
                done.add(pair[0].path)
                yield pair
            return
        except WorkerError as exc:
            _log.warning("%s; working in this process instead", exc)
    for path in path_list:
        if str(Path(path)) not in done:
            yield single(path)


def analyse_files(
    paths: Iterable[str | os.PathLike[str]],
    spec: HashSpec,
    options: FeatureOptions,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    jobs: int | None = 1,
) -> Iterator[tuple[HashOutcome, Features | None]]:
    """Hash files like :func:`~neardup.hashing.hash_files` (same workers, same Ctrl-C and
    crash handling; completion order with several jobs), with ``options`` applied."""
    task = functools.partial(_analyse_chunk, options=options)
    yield from _in_workers(
        [os.fspath(p) for p in paths],
        spec,
        task,
        lambda p: analyse_file(p, spec, options, max_pixels),
        max_pixels=max_pixels,
        jobs=jobs,
    )


# --------------------------------------------------------------------------- views


def compute_views(path: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Views | None:
    """The verification :class:`Views` of one file or URL (``None`` when it cannot be
    decoded)."""
    try:
        if is_url(path):
            from neardup.remote import local_file  # fsspec is optional

            with local_file(path) as (local, _):
                return compute_views(local, max_pixels)
        working = open_thumbnails(path, [working_size], max_pixels=max_pixels)[0].image
        return views_of(working)
    except Exception:  # any decoder failure: the pair cannot be confirmed, the scan goes on
        return None


def _views_chunk(
    paths: tuple[str, ...], *, spec: HashSpec, max_pixels: int, compat: bool
) -> list[Any]:
    return [(_PathOnly(p), compute_views(p, max_pixels)) for p in paths]


@dataclasses.dataclass(frozen=True, slots=True)
class _PathOnly:
    path: str


def views_for(
    records: Sequence[ImageRecord],
    *,
    catalog: Catalog | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    jobs: int | None = 1,
) -> list[Views | None]:
    """Verification views of ``records`` (aligned), from the catalog where it has them,
    decoded (in worker processes) and stored there otherwise."""
    cached = catalog.load_views(records) if catalog is not None else {}
    out: dict[str, Views | None] = {}
    for path, data in cached.items():
        with contextlib.suppress(ValueError):  # stored by another version: computed again
            out[path] = Views.from_bytes(data)
    todo = [r.path for r in records if r.path not in out]
    if todo:
        by_path = {r.path: r for r in records}
        fresh: list[tuple[ImageRecord, bytes]] = []
        for item, views in _in_workers(
            todo,
            HashSpec(),
            _views_chunk,
            lambda p: (_PathOnly(p), compute_views(p, max_pixels)),
            max_pixels=max_pixels,
            jobs=jobs,
        ):
            out[item.path] = views
            if views is not None and item.path in by_path:
                fresh.append((by_path[item.path], views.to_bytes()))
        if catalog is not None and fresh:
            catalog.store_views(fresh)
    return [out.get(r.path) for r in records]


# --------------------------------------------------------------------------- pairs


def stacked_hashes(
    hashes: HashArray, records: Sequence[ImageRecord], trim: bool
) -> tuple[HashArray, NDArray[np.int64]]:
    """Primary hashes plus, with ``trim``, the trimmed hashes that differ from them, and the
    image (row of ``hashes``) each stacked row belongs to."""
    owners = list(range(len(records)))
    extra = [
        (k, r.trim_hash)
        for k, r in enumerate(records)
        if trim and r.trim_hash is not None and r.trim_hash != r.hash
    ]
    if not extra:
        return hashes, np.asarray(owners, dtype=np.int64)
    stacked = np.concatenate([hashes, to_array([h for _, h in extra], hashes.shape[1])])
    return stacked, np.asarray(owners + [k for k, _ in extra], dtype=np.int64)


def _add(pairs: dict[Pair, int], a: int, b: int, d: int, threshold: int) -> None:
    if a != b:
        key = (a, b) if a < b else (b, a)
        if d < pairs.get(key, threshold + 1):
            pairs[key] = d


def owner_pairs(
    blocks: Iterable[PairBlock], owner: NDArray[np.int64], threshold: int
) -> dict[Pair, int]:
    """``{(i, j): distance}`` of images from pair blocks over stacked rows (see
    :func:`stacked_hashes`): the smallest distance of each pair of different images."""
    pairs: dict[Pair, int] = {}
    for block in blocks:
        for a, b, d in zip(
            owner[block.left].tolist(),
            owner[block.right].tolist(),
            block.distance.tolist(),
            strict=True,
        ):
            _add(pairs, a, b, d, threshold)
    return pairs


def pair_block(pairs: Mapping[Pair, int]) -> PairBlock:
    """One :class:`PairBlock` of ``pairs``, sorted."""
    keys = sorted(pairs)
    return PairBlock(
        np.array([a for a, _ in keys], dtype=np.int64),
        np.array([b for _, b in keys], dtype=np.int64),
        np.array([pairs[k] for k in keys], dtype=np.int64),
    )


def candidate_pairs(
    hashes: HashArray,
    features: Sequence[Features],
    threshold: int,
    index: str,
    index_options: Mapping[str, Any] | None = None,
    records: Sequence[ImageRecord] = (),
    trim: bool = False,
) -> dict[Pair, int]:
    """``{(i, j): distance}`` with ``i < j`` for every pair of images within ``threshold`` by
    any of their hashes (primary and, with ``trim``, trimmed) or by an alternate of either."""
    stacked, owner = stacked_hashes(hashes, records, trim)
    built = index_registry.build(index, stacked, **dict(index_options or {}))
    pairs = owner_pairs(built.pairs(threshold), owner, threshold)
    words = hashes.shape[1]
    for i, f in enumerate(features):
        if f.alternates:
            for row in to_array(f.alternates, words):
                for m in built.query(row, threshold):
                    _add(pairs, i, int(owner[m.index]), m.distance, threshold)
    return pairs


def verified(
    pairs: Mapping[Pair, int],
    views: Sequence[Views | None],
    minimum: float = DEFAULT_VERIFY_MIN,
    *,
    trim: bool = True,
    invariant: frozenset[str] = frozenset(),
    threshold: int | None = None,
    crop: bool = False,
) -> dict[Pair, int]:
    """The pairs whose views are at least ``minimum`` alike (see
    :func:`neardup.features.view_similarity`); a pair with an image that has no views (it
    could not be decoded again) is dropped.

    Only pairs within ``threshold`` (all when ``None``) are compared that way. With
    ``crop``, a pair is also kept when one whole frame matches a cropped or slightly
    rotated part of the other (:func:`neardup.features.aligned_similarity_of_frames`, at
    least :data:`~neardup.features.ALIGNED_MIN`).
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


def feature_distance(
    records: Sequence[ImageRecord], features: Sequence[Features], trim: bool
) -> Callable[[int, int], int]:
    """Distance of two images: the smallest over their hashes and alternates."""

    def own(k: int) -> tuple[int, ...]:
        r = records[k]
        return (r.hash, r.trim_hash) if trim and r.trim_hash is not None else (r.hash,)

    def distance(a: int, b: int) -> int:
        ha, hb = own(a), own(b)
        best = min(hamming(x, y) for x in ha for y in hb)
        alt_a = features[a].alternates if features else ()
        alt_b = features[b].alternates if features else ()
        for x in alt_a:
            best = min(best, *(hamming(x, y) for y in hb))
        for y in alt_b:
            best = min(best, *(hamming(y, x) for x in ha))
        return best

    return distance


def match_groups(
    records: Sequence[ImageRecord],
    hashes: HashArray,
    threshold: int,
    *,
    options: FeatureOptions,
    index: str,
    index_options: Mapping[str, Any] | None = None,
    keep: Sequence[str] = DEFAULT_KEEP,
    grouping: str = "centre",
    verify_min: float = DEFAULT_VERIFY_MIN,
    features: Sequence[Features] = (),
    views: Callable[[Sequence[ImageRecord]], Sequence[Views | None]] | None = None,
    candidates: Mapping[Pair, int] | None = None,
) -> list[Group]:
    """Groups of ``records`` matched on trimmed hashes, alternates and verification as
    ``options`` ask. ``views`` gives the views of a list of records (default:
    :func:`views_for` without a catalog, or the ones in ``features``). ``candidates``, when
    given, are the candidate pairs already found elsewhere (a Dask scan's distributed
    join over :func:`stacked_hashes`); otherwise the ``index`` backend finds them."""
    if len(records) < 2:
        return []
    aligned = options.crop and options.verify
    radius = threshold + CROP_SLACK if aligned else threshold
    if candidates is not None:
        pairs = dict(candidates)
    else:
        pairs = candidate_pairs(
            hashes, features, radius, index, index_options, records, options.trim
        )
    if options.verify and pairs:
        rows = sorted({k for pair in pairs for k in pair})
        if features and all(features[k].views is not None for k in rows):
            got: Sequence[Views | None] = [features[k].views for k in rows]
        else:
            got = (views or views_for)([records[k] for k in rows])
        by_row: list[Views | None] = [None] * len(records)
        for k, v in zip(rows, got, strict=True):
            by_row[k] = v
        pairs = verified(
            pairs,
            by_row,
            verify_min,
            trim=options.trim,
            invariant=options.invariant,
            threshold=threshold,
            crop=aligned,
        )
    key = keeper_key(records, keep)
    block = [pair_block(pairs)]
    if any(f.alternates for f in features):
        distance = feature_distance(records, features, options.trim)
        return build_groups(hashes, block, radius, key, grouping, distance)
    trimmed = None
    if options.trim:
        trimmed = to_array(
            [r.hash if r.trim_hash is None else r.trim_hash for r in records], hashes.shape[1]
        )
    return build_groups(hashes, block, radius, key, grouping, trimmed=trimmed)
