"""Matching beyond one hash per image: trimmed hashes, flip/rotation alternates, centred crop
hashes, and verification of candidate pairs.

Every image contributes its primary hash and, when it was trimmed (its uniform margins
removed, see :mod:`neardup.hashing.trim`), its trimmed hash. One index holds all of them; a
pair of images is a candidate when any hash of one is within the threshold of any hash of the
other, or when an alternate hash of one (a flipped/rotated thumbnail, a centred sub-region)
is within the threshold of one of the other's hashes. With verification, a candidate pair
is kept only when the two images' small greyscale views correlate at least ``verify_min``
(:func:`neardup.hashing.views.view_similarity`).

The trimmed hash is cached in the catalog with the primary one; the verification views of
the images in candidate pairs are computed when first needed and cached too
(:func:`neardup.pipeline.verify.views_for`), so a rescan of an unchanged folder decodes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neardup import index as index_registry
from neardup.bits import HashArray, hamming, to_array
from neardup.hashing.alignment import CROP_SLACK
from neardup.hashing.alternates import FeatureOptions, Features
from neardup.hashing.views import Views
from neardup.index.base import PairBlock
from neardup.model import Group, ImageRecord
from neardup.pipeline.grouping import build_groups
from neardup.pipeline.keep import keeper_key
from neardup.pipeline.reasons import with_matches
from neardup.pipeline.verify import Verdicts, verified, views_for

Pair = tuple[int, int]
_log = logging.getLogger(__name__)


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


def stacked_alternates(
    hashes: HashArray, records: Sequence[ImageRecord], trim: bool, features: Sequence[Features]
) -> tuple[HashArray, NDArray[np.int64], NDArray[np.bool_]]:
    """:func:`stacked_hashes` plus every alternate hash (``--invariant``, ``--crop``) as one
    more row of its image, and which rows are alternates: one all-pairs join over them
    finds what :func:`candidate_pairs` finds, once pairs of two alternates are dropped
    (:func:`owner_pairs` with ``alternate``)."""
    stacked, owner = stacked_hashes(hashes, records, trim)
    extra = [(k, a) for k, f in enumerate(features) for a in f.alternates]
    alternate = np.zeros(stacked.shape[0] + len(extra), dtype=bool)
    if not extra:
        return stacked, owner, alternate
    alternate[stacked.shape[0] :] = True
    rows = to_array([a for _, a in extra], hashes.shape[1])
    owners = np.asarray([k for k, _ in extra], dtype=np.int64)
    return np.concatenate([stacked, rows]), np.concatenate([owner, owners]), alternate


def _add(pairs: dict[Pair, int], a: int, b: int, d: int, threshold: int) -> None:
    if a != b:
        key = (a, b) if a < b else (b, a)
        if d < pairs.get(key, threshold + 1):
            pairs[key] = d


def owner_pairs(
    blocks: Iterable[PairBlock],
    owner: NDArray[np.int64],
    threshold: int,
    alternate: NDArray[np.bool_] | None = None,
) -> dict[Pair, int]:
    """``{(i, j): distance}`` of images from pair blocks over stacked rows (see
    :func:`stacked_hashes`): the smallest distance of each pair of different images.
    With ``alternate`` (see :func:`stacked_alternates`), pairs of two alternate rows are
    not matches."""
    pairs: dict[Pair, int] = {}
    for block in blocks:
        if alternate is not None and alternate.any():
            keep = ~(alternate[block.left] & alternate[block.right])
            block = PairBlock(block.left[keep], block.right[keep], block.distance[keep])
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
    keep: Sequence[str],
    grouping: str,
    verify_min: float,
    features: Sequence[Features] = (),
    views: Callable[[Sequence[ImageRecord]], Sequence[Views | None]] | None = None,
    candidates: Mapping[Pair, int] | None = None,
    verdicts: Verdicts | None = None,
) -> list[Group]:
    """Groups of ``records`` matched on trimmed hashes, alternates and verification as
    ``options`` ask. ``views`` gives the views of a list of records (default:
    :func:`views_for` without a catalog, or the ones in ``features``). ``candidates``, when
    given, are the candidate pairs already found elsewhere (a Dask scan's distributed
    join over :func:`stacked_hashes`); otherwise the ``index`` backend finds them.
    ``verdicts`` (the catalog) remembers pairs verification compared one by one."""
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
    by_row: list[Views | None] = []
    if options.verify and pairs:
        rows = sorted({k for pair in pairs for k in pair})
        if features and all(features[k].views is not None for k in rows):
            got: Sequence[Views | None] = [features[k].views for k in rows]
        else:
            got = (views or views_for)([records[k] for k in rows])
        by_row = [None] * len(records)
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
            verdicts=verdicts,
        )
    key = keeper_key(records, keep)
    block = [pair_block(pairs)]
    if any(f.alternates for f in features):
        distance = feature_distance(records, features, options.trim)
        groups = build_groups(hashes, block, radius, key, grouping, distance)
    else:
        trimmed = None
        if options.trim:
            trimmed = to_array(
                [r.hash if r.trim_hash is None else r.trim_hash for r in records],
                hashes.shape[1],
            )
        groups = build_groups(hashes, block, radius, key, grouping, trimmed=trimmed)
    return with_matches(groups, records, features, options, threshold, by_row)
