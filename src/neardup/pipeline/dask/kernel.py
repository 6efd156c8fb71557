"""The per-partition step of the distributed multi-index join (pure numpy, no Dask).

Every hash is split into ``m`` chunks of ``b`` bits. By the pigeonhole principle, two
hashes within Hamming distance ``r`` agree to within ``f`` bits on at least one chunk
whenever ``m * (f + 1) > r``. The join therefore emits, for every hash and chunk, one row
keyed by the chunk value. Rows are shuffled into partitions by ``(chunk, top t bits of the
value)``; a row is also *replicated* to each partition whose top bits are within ``f``
flips of its own, so that every probe of a native row (its chunk value with up to ``f``
bits flipped) finds its targets in the same partition. Candidates are verified with the
full Hamming distance, so the result has no false positives and, by the argument above,
no misses.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import ceil

import numpy as np
import pandas as pd
from numpy.typing import NDArray

#: At most this many top bits of a chunk choose its partition.
MAX_TOP_BITS = 12


@dataclass(frozen=True, slots=True)
class JoinPlan:
    """Chunking of a ``bits``-bit hash for an exact join at ``radius``."""

    bits: int
    radius: int
    chunks: int  # m
    flips: int  # f
    top_bits: int  # t: bits of the chunk value that choose the partition

    @property
    def chunk_bits(self) -> list[int]:
        base, extra = divmod(self.bits, self.chunks)
        return [base + (1 if c < extra else 0) for c in range(self.chunks)]

    @property
    def replicas(self) -> int:
        """Rows emitted per (hash, chunk): the native row plus its replicas."""
        t = self.top_bits
        return sum(len(list(combinations(range(t), k))) for k in range(min(self.flips, t) + 1))

    @property
    def partitions(self) -> int:
        return self.chunks << self.top_bits


def plan_join(
    bits: int, radius: int, n: int, *, target_rows: int = 2_000_000, min_partitions: int = 4
) -> JoinPlan:
    """Choose chunks ``m`` (about 16 bits each), flips ``f`` and partition bits ``t``.

    >>> p = plan_join(64, 10, 1_000_000)
    >>> (p.chunks, p.flips, p.chunks * (p.flips + 1) > 10)
    (4, 2, True)
    """
    m = max(1, ceil(bits / 16))
    m = min(m, bits)
    f = max(0, ceil((radius + 1) / m) - 1)
    smallest = min(bits // m, MAX_TOP_BITS)
    t = 0
    while t < smallest:
        plan = JoinPlan(bits, radius, m, f, t)
        if (
            n * plan.replicas * m / plan.partitions <= target_rows
            and plan.partitions >= min_partitions
        ):
            break
        t += 1
    return JoinPlan(bits, radius, m, f, t)


def _chunk_values(hashes: NDArray[np.uint64], start: int, width: int) -> NDArray[np.uint64]:
    """Bits ``[start, start+width)`` (0 = most significant) of each ``(n, words)`` row."""
    out = np.zeros(hashes.shape[0], dtype=np.uint64)
    for k in range(width):
        bit = start + k
        word, offset = divmod(bit, 64)
        shift = np.uint64(63 - offset)
        out = (out << np.uint64(1)) | ((hashes[:, word] >> shift) & np.uint64(1))
    return out


def _masks(width: int, flips: int) -> NDArray[np.uint64]:
    """All ``width``-bit masks with at most ``flips`` bits set, 0 first."""
    masks = [0]
    for k in range(1, flips + 1):
        for combo in combinations(range(width), k):
            v = 0
            for b in combo:
                v |= 1 << b
            masks.append(v)
    return np.asarray(masks, dtype=np.uint64)


def emit_rows(part: pd.DataFrame, plan: JoinPlan, words: int) -> pd.DataFrame:
    """Rows ``(pkey, native, cval, id, h0..)`` for one input partition ``(id, h0..)``."""
    hcols = [f"h{w}" for w in range(words)]
    hashes = np.ascontiguousarray(part[hcols].to_numpy(dtype=np.uint64))
    ids = part["id"].to_numpy(dtype=np.int64)
    frames = []
    start = 0
    for c, width in enumerate(plan.chunk_bits):
        cval = _chunk_values(hashes, start, width)
        start += width
        t = min(plan.top_bits, width)
        top = (cval >> np.uint64(width - t)).astype(np.int64) if t else np.zeros_like(ids)
        for mask in _masks(t, plan.flips).tolist():
            dest = top ^ mask
            frame = {
                "pkey": (c << plan.top_bits) + dest,
                "native": np.full(ids.shape[0], mask == 0),
                "cval": cval,
                "id": ids,
            }
            frame.update({col: hashes[:, w] for w, col in enumerate(hcols)})
            frames.append(pd.DataFrame(frame))
    if not frames:
        return empty_rows(words)
    return pd.concat(frames, ignore_index=True)


def empty_rows(words: int) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {
        "pkey": pd.Series(dtype=np.int64),
        "native": pd.Series(dtype=bool),
        "cval": pd.Series(dtype=np.uint64),
        "id": pd.Series(dtype=np.int64),
    }
    cols.update({f"h{w}": pd.Series(dtype=np.uint64) for w in range(words)})
    return pd.DataFrame(cols)


def empty_pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "left": pd.Series(dtype=np.int64),
            "right": pd.Series(dtype=np.int64),
            "distance": pd.Series(dtype=np.int64),
        }
    )


def partition_pairs(
    part: pd.DataFrame, plan: JoinPlan, words: int, *, block: int = 4_000_000
) -> pd.DataFrame:
    """Verified pairs ``(left < right, distance <= radius)`` found in one shuffled partition."""
    if part.empty:
        return empty_pairs()
    width = max(plan.chunk_bits)
    pkey = part["pkey"].to_numpy(dtype=np.int64)
    cval = part["cval"].to_numpy(dtype=np.uint64)
    native = part["native"].to_numpy(dtype=bool)
    ids = part["id"].to_numpy(dtype=np.int64)
    hashes = np.ascontiguousarray(part[[f"h{w}" for w in range(words)]].to_numpy(dtype=np.uint64))

    # one sortable key per row: (partition key, chunk value)
    _, pk_local = np.unique(pkey, return_inverse=True)
    key = (pk_local.astype(np.uint64) << np.uint64(width)) | cval
    order = np.argsort(key, kind="stable")
    lookup = _BucketLookup(key[order], int(pk_local.max(initial=0)) + 1, width)

    queries = np.flatnonzero(native)
    qkeys = key[queries]
    lefts: list[NDArray[np.int64]] = []
    rights: list[NDArray[np.int64]] = []
    dists: list[NDArray[np.int64]] = []
    for mask in _masks(width, plan.flips):
        hit, starts, lens = lookup.find(qkeys ^ mask)
        _expand_verify(
            queries[hit], starts, lens, order, ids, hashes, plan.radius, block, lefts, rights, dists
        )
    if not lefts:
        return empty_pairs()
    out = pd.DataFrame(
        {
            "left": np.concatenate(lefts),
            "right": np.concatenate(rights),
            "distance": np.concatenate(dists),
        }
    )
    return out.drop_duplicates(["left", "right"], ignore_index=True)


class _BucketLookup:
    """Where each key's rows start in the sorted order, and how many there are.

    A dense table when the key space is small (the usual 16-bit chunks), else binary search.
    """

    DENSE_LIMIT = 1 << 24

    def __init__(self, sorted_keys: NDArray[np.uint64], groups: int, width: int) -> None:
        self.uniq, self.first, self.counts = np.unique(
            sorted_keys, return_index=True, return_counts=True
        )
        self.size = groups << width
        self.dense = self.size <= self.DENSE_LIMIT
        if self.dense:
            self.start_tab = np.zeros(self.size, dtype=np.int64)
            self.count_tab = np.zeros(self.size, dtype=np.int64)
            idx = self.uniq.astype(np.int64)
            self.start_tab[idx] = self.first
            self.count_tab[idx] = self.counts

    def find(
        self, targets: NDArray[np.uint64]
    ) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64]]:
        """For each target: found?, and for the found ones their start and count."""
        if self.dense:
            t = targets.astype(np.int64)
            inside = t < self.size
            t = np.where(inside, t, 0)
            counts = np.where(inside, self.count_tab[t], 0)
            hit = counts > 0
            return hit, self.start_tab[t[hit]], counts[hit]
        pos = np.minimum(np.searchsorted(self.uniq, targets), self.uniq.size - 1)
        hit = self.uniq[pos] == targets
        return hit, self.first[pos[hit]], self.counts[pos[hit]]


def _expand_verify(
    q: NDArray[np.int64],
    starts: NDArray[np.int64],
    lens: NDArray[np.int64],
    order: NDArray[np.int64],
    ids: NDArray[np.int64],
    hashes: NDArray[np.uint64],
    radius: int,
    block: int,
    lefts: list[NDArray[np.int64]],
    rights: list[NDArray[np.int64]],
    dists: list[NDArray[np.int64]],
) -> None:
    """Expand (query, bucket range) into candidate rows in memory-bounded blocks and verify."""
    if q.size == 0:
        return
    cum = np.cumsum(lens)
    lo = 0
    while lo < q.size:
        base = cum[lo - 1] if lo else 0
        hi = int(np.searchsorted(cum, base + block, side="right"))
        hi = max(hi, lo + 1)
        qs, ss, ls = q[lo:hi], starts[lo:hi], lens[lo:hi]
        total = int(ls.sum())
        rep_q = np.repeat(qs, ls)
        offs = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(ls) - ls, ls)
        cand = order[np.repeat(ss, ls) + offs]
        a, b = ids[rep_q], ids[cand]
        keep = a != b
        rep_q, cand, a, b = rep_q[keep], cand[keep], a[keep], b[keep]
        d = np.zeros(a.size, dtype=np.int64)
        for w in range(hashes.shape[1]):
            d += np.bitwise_count(hashes[rep_q, w] ^ hashes[cand, w])
        ok = d <= radius
        a, b, d = a[ok], b[ok], d[ok]
        lefts.append(np.minimum(a, b))
        rights.append(np.maximum(a, b))
        dists.append(d)
        lo = hi
