"""The fast hashing path: hash a small thumbnail instead of the full image.

ImageHash decodes the whole image and then shrinks it to a few dozen pixels; the decode is
nearly all of the cost. Here :func:`neardup.hashing.decode.open_thumbnail` decodes JPEGs at reduced
scale and box-reduces every image before the final Lanczos resize, and the hash itself is
computed with numpy on the thumbnail. The hashes agree with ImageHash's to within a bit or
two on almost every image (``docs/hashing.md`` has the measured distribution); use the
compat mode of :func:`neardup.hashing.core.hash_file` when they must be identical.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

#: The largest side whash works on in the fast path. ImageHash uses the largest power of two
#: not above the image's short side (up to 4096 on a 12 MP photo); its wavelet low band at
#: ``hash_size`` is a block mean, so a 256 px input gives practically the same bits.
WHASH_MAX_SCALE: Final = 256

#: phash works on a ``4 * hash_size`` square, as ImageHash's ``highfreq_factor=4``.
PHASH_FACTOR: Final = 4


def input_size(algorithm: str, hash_size: int, width: int, height: int) -> tuple[int, int]:
    """The ``(width, height)`` thumbnail an algorithm hashes, for an upright source size.

    >>> input_size("phash", 8, 4000, 3000), input_size("dhash", 8, 4000, 3000)
    ((32, 32), (9, 8))
    >>> input_size("whash", 8, 4000, 3000), input_size("whash", 8, 300, 200)
    ((256, 256), (128, 128))
    """
    if algorithm == "phash":
        side = hash_size * PHASH_FACTOR
        return side, side
    if algorithm == "dhash":
        return hash_size + 1, hash_size
    if algorithm == "ahash":
        return hash_size, hash_size
    if algorithm == "whash":
        short = max(1, min(width, height))
        natural = 2 ** int(np.log2(short))
        side = max(min(natural, WHASH_MAX_SCALE), hash_size)
        return side, side
    raise ValueError(f"unknown hash algorithm {algorithm!r}")


@functools.cache
def _dct_rows(n: int, rows: int) -> NDArray[np.float64]:
    """First ``rows`` rows of the unnormalised DCT-II matrix of size ``n`` (scipy's default)."""
    k = np.arange(rows, dtype=np.float64)[:, None]
    i = np.arange(n, dtype=np.float64)[None, :]
    out: NDArray[np.float64] = 2.0 * np.cos(np.pi * k * (2.0 * i + 1.0) / (2.0 * n))
    return out


def median(values: NDArray[Any], axis: int | None = None) -> NDArray[Any]:
    """``np.median(values, axis, keepdims=True)`` of finite values, without its NaN check
    (which imports ``numpy.ma``: tens of milliseconds of every process's start-up).

    >>> median(np.array([[3.0, 1.0, 2.0, 8.0]]), axis=1).tolist()
    [[2.5]]
    """
    if axis is None:
        values, axis = values.reshape(1, -1), 1
    n = values.shape[axis]
    k = n // 2
    kth = [k] if n % 2 else [k - 1, k]
    middle = np.take(np.partition(values, kth, axis=axis), kth, axis=axis)
    out: NDArray[Any] = middle.mean(axis=axis, keepdims=True)
    return out


def phash_bits(pixels: NDArray[np.uint8], hash_size: int) -> NDArray[np.bool_]:
    """pHash bits of a ``4*hash_size`` square grey thumbnail: low DCT band above its median."""
    d = _dct_rows(pixels.shape[0], hash_size)
    # Rounding drops floating-point noise, so a uniform image gets one defined hash.
    low = np.round(d @ pixels.astype(np.float64) @ d.T, 6)
    out: NDArray[np.bool_] = low > median(low)[0, 0]
    return out


def dhash_bits(pixels: NDArray[np.uint8], hash_size: int) -> NDArray[np.bool_]:
    """dHash bits of a ``(hash_size, hash_size+1)`` thumbnail: each pixel brighter than its left."""
    out: NDArray[np.bool_] = pixels[:, 1:] > pixels[:, :-1]
    return out


def ahash_bits(pixels: NDArray[np.uint8], hash_size: int) -> NDArray[np.bool_]:
    """aHash bits of a ``hash_size`` square thumbnail: pixels above the mean."""
    out: NDArray[np.bool_] = pixels > pixels.mean()
    return out


def whash_bits(pixels: NDArray[np.uint8], hash_size: int) -> NDArray[np.bool_]:
    """wHash (Haar, ImageHash's defaults) of a power-of-two square thumbnail."""
    import imagehash

    bits: NDArray[np.bool_] = imagehash.whash(
        Image.fromarray(pixels, "L"), hash_size=hash_size, image_scale=pixels.shape[0]
    ).hash
    return bits


BitsFunction = Callable[[NDArray[np.uint8], int], NDArray[np.bool_]]

BITS: Final[dict[str, BitsFunction]] = {
    "phash": phash_bits,
    "dhash": dhash_bits,
    "ahash": ahash_bits,
    "whash": whash_bits,
}
