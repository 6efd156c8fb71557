"""Compiled kernel of the ``mih`` backend (numba; ``pip install neardup[fast]``).

Imported only when the kernel is used. It does exactly what the numpy path in
:mod:`neardup.index.mih` does, item by item instead of array by array, without the GIL, so
threads run it on every core. The tests check both paths report identical pairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numba as nb
import numpy as np

from neardup.index.base import PairBlock

if TYPE_CHECKING:
    from neardup.index.mih_plan import ScanJob

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@nb.njit(inline="always")
def _popcount(x: Any) -> Any:
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return np.int64((x * _H01) >> np.uint64(56))


@nb.njit(nogil=True, cache=True)
def _scan(
    order: Any,
    values: Any,
    sorted_hashes: Any,
    table: Any,
    use_table: bool,
    patterns: Any,
    highbits: Any,
    chunks: Any,
    thresholds: Any,
    chunk: int,
    r: int,
    hi: int,
    state: Any,
    out_left: Any,
    out_right: Any,
    out_dist: Any,
) -> int:
    """Scan sorted items ``state[1] .. hi`` for patterns ``state[0] ..``; resumable.

    ``state`` is ``(pattern, item, bucket position)``; pattern 0 is "same bucket". Returns
    the number of pairs written; ``state[0] > len(patterns)`` once finished.
    """
    cap = out_left.shape[0]
    words = sorted_hashes.shape[1]
    npat = patterns.shape[0]
    lo = state[3]
    p, k, pos = state[0], state[1], state[2]
    n = 0
    while p <= npat:
        while k < hi:
            x = values[k]
            if p == 0:
                start = k + 1
                stop = table[x + 1] if use_table else np.searchsorted(values, x, side="right")
            else:
                if (x & highbits[p - 1]) != 0:
                    k += 1
                    continue
                q = x ^ patterns[p - 1]
                if use_table:
                    start = table[q]
                    stop = table[q + 1]
                else:
                    start = np.searchsorted(values, q, side="left")
                    stop = np.searchsorted(values, q, side="right")
            if pos < start:
                pos = start
            while pos < stop:
                if n == cap:
                    state[0], state[1], state[2] = p, k, pos
                    return n
                # the bucket's hashes are contiguous: a streaming XOR + popcount
                d = 0
                for w in range(words):
                    d += _popcount(sorted_hashes[k, w] ^ sorted_hashes[pos, w])
                    if d > r:
                        break
                pos += 1
                if d > r:
                    continue
                xi = order[k]
                yi = order[pos - 1]
                earlier = False
                for j in range(chunk):
                    if thresholds[j] >= 0 and (
                        _popcount(chunks[j, xi] ^ chunks[j, yi]) <= thresholds[j]
                    ):
                        earlier = True
                        break
                if earlier:
                    continue
                out_left[n] = xi
                out_right[n] = yi
                out_dist[n] = d
                n += 1
            pos = 0
            k += 1
        p += 1
        k = lo
    state[0] = npat + 1
    return n


def scan_chunk(job: ScanJob) -> Iterator[PairBlock]:
    """Pairs found by one job, in blocks of at most ``job.block_pairs``."""
    table, lo = job.table, job.lo
    npat = table.patterns.shape[0]
    use_table = table.table is not None
    lookup = table.table if table.table is not None else np.zeros(1, dtype=np.int64)
    state = np.array([0, lo, 0, lo], dtype=np.int64)
    cap = max(1, job.block_pairs)
    left = np.empty(cap, dtype=np.int64)
    right = np.empty(cap, dtype=np.int64)
    dist = np.empty(cap, dtype=np.int64)
    while state[0] <= npat:
        n = _scan(
            table.order,
            table.values,
            table.hashes,
            lookup,
            use_table,
            table.patterns,
            table.highbits,
            job.chunks,
            job.thresholds,
            table.index,
            job.radius,
            job.hi,
            state,
            left,
            right,
            dist,
        )
        if n:
            a, b = left[:n], right[:n]
            yield PairBlock(np.minimum(a, b), np.maximum(a, b), dist[:n].copy())
