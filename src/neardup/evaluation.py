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
bit or two, and a full run takes minutes, not hours.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from neardup import stress, transforms
from neardup.decode import DecodeError, open_image
from neardup.errors import UsageError
from neardup.features import (
    CROP_SLACK,
    DEFAULT_VERIFY_MIN,
    Views,
    centre_hashes,
    crop_relative,
    dihedral_hashes,
    relative_box,
    views_of,
)
from neardup.files import discover
from neardup.grouping import clusters
from neardup.hashing import ALGORITHMS, HASH_SIZES, HashSpec, hash_image, to_array
from neardup.matching import verified

#: The precision a threshold must reach to be recommended.
TARGET_PRECISION: Final = 0.999
#: The evaluated method ``neardup scan`` uses by default (pHash-64, trimmed hashes, verified).
DEFAULT_METHOD: Final = "phash-8+trim+verify"
#: Older name of :data:`DEFAULT_METHOD` (it was recommended before it became the default).
RECOMMENDED_METHOD: Final = DEFAULT_METHOD
#: Kind of an original image (variants carry their transform's name).
ORIGINAL: Final = "original"
#: Set names.
PHOTOS, STRESS, DISTRACTORS = "photos", "stress", "distractors"
_ALL_FLIPS: Final = frozenset({"flip", "rotate"})
#: Originals are box-reduced to a short side of at least this before variants are made.
WORKING_SIDE: Final = 512


@dataclass(frozen=True, slots=True)
class EvalConfig:
    """What to measure."""

    transforms: tuple[str, ...] = tuple(transforms.TRANSFORMS)
    algorithms: tuple[str, ...] = ALGORITHMS
    sizes: tuple[int, ...] = HASH_SIZES
    thresholds: tuple[int, ...] = tuple(range(33))
    stress_per_family: int = 25
    verify_min: float = DEFAULT_VERIFY_MIN
    jobs: int = 0
    extras: bool = True

    def specs(self) -> list[HashSpec]:
        return [HashSpec(a, s) for a in self.algorithms for s in self.sizes]


@dataclass(slots=True)
class ItemFeatures:
    """Everything measured about one image."""

    identity: int
    kind: str
    source: str
    plain: dict[str, int]
    trimmed: dict[str, int]
    dihedral: tuple[int, ...] = ()
    centre: tuple[int, ...] = ()
    views: Views | None = None
    imagededup: int = 0


def spec_key(spec: HashSpec) -> str:
    return f"{spec.algorithm}-{spec.size}"


def reduce_for_hashing(img: Image.Image, short_side: int = 256) -> Image.Image:
    """Box-reduce by an integer factor to a short side of ``short_side``…``2·short_side-1``."""
    factor = min(img.size) // short_side
    return img.reduce(factor) if factor > 1 else img


def imagededup_phash(img: Image.Image) -> int:
    """imagededup's PHash: RGB resized to 32×32, greyscale, 2-D DCT, 8×8 block, bits >= the
    median of the block without its DC term."""
    small = img.convert("RGB").resize((32, 32), Image.Resampling.LANCZOS).convert("L")
    import scipy.fft  # imported on first use: it costs start-up time

    dct = scipy.fft.dct(scipy.fft.dct(np.asarray(small, dtype=np.float64), axis=0), axis=1)
    low = dct[:8, :8]
    bits = low >= np.median(low.ravel()[1:])
    packed = np.packbits(bits.ravel())
    return int.from_bytes(packed.tobytes(), "big")


def measure(
    img: Image.Image,
    specs: Sequence[HashSpec],
    identity: int,
    kind: str,
    source: str,
    extras: bool,
) -> ItemFeatures:
    """Hash one (decoded, RGB) image every way the evaluation compares."""
    small = reduce_for_hashing(img)
    grey = small.convert("L")
    plain = {spec_key(s): hash_image(grey, s) for s in specs}
    item = ItemFeatures(identity, kind, source, plain, plain)
    if extras:  # what a scan computes (see neardup.matching)
        tgrey = crop_relative(grey, relative_box(grey))
        item.trimmed = {"phash-8": hash_image(tgrey, HashSpec())}
        item.dihedral = dihedral_hashes(tgrey, _ALL_FLIPS)
        item.centre = centre_hashes(tgrey, HashSpec())
        item.views = views_of(grey)
    item.imagededup = imagededup_phash(small)
    return item


