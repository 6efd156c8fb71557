"""Perceptual hashes as unsigned integers and ``uint64`` arrays.

Representation (documented in ``docs/usage.md``):

* one hash is a Python ``int`` of ``bits = hash_size**2`` bits; bit ``bits-1`` (the most
  significant) is the first element of ImageHash's flattened boolean array, so the hex form
  is that of ``str(imagehash.phash(img))`` (equal to it in compat mode, within a bit or two
  in the default fast mode, see ``docs/hashing.md``);
* many hashes are a C-contiguous ``numpy`` array of shape ``(n, words)`` and dtype
  ``uint64`` with ``words = bits // 64``; word 0 holds the most significant 64 bits.
  A 64-bit hash is one word, a 256-bit hash (``hash_size=16``) four.

Hamming distance (XOR + popcount) is the metric everywhere.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import imagehash
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from neardup import fasthash
from neardup.decode import (
    DEFAULT_MAX_PIXELS,
    DecodeError,
    SizeFor,
    open_image,
    open_thumbnails,
    shrink,
)
from neardup.errors import UsageError
from neardup.model import HashOutcome, ImageRecord, Skipped

HashArray = NDArray[np.uint64]

_log = logging.getLogger(__name__)

_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "phash": imagehash.phash,
    "dhash": imagehash.dhash,
    "ahash": imagehash.average_hash,
    "whash": imagehash.whash,
}
#: Hash algorithms, default first.
ALGORITHMS: Final[tuple[str, ...]] = tuple(_FUNCTIONS)
#: Supported ``hash_size`` values (8 → 64 bits, 16 → 256 bits).
HASH_SIZES: Final[tuple[int, ...]] = (8, 16)


@dataclass(frozen=True, slots=True)
class HashSpec:
    """Which hash to compute: algorithm name, ``hash_size`` (side of the bit grid) and mode.

    ``compat=True`` computes the hash bit-for-bit as ImageHash (full decode); the default
    fast path agrees with it to within a bit or two. Re-hashing a file with the spec of a
    scan therefore reproduces that scan's hash exactly.
    """

    algorithm: str = "phash"
    size: int = 8
    compat: bool = False

    def __post_init__(self) -> None:
        if self.algorithm not in _FUNCTIONS:
            raise UsageError(
                f"unknown hash {self.algorithm!r}; choose one of: {', '.join(ALGORITHMS)}"
            )
        if self.size not in HASH_SIZES:
            raise UsageError(
                f"unsupported hash size {self.size}; choose one of: "
                + ", ".join(map(str, HASH_SIZES))
            )

    @property
    def bits(self) -> int:
        return self.size * self.size

    @property
    def words(self) -> int:
        return self.bits // 64

    def hex(self, value: int) -> str:
        """Zero-padded hex form of a hash, as ImageHash prints it."""
        return f"{value:0{self.bits // 4}x}"


def bits_to_int(bits: NDArray[np.bool_]) -> int:
    """Pack a boolean bit array (first element most significant) into an ``int``.

    >>> bits_to_int(np.array([True, False, True]))
    5
    """
    flat = np.asarray(bits, dtype=bool).ravel()
    packed = np.packbits(flat)
    value = int.from_bytes(packed.tobytes(), "big")
    return value >> (packed.size * 8 - flat.size)


def check_max_pixels(max_pixels: int) -> None:
    """Raise :class:`UsageError` unless the pixel limit is a positive count."""
    if max_pixels < 1:
        raise UsageError(f"max_pixels must be a positive number of pixels, got {max_pixels}")


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
        result = _FUNCTIONS[spec.algorithm](image, hash_size=spec.size)
        return bits_to_int(result.hash)
    size = fasthash.input_size(spec.algorithm, spec.size, image.width, image.height)
    image.load()
    return _thumbnail_hash(shrink(image, size), spec)


def _thumbnail_hash(thumbnail: Image.Image, spec: HashSpec) -> int:
    pixels = np.asarray(thumbnail, dtype=np.uint8)
    return bits_to_int(fasthash.BITS[spec.algorithm](pixels, spec.size))


def hash_file(
    path: str | os.PathLike[str],
    spec: HashSpec = HashSpec(),
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    compat: bool = False,
    trim: bool = False,
    analyse: Callable[[Image.Image], int] | None = None,
) -> HashOutcome:
    """Hash one file; never raises for a bad file, returns :class:`Skipped` instead.

    The EXIF orientation is applied first, so a photo and its EXIF-rotated twin hash alike.
    ``compat=True`` decodes the whole image and hashes it with ImageHash (bit-for-bit equal
    to ImageHash on the upright image); the default decodes only what the hash needs.
    ``trim=True`` also hashes the image without its uniform margins (``trim_hash`` and
    ``trim_box`` of the record, see :mod:`neardup.features`), from the same decode.
    ``analyse``, when given, decodes the whole image and computes the hash from it instead
    (the uncached extra features of :mod:`neardup.matching`).
    """
    check_max_pixels(max_pixels)
    compat = compat or spec.compat
    p = Path(path)
    name = str(p)
    working: Image.Image | None = None
    try:
        st = p.stat()
        if compat or analyse is not None:
            image = open_image(p, max_pixels=max_pixels)
            width, height = image.size
            working = image
        else:
            from neardup.features import working_size

            sizes: list[SizeFor] = [
                functools.partial(fasthash.input_size, spec.algorithm, spec.size)
            ]
            wanted = [*sizes, working_size] if trim else sizes
            thumbs = open_thumbnails(p, wanted, max_pixels=max_pixels)
            thumb = thumbs[0]
            working = thumbs[-1].image
            width, height = thumb.width, thumb.height
    except DecodeError as exc:
        return Skipped(name, exc.reason, exc.detail)
    except FileNotFoundError:
        return Skipped(name, "unreadable", "file vanished during the scan")
    except OSError as exc:
        return Skipped(name, "unreadable", exc.strerror or str(exc))
    except Exception as exc:  # a decoder bug must not abort a scan: record it with its type
        return Skipped(name, "corrupt", f"unexpected decoder error {type(exc).__name__}: {exc}")
    try:
        if analyse is not None:
            value = analyse(image)
        elif compat:
            value = hash_image(image, spec, compat=True)
        else:
            value = _thumbnail_hash(thumb.image, spec)
        trim_hash: int | None = None
        box: tuple[float, float, float, float] | None = None
        if trim and analyse is None:
            from neardup.features import trimmed_hash

            trim_hash, box = trimmed_hash(working, spec, value, compat=compat)
    except (ValueError, OSError, MemoryError) as exc:  # degenerate pixel data
        return Skipped(name, "corrupt", f"cannot hash: {exc}")
    return ImageRecord(
        name, value, width, height, st.st_size, st.st_mtime_ns, trim_hash=trim_hash, trim_box=box
    )


def hash_files(
    paths: Iterable[str | os.PathLike[str]],
    spec: HashSpec = HashSpec(),
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    compat: bool = False,
    jobs: int | None = 1,
    trim: bool = False,
) -> Iterator[HashOutcome]:
    """Hash many files, yielding one outcome per path as soon as it is ready.

    Args:
        paths: the files to hash.
        spec: algorithm and hash size.
        max_pixels: images with more pixels are skipped as ``too-large``.
        compat: hash bit-for-bit as ImageHash (slower; see :func:`hash_file`).
        jobs: worker processes; ``None`` or ``0`` uses every available core when the work
            is large enough to pay for starting them (see
            :func:`neardup.parallel.worth_workers`), ``1`` hashes in this process, in order.
        trim: also hash each image without its margins (see :func:`hash_file`).

    With more than one job the outcomes come in completion order, not input order; match
    them up by ``outcome.path``. Closing the generator (or Ctrl-C) stops the workers at
    once, and every outcome already yielded stays valid.
    """
    from neardup.parallel import (
        WorkerError,
        hash_chunk,
        hash_in_workers,
        resolve_jobs,
        worth_workers,
    )

    check_max_pixels(max_pixels)
    path_list = [os.fspath(p) for p in paths]
    workers = min(resolve_jobs(jobs), len(path_list))
    automatic = not jobs  # None or 0: workers only where they pay off
    if workers <= 1 or (automatic and not worth_workers(path_list)):
        for path in path_list:
            yield hash_file(path, spec, max_pixels=max_pixels, compat=compat, trim=trim)
        return
    done: set[str] = set()
    try:
        task = functools.partial(hash_chunk, trim=True) if trim else None
        for outcome in hash_in_workers(
            path_list, spec, max_pixels=max_pixels, compat=compat, jobs=workers, task=task
        ):
            done.add(outcome.path)
            yield outcome
    except WorkerError as exc:  # e.g. a script read from stdin cannot be re-imported
        _log.warning("%s; hashing in this process instead", exc)
        for path in path_list:
            if str(Path(path)) not in done:
                yield hash_file(path, spec, max_pixels=max_pixels, compat=compat, trim=trim)


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
