"""How multi-index hashing splits a hash: chunk widths and per-chunk probe radii.

The generalised pigeonhole principle makes the search exact: split a ``bits``-wide hash
into ``m`` disjoint chunks and give chunk ``i`` a threshold ``t_i`` with
``sum(t_i) >= r - m + 1``. If two hashes are within Hamming distance ``r``, some chunk
differs in at most ``t_i`` bits (otherwise the distance would be at least
``sum(t_i + 1) > r``). With equal thresholds ``f`` this is the familiar ``m·(f + 1) > r``.

A chunk with threshold ``t`` costs, for ``n`` distinct hashes, about ``n·V(w, t)/2`` bucket
probes (``V`` is the Hamming-ball volume; each unordered pair is probed from one side
only) and ``n²/2 · V(w, t) / 2^w`` candidate verifications on random data. Small ``m``
means few candidates but many probes, large ``m`` the opposite; :func:`choose_plan` picks
the cheapest ``m`` by that model (constants measured on a 2-core laptop).
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from neardup.bits import HashArray

Int64Array = NDArray[np.int64]
U64Array = NDArray[np.uint64]

#: Widest chunk (bits). Chunk values live in one ``uint64``.
MAX_CHUNK_BITS = 63
#: Chunks up to this many bits use a directly addressed bucket table (``2^w + 1`` offsets).
MAX_TABLE_BITS = 24
#: Largest number of flip patterns per chunk the planner will consider.
MAX_PATTERNS = 1 << 20


@dataclass(frozen=True, slots=True)
class Costs:
    """Measured costs of one kernel, in seconds per operation, single thread.

    ``probe``: a bucket lookup in the direct table (a random memory access); ``search``: a
    lookup by binary search; ``candidate``: verifying one candidate (XOR + popcount over a
    bucket's contiguous hashes); ``sort``: sorting one item by one chunk; ``startup``:
    fixed cost of the kernel (importing and loading compiled code).
    """

    probe: float
    search: float
    candidate: float
    sort: float
    startup: float = 0.0


#: Measured on a 2-core x86-64 laptop with random 64-bit hashes (see docs/performance.md).
COSTS = {
    "numba": Costs(probe=10e-9, search=48e-9, candidate=0.75e-9, sort=75e-9, startup=2.0),
    "numpy": Costs(probe=26e-9, search=100e-9, candidate=17e-9, sort=150e-9),
}


@dataclass(frozen=True, slots=True)
class Plan:
    """Chunk layout: bit offsets (0 = most significant), widths and thresholds."""

    starts: tuple[int, ...]
    widths: tuple[int, ...]
    thresholds: tuple[int, ...]

    @property
    def m(self) -> int:
        return len(self.widths)

    def __str__(self) -> str:
        parts = [f"{w}b/t{t}" for w, t in zip(self.widths, self.thresholds, strict=True)]
        return f"{self.m} chunks [{', '.join(parts)}]"


def ball_volume(width: int, radius: int) -> int:
    """Number of ``width``-bit values within ``radius`` of a given one.

    >>> ball_volume(16, 2)
    137
    """
    return sum(math.comb(width, k) for k in range(max(-1, radius) + 1))


def uses_table(width: int, n: int) -> bool:
    """Whether a chunk of ``width`` bits gets a direct table for ``n`` items."""
    return width <= MAX_TABLE_BITS and (1 << width) <= max(1 << 16, 8 * n)


def layout(bits: int, m: int, radius: int) -> Plan:
    """Equal-width chunks; thresholds summing to ``radius - m + 1``, larger on wider chunks.

    >>> layout(64, 3, 10)
    Plan(starts=(0, 22, 43), widths=(22, 21, 21), thresholds=(3, 3, 2))
    """
    base, extra = divmod(bits, m)
    widths = tuple(base + (1 if i < extra else 0) for i in range(m))
    starts = tuple(int(s) for s in np.cumsum((0, *widths[:-1])))
    total = radius - m + 1
    tbase, textra = divmod(total, m)
    thresholds = tuple(max(-1, tbase + (1 if i < textra else 0)) for i in range(m))
    return Plan(starts, widths, thresholds)


def plan_cost(plan: Plan, n: int, kernel: str = "numba") -> float:
    """Modelled single-thread seconds of an all-pairs join over ``n`` random distinct hashes."""
    c = COSTS[kernel]
    cost = c.startup
    for w, t in zip(plan.widths, plan.thresholds, strict=True):
        if t < 0:
            continue
        vol = ball_volume(w, t)
        if vol > MAX_PATTERNS:
            return math.inf
        probe = c.probe if uses_table(w, n) else c.search
        cost += probe * n * (vol - 1) / 2
        cost += c.candidate * (n * n / 2) * vol / 2.0**w
        cost += c.sort * n
    return cost


def choose_plan(n: int, bits: int, radius: int, chunks: int = 0, kernel: str = "numba") -> Plan:
    """The cheapest exact layout for ``n`` distinct ``bits``-wide hashes at ``radius``.

    ``chunks`` forces the number of chunks (0 lets the cost model choose).

    >>> str(choose_plan(1_000_000, 64, 10))
    '4 chunks [16b/t2, 16b/t2, 16b/t2, 16b/t1]'
    """
    m_min = max(1, -(-bits // MAX_CHUNK_BITS))
    if chunks:
        return layout(bits, max(m_min, min(chunks, bits)), radius)
    top = max(m_min, min(bits, radius + 1))
    options = [layout(bits, m, radius) for m in range(m_min, top + 1)]
    return min(options, key=lambda p: (plan_cost(p, max(n, 2), kernel), p.m))


def choose_kernel(n: int, bits: int, radius: int, workers: int, chunks: int = 0) -> str:
    """``numba`` when its start-up cost is repaid (large ``n``), else ``numpy``."""
    fast = plan_cost(choose_plan(n, bits, radius, chunks, "numba"), n, "numba")
    slow = plan_cost(choose_plan(n, bits, radius, chunks, "numpy"), n, "numpy")
    startup = COSTS["numba"].startup
    return "numba" if startup + (fast - startup) / workers < slow / workers else "numpy"


def flip_patterns(width: int, radius: int) -> NDArray[np.uint64]:
    """Every non-zero ``width``-bit mask with at most ``radius`` bits set, by weight.

    >>> flip_patterns(3, 2).tolist()
    [1, 2, 4, 3, 5, 6]
    """
    masks: list[int] = []
    for k in range(1, min(radius, width) + 1):
        for combo in itertools.combinations(range(width), k):
            masks.append(sum(1 << b for b in combo))
    return np.asarray(masks, dtype=np.uint64)


def high_bits(patterns: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The highest set bit of each pattern (0 for 0)."""
    out = np.zeros_like(patterns)
    nz = patterns != 0
    exp = np.floor(np.log2(patterns[nz].astype(np.float64))).astype(np.uint64)
    # float rounding can overshoot for values just below a power of two; correct it
    hb = np.left_shift(np.uint64(1), exp)
    over = hb > patterns[nz]
    hb[over] >>= np.uint64(1)
    out[nz] = hb
    return out


def extract_chunk(hashes: NDArray[np.uint64], start: int, width: int) -> NDArray[np.uint64]:
    """Bits ``start .. start+width-1`` (0 = most significant bit of word 0) as integers."""
    end = start + width
    first, last = start // 64, (end - 1) // 64
    mask = np.uint64((1 << width) - 1)
    if first == last:
        shift = np.uint64(64 * (first + 1) - end)
        out: NDArray[np.uint64] = (hashes[:, first] >> shift) & mask
        return out
    low_bits = end - 64 * last  # bits taken from the top of word `last`
    high = hashes[:, first] << np.uint64(low_bits)
    low = hashes[:, last] >> np.uint64(64 - low_bits)
    out = (high | low) & mask
    return out


@dataclass(slots=True)
class ChunkTable:
    """One chunk: items sorted by chunk value, and where each value's bucket starts."""

    index: int
    threshold: int
    order: Int64Array  # distinct items sorted by chunk value
    values: Int64Array  # chunk value of ``order[k]`` (chunks are at most 63 bits)
    table: Int64Array | None  # bucket offsets by value (length 2^w + 1), or None: search
    patterns: Int64Array  # flip masks with 1..threshold bits, grouped by highest bit
    highbits: Int64Array  # highest set bit of each pattern
    hashes: HashArray  # the distinct hashes in ``order``: a bucket is contiguous in memory

    def bucket(self, q: Int64Array) -> tuple[Int64Array, Int64Array]:
        """Start and stop positions (in ``order``) of the buckets holding values ``q``."""
        if self.table is not None:
            return self.table[q], self.table[q + 1]
        lo = np.searchsorted(self.values, q, side="left").astype(np.int64)
        hi = np.searchsorted(self.values, q, side="right").astype(np.int64)
        return lo, hi

    def pattern_groups(self) -> Iterator[tuple[int, Int64Array]]:
        """``(highest bit, patterns)`` groups: one item selection serves a whole group."""
        if not self.patterns.size:
            return
        cut = np.flatnonzero(np.diff(self.highbits)) + 1
        for part in np.split(np.arange(self.patterns.size), cut):
            yield int(self.highbits[part[0]]), self.patterns[part]


@dataclass(frozen=True, slots=True)
class ScanJob:
    """One task for a kernel: sorted items ``lo .. hi-1`` of one chunk, all their probes."""

    table: ChunkTable
    chunks: U64Array  # (m, k) chunk values of every distinct hash (earlier-chunk filter)
    thresholds: Int64Array  # per chunk
    radius: int
    lo: int
    hi: int
    block_pairs: int


T = TypeVar("T")


class Once(Generic[T]):
    """A value computed by the first caller of :meth:`get` (thread-safe), then shared."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make: Callable[[], T] | None = make
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._make is not None:
                self._value, self._make = self._make(), None
            assert self._value is not None
            return self._value