@dataclass(frozen=True, slots=True)
class _Task:
    source: str
    identity: int
    path: str | None
    stress_family: str | None
    stress_number: int
    stress_photos: tuple[str, ...]
    transforms: tuple[str, ...]
    specs: tuple[HashSpec, ...]
    extras: bool


def _run_task(task: _Task) -> list[ItemFeatures]:
    if task.path is not None:
        try:
            img = open_image(task.path).convert("RGB")
        except (DecodeError, OSError):
            return []
        name = Path(task.path).name
    else:
        assert task.stress_family is not None
        photos = [open_image(p).convert("RGB") for p in task.stress_photos]
        img = stress.generate(task.stress_family, task.stress_number, photos)
        name = f"{task.stress_family}-{task.stress_number}"
    img = reduce_for_hashing(img, WORKING_SIDE)
    out = [measure(img, task.specs, task.identity, ORIGINAL, task.source, task.extras)]
    seed = transforms.seed_for(name)
    for t in task.transforms:
        variant = transforms.apply(img, t, seed)
        out.append(measure(variant, task.specs, task.identity, t, task.source, task.extras))
    return out


def _images_in(folder: str | os.PathLike[str]) -> list[str]:
    if not Path(folder).is_dir():
        raise UsageError(f"not a folder: {folder}")
    return sorted(discover([os.fspath(folder)]).images)


def collect(
    originals: str | os.PathLike[str],
    config: EvalConfig,
    distractors: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ItemFeatures]:
    """Decode, transform and hash everything, in parallel processes."""
    paths = _images_in(originals)
    if not paths:
        raise UsageError(f"no images in {originals}")
    specs = tuple(config.specs())
    tasks: list[_Task] = []
    for k, p in enumerate(paths):
        tasks.append(_Task(PHOTOS, k, p, None, 0, (), config.transforms, specs, config.extras))
    ident = len(paths)
    for fam in stress.FAMILIES:
        for n in range(config.stress_per_family):
            objects = tuple(paths[(n * 7 + j) % len(paths)] for j in range(1))
            tasks.append(
                _Task(STRESS, ident, None, fam, n, objects, config.transforms, specs, config.extras)
            )
            ident += 1
    for p in _images_in(distractors) if distractors else []:
        tasks.append(_Task(DISTRACTORS, ident, p, None, 0, (), (), specs, config.extras))
        ident += 1
    jobs = config.jobs or os.cpu_count() or 1
    items: list[ItemFeatures] = []
    if jobs == 1:
        results: Iterable[list[ItemFeatures]] = map(_run_task, tasks)
        for done, r in enumerate(results, 1):
            items.extend(r)
            if progress:
                progress(done, len(tasks))
        return items
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for done, r in enumerate(pool.map(_run_task, tasks, chunksize=2), 1):
            items.extend(r)
            if progress:
                progress(done, len(tasks))
    return items


# --------------------------------------------------------------------------- distances


def hamming_matrix(hashes: Sequence[int], words: int) -> NDArray[np.int16]:
    """All pairwise Hamming distances (``int16``, n×n)."""
    arr = to_array(hashes, words)
    n = arr.shape[0]
    out = np.zeros((n, n), dtype=np.int16)
    for w in range(words):
        col = arr[:, w]
        out += np.bitwise_count(col[:, None] ^ col[None, :]).astype(np.int16)
    return out


def min_alternate_matrix(
    base: NDArray[np.int16], primary: Sequence[int], alternates: Sequence[Sequence[int]]
) -> NDArray[np.int16]:
    """``min(base, d(alt_a(i), primary(j)))`` over alternates, made symmetric.

    This is what a scan computes: the index holds the primary hashes and is queried with
    every alternate of every image.
    """
    prim = to_array(primary, 1)[:, 0]
    out = base.copy()
    k = len(alternates[0]) if alternates else 0
    for a in range(k):
        alt = to_array([row[a] for row in alternates], 1)[:, 0]
        d = np.bitwise_count(alt[:, None] ^ prim[None, :]).astype(np.int16)
        np.minimum(out, d, out=out)
    np.minimum(out, out.T, out=out)
    return out


# --------------------------------------------------------------------------- metrics


