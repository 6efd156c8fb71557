"""Matching with the extra features of :mod:`neardup.features`: border trimming, flip/rotation
alternates, centred crop hashes and thumbnail verification.

A pair is a candidate when the primary hashes are within the threshold, or when any
alternate hash of one image (a flipped/rotated thumbnail, a centred sub-region) is within the
threshold of the other's primary hash: the index holds the primary hashes and is queried
with every alternate. With ``verify``, a candidate pair is kept only when the normalised
correlation of the two small greyscale thumbnails reaches ``verify_min``.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from neardup import index as index_registry
from neardup.decode import DEFAULT_MAX_PIXELS
from neardup.features import (
    DEFAULT_VERIFY_MIN,
    FeatureOptions,
    Features,
    aligned_similarity,
    extract,
)
from neardup.grouping import Group, build_groups
from neardup.hashing import HashArray, HashSpec, from_array, hamming, hash_file, to_array
from neardup.index.base import PairBlock
from neardup.keep import DEFAULT_KEEP, keeper_key
from neardup.model import HashOutcome, ImageRecord

Pair = tuple[int, int]
_log = logging.getLogger(__name__)


def analyse_file(
    path: str, spec: HashSpec, options: FeatureOptions, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[HashOutcome, Features | None]:
    """Hash one file with ``options`` applied; :class:`Features` is ``None`` when skipped."""
    found: list[Features] = []

    def analyse(image: Image.Image) -> int:
        value, feats = extract(image, spec, options)
        found.append(feats)
        return value

    outcome = hash_file(path, spec, max_pixels=max_pixels, analyse=analyse)
    return outcome, (found[0] if found and isinstance(outcome, ImageRecord) else None)


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
    from neardup.parallel import WorkerError, hash_in_workers, resolve_jobs, worth_workers

    path_list = [os.fspath(p) for p in paths]
    workers = min(resolve_jobs(jobs), len(path_list))
    done: set[str] = set()
    if workers > 1 and (jobs or worth_workers(path_list)):
        task = functools.partial(_analyse_chunk, options=options)
        try:
            item: Any
            for item in hash_in_workers(
                path_list, spec, max_pixels=max_pixels, compat=spec.compat, jobs=workers, task=task
            ):
                pair: tuple[HashOutcome, Features | None] = (
                    item if isinstance(item, tuple) else (item, None)  # a crashed file
                )
                done.add(pair[0].path)
                yield pair
            return
        except WorkerError as exc:
            _log.warning("%s; hashing in this process instead", exc)
    for path in path_list:
        if str(Path(path)) not in done:
            yield analyse_file(path, spec, options, max_pixels)


def candidate_pairs(
    hashes: HashArray,
    features: Sequence[Features],
    threshold: int,
    index: str,
    index_options: Mapping[str, Any] | None = None,
) -> dict[Pair, int]:
    """``{(i, j): distance}`` with ``i < j`` for every pair within ``threshold`` by primary
    hashes or by an alternate of either image."""
    built = index_registry.build(index, hashes, **dict(index_options or {}))
    pairs: dict[Pair, int] = {}
    for block in built.pairs(threshold):
        for a, b, d in zip(
            block.left.tolist(), block.right.tolist(), block.distance.tolist(), strict=True
        ):
            pairs[(a, b)] = d
    words = hashes.shape[1]
    for i, f in enumerate(features):
        if not f.alternates:
            continue
        for row in to_array(f.alternates, words):
            for m in built.query(row, threshold):
                if m.index == i:
                    continue
                key = (min(i, m.index), max(i, m.index))
                if m.distance < pairs.get(key, threshold + 1):
                    pairs[key] = m.distance
    return pairs


def verified(
    pairs: Mapping[Pair, int],
    features: Sequence[Features],
    minimum: float = DEFAULT_VERIFY_MIN,
    invariant: frozenset[str] = frozenset(),
) -> dict[Pair, int]:
    """The pairs whose verification thumbnails correlate at least ``minimum`` (the best over
    the flips/rotations ``invariant`` allows)."""
    out = {}
    for (a, b), d in pairs.items():
        ta, tb = features[a].thumbnail, features[b].thumbnail
        if ta is None or tb is None or aligned_similarity(ta, tb, invariant) >= minimum:
            out[(a, b)] = d
    return out


def feature_distance(hashes: HashArray, features: Sequence[Features]) -> Any:
    """Distance of two rows: the smallest over primary and alternate hashes."""
    primary = from_array(hashes)

    def distance(a: int, b: int) -> int:
        best = hamming(primary[a], primary[b])
        for x in features[a].alternates:
            best = min(best, hamming(x, primary[b]))
        for y in features[b].alternates:
            best = min(best, hamming(y, primary[a]))
        return best

    return distance


def group_features(
    records: Sequence[ImageRecord],
    hashes: HashArray,
    features: Sequence[Features],
    options: FeatureOptions,
    threshold: int,
    *,
    index: str,
    index_options: Mapping[str, Any] | None = None,
    keep: Sequence[str] = DEFAULT_KEEP,
    grouping: str = "centre",
    verify_min: float = DEFAULT_VERIFY_MIN,
) -> list[Group]:
    """Groups of ``records`` using alternates and verification as ``options`` ask."""
    if len(records) < 2:
        return []
    pairs = candidate_pairs(hashes, features, threshold, index, index_options)
    if options.verify:
        pairs = verified(pairs, features, verify_min, options.invariant)
    keys = sorted(pairs)
    block = PairBlock(
        np.array([a for a, _ in keys], dtype=np.int64),
        np.array([b for _, b in keys], dtype=np.int64),
        np.array([pairs[k] for k in keys], dtype=np.int64),
    )
    distance = feature_distance(hashes, features) if options.needs_alternates else None
    return build_groups(hashes, [block], threshold, keeper_key(records, keep), grouping, distance)
