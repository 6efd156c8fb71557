"""Hashing one already opened image: ImageHash itself (compat mode) or the fast numpy path
on a small thumbnail (:mod:`neardup.hashing.fast`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import imagehash
import numpy as np
from PIL import Image

from neardup.bits import bits_to_int
from neardup.hashing import fast
from neardup.hashing.decode import shrink
from neardup.model import HashSpec

#: ImageHash's function for each algorithm name (the compat path).
IMAGEHASH_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "phash": imagehash.phash,
    "dhash": imagehash.dhash,
    "ahash": imagehash.average_hash,
    "whash": imagehash.whash,
}


def hash_image(image: Image.Image, spec: HashSpec = HashSpec(), *, compat: bool = False) -> int:
    """Hash an already opened image.

    Args:
        image: any Pillow image; it is hashed as it is (no EXIF orientation is applied).
        spec: algorithm and hash size.
        compat: compute the hash with ImageHash itself, bit for bit. The default fast path
            reduces the image before the final resize and agrees with ImageHash to within a
            bit or two (``docs/hashing.md``).
    """
    if compat or spec.compat:
        result = IMAGEHASH_FUNCTIONS[spec.algorithm](image, hash_size=spec.size)
        return bits_to_int(result.hash)
    size = fast.input_size(spec.algorithm, spec.size, image.width, image.height)
    image.load()
    return thumbnail_hash(shrink(image, size), spec)


def thumbnail_hash(thumbnail: Image.Image, spec: HashSpec) -> int:
    """The hash of a thumbnail already of the size :func:`fast.input_size` asks for."""
    pixels = np.asarray(thumbnail, dtype=np.uint8)
    return bits_to_int(fast.BITS[spec.algorithm](pixels, spec.size))
