"""Measure accuracy: generate variants of originals, hash everything once, and report
precision, recall and F1 per transform and threshold for every hash and option.

Ground truth: an original and its variants form one identity; distractors and stress images
are identities of their own (stress images get variants too). Precision is measured on what
users act on, *group co-membership*: every pair of files put in one group counts, right or
wrong. Recall of a transform is the share of its variants grouped with their original.

The two baselines are re-implemented from their documentation and judged on the pairs they
report (they have no groups): imagededup's defaults (its own pHash, Hamming distance <= 10,
``find_duplicates``) and the KD-tree method (the 16 hex digits of a 64-bit pHash as a point,
Manhattan distance, k=5 nearest neighbours, distance <= 25).

Originals are first box-reduced by an integer factor to a short side of 512–1023 px, and
every image is hashed after a second reduction to a short side of 256–511 px (what a fast
JPEG draft decode does). A hash sees a 32×32 thumbnail at most, so this changes hashes by a
bit or two, and a full run takes minutes, not hours. Margins, pictures in frames and the
verification views are found on the working image a scan makes (short side 256).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from neardup.bits import to_array
from neardup.hashing.alignment import CROP_SLACK
from neardup.model import DEFAULT_VERIFY_MIN
from neardup.pipeline.grouping import clusters
from neardup.tools import stress
from neardup.tools.baselines import (
    Baseline,
    baselines_dict,
    baselines_of,
    kdtree_pairs,
    pairs_within,
)
from neardup.tools.confirm import VERIFY_UP_TO, confirmed
from neardup.tools.measure import (
    _ALL_FLIPS,
    EvalConfig,
    collect,
    spec_key,
)
from neardup.tools.scoring import (
    DISTRACTORS,
    ORIGINAL,
    PHOTOS,
    STRESS,
    ItemFeatures,
    Score,
    Truth,
    hamming_matrix,
    min_alternate_matrix,
    score_clusters,
)

#: The precision a threshold must reach to be recommended.
TARGET_PRECISION: Final = 0.999
#: The evaluated method ``neardup scan`` uses by default (pHash-64, trimmed hashes, centred
#: crops, verified).
DEFAULT_METHOD: Final = "phash-8+trim+crop+verify"
#: Older name of :data:`DEFAULT_METHOD` (it was recommended before it became the default).
RECOMMENDED_METHOD: Final = DEFAULT_METHOD


# --------------------------------------------------------------------------- distances


# --------------------------------------------------------------------------- metrics


# --------------------------------------------------------------------------- methods


@dataclass(slots=True)
class Method:
    """One way of matching: a distance matrix (and an optional verification mask)."""

    name: str
    hash: str
    hash_size: int
    grouping: str
    options: dict[str, Any]
    distance: NDArray[np.int16]
    thresholds: tuple[int, ...]
    confirm: NDArray[np.bool_] | None = None
    #: Pairs also accepted up to ``slack`` bits beyond the threshold (``--crop`` with
    #: verification: whole frames matched to aligned sub-regions).
    wide: NDArray[np.bool_] | None = None
    slack: int = 0

    def subset(self, rows: NDArray[np.int64]) -> Method:
        """The method on ``rows`` alone (their distances and verification, no others)."""
        ix = np.ix_(rows, rows)

        def cut(m: NDArray[np.bool_] | None) -> NDArray[np.bool_] | None:
            return None if m is None else m[ix]

        return Method(
            self.name,
            self.hash,
            self.hash_size,
            self.grouping,
            self.options,
            self.distance[ix],
            self.thresholds,
            cut(self.confirm),
            cut(self.wide),
            self.slack,
        )


@dataclass(slots=True)
class MethodResult:
    method: Method
    rows: list[tuple[int, Score, dict[str, Score]]] = field(default_factory=list)

    def best_threshold(self) -> int | None:
        """Largest threshold whose co-membership precision reaches the target."""
        ok = [t for t, s, _ in self.rows if s.precision >= TARGET_PRECISION]
        return max(ok) if ok else None

    def at(self, threshold: int | None) -> tuple[int, Score, dict[str, Score]] | None:
        for row in self.rows:
            if row[0] == threshold:
                return row
        return None

    def to_dict(self) -> dict[str, Any]:
        m = self.method
        best = self.best_threshold()
        return {
            "name": m.name,
            "hash": m.hash,
            "hash_size": m.hash_size,
            "grouping": m.grouping,
            "options": m.options,
            "threshold_at_target_precision": best,
            "thresholds": [
                {
                    "threshold": t,
                    **s.to_dict(),
                    "per_transform": {k: v.to_dict() for k, v in per.items()},
                }
                for t, s, per in self.rows
            ],
        }


def evaluate_method(
    method: Method,
    truth: Truth,
    kinds: Sequence[str],
    stop_below: float = 0.5,
    upper: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None,
) -> MethodResult:
    """Score ``method`` at each threshold (stops once precision falls below ``stop_below``).

    ``upper`` are the upper-triangle row/column indices (``np.triu_indices(n, 1)``), shared
    between methods to save time.
    """
    result = MethodResult(method)
    iu, ju = upper if upper is not None else np.triu_indices(truth.n, k=1)
    dist = method.distance[iu, ju]
    near = dist <= max(method.thresholds) + method.slack
    iu, ju, dist = iu[near].astype(np.int64), ju[near].astype(np.int64), dist[near]
    conf = np.ones(iu.size, dtype=bool) if method.confirm is None else method.confirm[iu, ju]
    wide = np.zeros(iu.size, dtype=bool) if method.wide is None else method.wide[iu, ju]
    for t in sorted(method.thresholds):
        sel = ((dist <= t) & conf) | ((dist <= t + method.slack) & wide)
        groups = clusters(method.grouping, truth.n, iu[sel], ju[sel])
        overall, per = score_clusters(truth, groups, kinds)
        result.rows.append((t, overall, per))
        if overall.precision < stop_below:
            break
    return result


#: The halves, by number (see :mod:`neardup.tools.stress` for the rule).
HALVES: Final = stress.HALVES


def method_named(methods: Sequence[MethodResult], name: str) -> MethodResult:
    """The result of the method called ``name`` (KeyError when none is)."""
    for m in methods:
        if m.method.name == name:
            return m
    raise KeyError(name)


@dataclass(slots=True)
class Part:
    """The results on one half of the set, grouped on its own."""

    name: str
    truth: Truth
    methods: list[MethodResult]
    baselines: list[Baseline]
    counts: dict[str, int]

    def method(self, name: str) -> MethodResult:
        return method_named(self.methods, name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "methods": [m.to_dict() for m in self.methods],
            "baselines": baselines_dict(self.baselines),
        }


@dataclass(slots=True)
class Evaluation:
    """All results of one evaluation run: on the whole set, and on each half alone."""

    config: EvalConfig
    truth: Truth
    methods: list[MethodResult]
    baselines: list[Baseline]
    counts: dict[str, int]
    seconds: float = 0.0
    splits: dict[str, Part] = field(default_factory=dict)

    def method(self, name: str) -> MethodResult:
        return method_named(self.methods, name)

    def to_dict(self) -> dict[str, Any]:
        from neardup import api

        return {
            "target_precision": TARGET_PRECISION,
            "scan_defaults": {
                "method": DEFAULT_METHOD,
                "verify_min": DEFAULT_VERIFY_MIN,
                "threshold": api.DEFAULT_THRESHOLD,
                "grouping": api.DEFAULT_GROUPING,
                "recommended_method": RECOMMENDED_METHOD,
            },
            "counts": self.counts,
            "transforms": list(self.config.transforms),
            "seconds": round(self.seconds, 1),
            "families": list(self.config.families),
            "methods": [m.to_dict() for m in self.methods],
            "baselines": baselines_dict(self.baselines),
            "splits": {name: part.to_dict() for name, part in self.splits.items()},
        }


def _scaled(thresholds: Sequence[int], bits: int) -> tuple[int, ...]:
    factor = bits // 64
    return tuple(sorted({min(bits, t * factor) for t in thresholds}))


def build_methods(items: Sequence[ItemFeatures], config: EvalConfig) -> list[Method]:
    """Every matching method the run compares (plain hashes for each algorithm and size,
    both groupings, and the pHash options)."""
    methods: list[Method] = []
    for spec in config.specs():
        key = spec_key(spec)
        dist = hamming_matrix([i.plain[key] for i in items], spec.words)
        thr = _scaled(config.thresholds, spec.bits)
        for grouping in ("centre", "components"):
            methods.append(Method(key, spec.algorithm, spec.size, grouping, {}, dist, thr))
    if not config.extras or "phash" not in config.algorithms or 8 not in config.sizes:
        return methods
    thr = tuple(config.thresholds)
    vthr = tuple(t for t in thr if t <= VERIFY_UP_TO)
    plain = [i.plain["phash-8"] for i in items]
    trimmed = [i.trimmed["phash-8"] for i in items]
    d_plain = hamming_matrix(plain, 1)
    d_trim = np.minimum(d_plain, hamming_matrix(trimmed, 1))
    cross = to_array(plain, 1)[:, 0][:, None] ^ to_array(trimmed, 1)[:, 0][None, :]
    np.minimum(d_trim, np.bitwise_count(cross).astype(np.int16), out=d_trim)
    np.minimum(d_trim, d_trim.T, out=d_trim)  # any hash of one against any of the other

    def with_alternates(alternates: list[tuple[int, ...]]) -> NDArray[np.int16]:
        out = min_alternate_matrix(d_trim, plain, alternates)
        return np.minimum(out, min_alternate_matrix(d_trim, trimmed, alternates))

    d_inv = with_alternates([i.dihedral for i in items])
    d_crop = with_alternates([i.centre for i in items])
    d_both = np.minimum(d_inv, d_crop)
    views = [i.views for i in items]
    jobs = config.jobs or os.cpu_count() or 1
    confirm = confirmed(d_trim, views, config.verify_min, jobs=jobs)
    confirm_crop = confirmed(d_crop, views, config.verify_min, jobs=jobs)
    confirm_inv = confirmed(d_both, views, config.verify_min, _ALL_FLIPS, jobs=jobs)
    wide_crop = confirmed(d_crop, views, aligned=True, jobs=jobs)
    wide_both = confirmed(d_both, views, aligned=True, jobs=jobs)
    cthr = tuple(t for t in vthr if t + CROP_SLACK <= VERIFY_UP_TO)
    extra: list[
        tuple[str, dict[str, Any], NDArray[np.int16], NDArray[np.bool_] | None, tuple[int, ...]]
    ] = [
        ("phash-8+trim", {"trim": True}, d_trim, None, thr),
        ("phash-8+trim+invariant", {"trim": True, "invariant": "flip,rotate"}, d_inv, None, thr),
        ("phash-8+trim+crop", {"trim": True, "crop": True}, d_crop, None, thr),
        ("phash-8+trim+verify", {"trim": True, "verify": config.verify_min}, d_trim, confirm, vthr),
        (
            "phash-8+trim+crop+verify",
            {"trim": True, "crop": True, "verify": config.verify_min},
            d_crop,
            confirm_crop,
            vthr,
        ),
        (
            "phash-8+trim+invariant+crop+verify",
            {"trim": True, "invariant": "flip,rotate", "crop": True, "verify": config.verify_min},
            d_both,
            confirm_inv,
            vthr,
        ),
    ]
    wides = {
        "phash-8+trim+crop+verify": wide_crop,
        "phash-8+trim+invariant+crop+verify": wide_both,
    }
    for name, opts, dist, conf, ts in extra:
        wide = wides.get(name)
        slack = CROP_SLACK if wide is not None else 0
        methods.append(
            Method(
                name,
                "phash",
                8,
                "centre",
                opts,
                dist,
                cthr if wide is not None else ts,
                conf,
                wide,
                slack,
            )
        )
    return methods


def evaluate(
    originals: str | os.PathLike[str],
    config: EvalConfig = EvalConfig(),
    distractors: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Run a whole evaluation (see the module docstring)."""
    started = time.perf_counter()
    items = collect(originals, config, distractors, progress)
    truth = Truth.of(items)
    kinds = list(config.transforms)
    halves = [np.flatnonzero(truth.half == h).astype(np.int64) for h in range(len(HALVES))]
    truths = [truth.subset(rows) for rows in halves]
    uppers = [np.triu_indices(t.n, k=1) for t in truths]
    upper = np.triu_indices(truth.n, k=1)
    results: list[MethodResult] = []
    part_results: list[list[MethodResult]] = [[] for _ in halves]
    for m in build_methods(items, config):
        results.append(evaluate_method(m, truth, kinds, upper=upper))
        for rows, t, up, out in zip(halves, truths, uppers, part_results, strict=True):
            out.append(evaluate_method(m.subset(rows), t, kinds, upper=up))
    kd = None
    if "phash" in config.algorithms and 8 in config.sizes:
        kd = kdtree_pairs([i.plain["phash-8"] for i in items])
    dd = hamming_matrix([i.imagededup for i in items], 1)
    splits = {
        name: Part(
            name,
            t,
            out,
            baselines_of(t, dd[np.ix_(rows, rows)], pairs_within(kd, rows), kinds),
            _counts(t),
        )
        for name, rows, t, out in zip(HALVES, halves, truths, part_results, strict=True)
    }
    return Evaluation(
        config,
        truth,
        results,
        baselines_of(truth, dd, kd, kinds),
        _counts(truth),
        time.perf_counter() - started,
        splits,
    )


def _counts(truth: Truth) -> dict[str, int]:
    return {
        "originals": int(((truth.kind == ORIGINAL) & (truth.source == PHOTOS)).sum()),
        "stress_originals": int(((truth.kind == ORIGINAL) & (truth.source == STRESS)).sum()),
        "distractors": int((truth.source == DISTRACTORS).sum()),
        "images": truth.n,
        "true_pairs": truth.true_pairs(),
    }
