"""Perceptual hashes as unsigned integers and ``uint64`` arrays (numpy only).

Representation (documented in ``docs/usage.md``):

* one hash is a Python ``int`` of ``bits = hash_size**2`` bits; bit ``bits-1`` (the most
  significant) is the first element of ImageHash's flattened boolean array, so the hex form
  is that of ``str(imagehash.phash(img))``;
* many hashes are a C-contiguous ``numpy`` array of shape ``(n, words)`` and dtype
  ``uint64`` with ``words = bits // 64``; word 0 holds the most significant 64 bits.
  A 64-bit hash is one word, a 256-bit hash (``hash_size=16``) four.

Hamming distance (XOR + popcount) is the metric everywhere. This module imports numpy and
nothing else of neardup, so the index backends and their contract tests stay light.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

HashArray = NDArray[np.uint64]


def bits_to_int(bits: NDArray[np.bool_]) -> int:
    """Pack a boolean bit array (first element most significant) into an ``int``.

    >>> bits_to_int(np.array([True, False, True]))
    5
    """
    flat = np.asarray(bits, dtype=bool).ravel()
    packed = np.packbits(flat)
    value = int.from_bytes(packed.tobytes(), "big")
    return value >> (packed.size * 8 - flat.size)


def to_array(values: Sequence[int] | Iterable[int], words: int) -> HashArray:
    """Pack integer hashes into an ``(n, words)`` ``uint64`` array (word 0 most significant).

    >>> to_array([1, 2**64 + 3], 2).tolist()
    [[0, 1], [1, 3]]
    """
    vals = list(values)
    out = np.empty((len(vals), words), dtype=np.uint64)
    mask = (1 << 64) - 1
    for w in range(words):
        shift = 64 * (words - 1 - w)
        out[:, w] = [(v >> shift) & mask for v in vals]
    return out


def from_array(array: HashArray) -> list[int]:
    """Inverse of :func:`to_array`.

    >>> from_array(to_array([5, 2**70], 2))
    [5, 1180591620717411303424]
    """
    arr = np.asarray(array, dtype=np.uint64)
    result = [0] * arr.shape[0]
    for w in range(arr.shape[1]):
        col = arr[:, w].tolist()
        result = [(r << 64) | c for r, c in zip(result, col, strict=True)]
    return result


def hamming(a: int, b: int) -> int:
    """Hamming distance of two integer hashes.

    >>> hamming(0b1011, 0b0001)
    2
    """
    return (a ^ b).bit_count()


def distances_to(array: HashArray, h: HashArray) -> NDArray[np.int64]:
    """Hamming distances from every row of ``array`` to one hash row ``h`` (shape ``(words,)``)."""
    arr = np.asarray(array, dtype=np.uint64)
    row = np.asarray(h, dtype=np.uint64).reshape(1, -1)
    out: NDArray[np.int64] = np.bitwise_count(arr ^ row).sum(axis=1, dtype=np.int64)
    return out


def as_hash_array(hashes: HashArray | Sequence[int], words: int | None = None) -> HashArray:
    """Accept an ``(n, words)`` or ``(n,)`` ``uint64`` array or a list of ints; return 2-D."""
    if isinstance(hashes, np.ndarray):
        arr = np.ascontiguousarray(hashes, dtype=np.uint64)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2:
            raise ValueError(f"hash array must be 2-D (n, words), got shape {arr.shape}")
        return arr
    vals = list(hashes)
    if words is None:
        top = max((v.bit_length() for v in vals), default=64)
        words = max(1, -(-top // 64))
    return to_array(vals, words)