@dataclass(slots=True)
class Score:
    precision: float
    recall: float
    f1: float
    pairs: int = 0
    wrong_pairs: int = 0
    #: Recall on variants of the given photos only (stress images left out).
    recall_photos: float | None = None

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
            "pairs": self.pairs,
            "wrong_pairs": self.wrong_pairs,
        }
        if self.recall_photos is not None:
            doc["recall_photos"] = round(self.recall_photos, 6)
        return doc


def _score(tp: int, total: int, found: int, expected: int) -> Score:
    precision = tp / total if total else 1.0
    recall = found / expected if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, total, total - tp)


@dataclass(slots=True)
class Truth:
    """Ground truth of an evaluation set."""

    identity: NDArray[np.int64]
    kind: NDArray[np.str_]
    source: NDArray[np.str_]
    original_row: NDArray[np.int64]  # row of each item's original (-1 when none)

    @classmethod
    def of(cls, items: Sequence[ItemFeatures]) -> Truth:
        identity = np.array([i.identity for i in items], dtype=np.int64)
        kind = np.array([i.kind for i in items])
        source = np.array([i.source for i in items])
        orig = {i.identity: r for r, i in enumerate(items) if i.kind == ORIGINAL}
        original_row = np.array([orig.get(i.identity, -1) for i in items], dtype=np.int64)
        return cls(identity, kind, source, original_row)

    @property
    def n(self) -> int:
        return int(self.identity.size)

    def true_pairs(self) -> int:
        _, counts = np.unique(self.identity, return_counts=True)
        return int((counts * (counts - 1) // 2).sum())


def score_clusters(
    truth: Truth, groups: Sequence[NDArray[np.int64]], kinds: Sequence[str]
) -> tuple[Score, dict[str, Score]]:
    """Co-membership precision/recall overall and per transform for a grouping."""
    label = np.full(truth.n, -1, dtype=np.int64)
    for g, members in enumerate(groups):
        label[members] = g
    tp = total = 0
    per_pairs = dict.fromkeys(kinds, 0)
    per_true = dict.fromkeys(kinds, 0)
    for members in groups:
        ids = truth.identity[members]
        uniq, counts = np.unique(ids, return_counts=True)
        size = members.size
        total += size * (size - 1) // 2
        tp += int((counts * (counts - 1) // 2).sum())
        same = dict(zip(uniq.tolist(), counts.tolist(), strict=True))
        for m, i in zip(members.tolist(), ids.tolist(), strict=True):
            k = str(truth.kind[m])
            if k in per_pairs:
                per_pairs[k] += size - 1
                per_true[k] += same[i] - 1
    overall = _score(tp, total, tp, truth.true_pairs())
    per: dict[str, Score] = {}
    for k in kinds:
        rows = np.flatnonzero(truth.kind == k)
        orig = truth.original_row[rows]
        hit = (label[rows] >= 0) & (label[rows] == label[orig])
        per[k] = _score(per_true[k], per_pairs[k], int(hit.sum()), rows.size)
        mine = truth.source[rows] == PHOTOS
        per[k].recall_photos = float(hit[mine].mean()) if mine.any() else None
    return overall, per


def score_pairs(
    truth: Truth, left: NDArray[np.int64], right: NDArray[np.int64], kinds: Sequence[str]
) -> tuple[Score, dict[str, Score]]:
    """Precision/recall of reported pairs (for tools that report pairs, not groups)."""
    same = truth.identity[left] == truth.identity[right]
    tp = int(same.sum())
    overall = _score(tp, int(left.size), tp, truth.true_pairs())
    per: dict[str, Score] = {}
    found_pairs = set(zip(left[same].tolist(), right[same].tolist(), strict=True))
    for k in kinds:
        rows = np.flatnonzero(truth.kind == k)
        involved = (truth.kind[left] == k) | (truth.kind[right] == k)
        hit = np.array(
            [
                (min(r, o), max(r, o)) in found_pairs
                for r, o in zip(rows.tolist(), truth.original_row[rows].tolist(), strict=True)
            ],
            dtype=bool,
        )
        per[k] = _score(
            int((involved & same).sum()), int(involved.sum()), int(hit.sum()), rows.size
        )
        mine = truth.source[rows] == PHOTOS
        per[k].recall_photos = float(hit[mine].mean()) if mine.any() else None
    return overall, per


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


def kdtree_pairs(hashes: Sequence[int], k: int = 5, radius: float = 25) -> NDArray[np.int64]:
    """The KD-tree method: 16 hex digits as a point, Manhattan distance, k nearest, <= radius."""
    from scipy.spatial import cKDTree

    points = np.array([[int(c, 16) for c in f"{h:016x}"] for h in hashes], dtype=np.float64)
    tree = cKDTree(points)
    dist, idx = tree.query(points, k=min(k, len(points)), p=1)
    pairs = set()
    for i in range(len(points)):
        for d, j in zip(dist[i], idx[i], strict=True):
            if j != i and d <= radius:
                pairs.add((min(i, int(j)), max(i, int(j))))
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


@dataclass(slots=True)
class Evaluation:
    """All results of one evaluation run."""

    config: EvalConfig
    truth: Truth
    methods: list[MethodResult]
    baselines: list[tuple[str, dict[str, Any], Score, dict[str, Score]]]
    counts: dict[str, int]
    seconds: float = 0.0

    def method(self, name: str) -> MethodResult:
        for m in self.methods:
            if m.method.name == name:
                return m
        raise KeyError(name)

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
            "methods": [m.to_dict() for m in self.methods],
            "baselines": [
                {
                    "name": name,
                    **info,
                    **s.to_dict(),
                    "per_transform": {k: v.to_dict() for k, v in per.items()},
                }
                for name, info, s, per in self.baselines
            ],
        }


def _scaled(thresholds: Sequence[int], bits: int) -> tuple[int, ...]:
    factor = bits // 64
    return tuple(sorted({min(bits, t * factor) for t in thresholds}))


#: Verification is measured on candidate pairs up to this distance (the loop is per pair).
VERIFY_UP_TO: Final = 14


def confirmed(
    distance: NDArray[np.int16],
    views: Sequence[Views | None],
    minimum: float = DEFAULT_VERIFY_MIN,
    invariant: frozenset[str] = frozenset(),
    *,
    aligned: bool = False,
) -> NDArray[np.bool_]:
    """Which pairs within :data:`VERIFY_UP_TO` a scan's verification accepts, decided by
    the scan's own :func:`neardup.matching.verified`: on the views, or with ``aligned``
    only by aligning whole frames (``--crop``, beyond the threshold)."""
    left, right = np.nonzero(np.triu(distance <= VERIFY_UP_TO, k=1))
    pairs = dict.fromkeys(zip(left.tolist(), right.tolist(), strict=True), 0)
    # threshold -1: no pair is near enough for the views, only the aligned frames decide
    kept = verified(
        pairs, views, minimum, invariant=invariant, threshold=-1 if aligned else None, crop=aligned
    )
    out = np.zeros((len(views), len(views)), dtype=bool)
    if kept:
        a, b = np.array(list(kept), dtype=np.int64).T
        out[a, b] = out[b, a] = True
    return out


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
    confirm = confirmed(d_trim, views, config.verify_min)
    confirm_crop = confirmed(d_crop, views, config.verify_min)
    confirm_inv = confirmed(d_both, views, config.verify_min, _ALL_FLIPS)
    wide_crop = confirmed(d_crop, views, aligned=True)
    wide_both = confirmed(d_both, views, aligned=True)
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
    upper = np.triu_indices(truth.n, k=1)
    results = [evaluate_method(m, truth, kinds, upper=upper) for m in build_methods(items, config)]
    baselines = []
    dd = hamming_matrix([i.imagededup for i in items], 1)
    li, ri = np.nonzero(np.triu(dd <= 10, k=1))
    overall, per = score_pairs(truth, li.astype(np.int64), ri.astype(np.int64), kinds)
    baselines.append(("imagededup", {"hash": "imagededup PHash", "threshold": 10}, overall, per))
    if "phash" in config.algorithms and 8 in config.sizes:
        kd = kdtree_pairs([i.plain["phash-8"] for i in items])
        overall, per = score_pairs(truth, kd[:, 0], kd[:, 1], kinds)
        baselines.append(
            ("kdtree-hex-manhattan", {"hash": "phash-8", "k": 5, "threshold": 25}, overall, per)
        )
    counts = {
        "originals": int(((truth.kind == ORIGINAL) & (truth.source == PHOTOS)).sum()),
        "stress_originals": int(((truth.kind == ORIGINAL) & (truth.source == STRESS)).sum()),
        "distractors": int((truth.source == DISTRACTORS).sum()),
        "images": truth.n,
        "true_pairs": truth.true_pairs(),
    }
    return Evaluation(config, truth, results, baselines, counts, time.perf_counter() - started)
