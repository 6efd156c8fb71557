"""Scoring an evaluation: distance matrices over every pair of items, and precision and
recall against the ground truth (group co-membership for neardup, reported pairs for the
baselines)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from neardup.bits import to_array
from neardup.hashing.views import Views

#: Set names.
PHOTOS, STRESS, DISTRACTORS = "photos", "stress", "distractors"
#: Kind of an original image (variants carry their transform's name).
ORIGINAL: Final = "original"


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
    #: ``photos``, ``distractors`` or the stress family (``night``, ``frame-viewer``...).
    family: str = ""
    #: 0: the tuning half, 1: the held-out half.
    half: int = 0


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


@dataclass(slots=True)
class Score:
    precision: float
    recall: float
    f1: float
    pairs: int = 0
    wrong_pairs: int = 0
    #: Recall on variants of the given photos only (stress images left out).
    recall_photos: float | None = None
    #: Wrong pairs by family class (``frame``, ``template``, ``flat``, ``photos``...) and by
    #: family (``frame-viewer``...): a pair counts for each of its two images' families
    #: (once when both are of the same family).
    wrong_by_class: dict[str, int] | None = None
    wrong_by_family: dict[str, int] | None = None

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
        if self.wrong_by_class is not None:
            doc["wrong_pairs_by_class"] = self.wrong_by_class
        if self.wrong_by_family is not None:
            doc["wrong_pairs_by_family"] = self.wrong_by_family
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
    #: Each item's family (``photos``, ``night``, ``frame-viewer``...), when known.
    family: NDArray[np.str_] | None = None
    #: Each item's half (0 tuning, 1 held-out), when known.
    half: NDArray[np.int64] | None = None

    @classmethod
    def of(cls, items: Sequence[ItemFeatures]) -> Truth:
        identity = np.array([i.identity for i in items], dtype=np.int64)
        kind = np.array([i.kind for i in items])
        source = np.array([i.source for i in items])
        orig = {i.identity: r for r, i in enumerate(items) if i.kind == ORIGINAL}
        original_row = np.array([orig.get(i.identity, -1) for i in items], dtype=np.int64)
        family = np.array([i.family or i.source for i in items])
        half = np.array([i.half for i in items], dtype=np.int64)
        return cls(identity, kind, source, original_row, family, half)

    def subset(self, rows: NDArray[np.int64]) -> Truth:
        """The truth of ``rows`` alone (every identity wholly in or out of ``rows``)."""
        where = np.full(self.n, -1, dtype=np.int64)
        where[rows] = np.arange(rows.size)
        orig = self.original_row[rows]
        return Truth(
            self.identity[rows],
            self.kind[rows],
            self.source[rows],
            np.where(orig >= 0, where[np.maximum(orig, 0)], -1),
            None if self.family is None else self.family[rows],
            None if self.half is None else self.half[rows],
        )

    @property
    def n(self) -> int:
        return int(self.identity.size)

    def true_pairs(self) -> int:
        _, counts = np.unique(self.identity, return_counts=True)
        return int((counts * (counts - 1) // 2).sum())


def family_class(family: str) -> str:
    """``frame`` for ``frame-viewer``, ``template`` for ``template-cards-a``, and so on."""
    return family.split("-", 1)[0]


def wrong_pairs_by_family(
    truth: Truth, groups: Sequence[NDArray[np.int64]]
) -> tuple[dict[str, int], dict[str, int]]:
    """Wrong co-membership pairs by family class and by family: a pair counts for each of
    its two images' families (once when both are of the same one). Only non-zero counts."""
    if truth.family is None:
        return {}, {}
    left: list[NDArray[np.str_]] = []
    right: list[NDArray[np.str_]] = []
    for members in groups:
        if members.size < 2:
            continue
        ids = truth.identity[members]
        if ids.min() == ids.max():
            continue
        a, b = np.triu_indices(members.size, k=1)
        wrong = ids[a] != ids[b]
        fam = truth.family[members]
        left.append(fam[a[wrong]])
        right.append(fam[b[wrong]])
    if not left:
        return {}, {}
    fl, fr = np.concatenate(left), np.concatenate(right)
    by_family: dict[str, int] = {}
    by_class: dict[str, int] = {}
    pairs, counts = np.unique(np.stack([fl, fr]), axis=1, return_counts=True)
    for (x, y), c in zip(pairs.T.tolist(), counts.tolist(), strict=True):
        for key in {x, y}:
            by_family[key] = by_family.get(key, 0) + c
        for key in {family_class(x), family_class(y)}:
            by_class[key] = by_class.get(key, 0) + c
    return dict(sorted(by_class.items())), dict(sorted(by_family.items()))


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
    if truth.family is not None:
        overall.wrong_by_class, overall.wrong_by_family = (
            wrong_pairs_by_family(truth, groups) if total > tp else ({}, {})
        )
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
