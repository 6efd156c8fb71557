"""Plain records: which hash, what a scan learns about each file, the groups it finds, and
the names of the things a scan can be asked for (hash algorithms, keep rules, groupings)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from neardup.errors import UsageError

#: Hash algorithms, default first (ImageHash's phash, dhash, average_hash, whash).
ALGORITHMS: Final[tuple[str, ...]] = ("phash", "dhash", "ahash", "whash")
#: Supported ``hash_size`` values (8 → 64 bits, 16 → 256 bits).
HASH_SIZES: Final[tuple[int, ...]] = (8, 16)
#: Keep rules (:mod:`neardup.pipeline.keep`), in no particular order.
KEEP_RULES: Final[tuple[str, ...]] = (
    "highest-resolution",
    "best-encoding",
    "camera-metadata",
    "largest",
    "smallest",
    "oldest",
    "newest",
    "shortest-path",
    "first",
)
#: Grouping strategies (:mod:`neardup.pipeline.grouping`), default first.
GROUPINGS: Final[tuple[str, ...]] = ("centre", "components")
#: ``--invariant`` names: the flips and rotations a scan can also match.
INVARIANTS: Final[tuple[str, ...]] = ("flip", "rotate")


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
        if self.algorithm not in ALGORITHMS:
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


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """One hashed image.

    ``hash`` is the perceptual hash as an unsigned integer whose most significant bit is
    the first bit of ImageHash's flattened bit array (so ``f"{hash:016x}"`` equals
    ``str(imagehash.phash(img))`` for 64-bit hashes).
    """

    path: str
    hash: int
    width: int
    height: int
    size: int
    mtime_ns: int
    #: Hash of the image without uniform margins (:mod:`neardup.hashing.views`); equal to
    #: ``hash`` when it has none, ``None`` when the scan did not trim.
    trim_hash: int | None = None
    #: The trimmed region as shares of width and height ``(left, top, right, bottom)``.
    trim_box: tuple[float, float, float, float] | None = None

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file a scan met but could not hash, with a short ``reason`` code and a human ``detail``.

    Reason codes: ``empty``, ``unreadable``, ``not-an-image``, ``corrupt``, ``too-large``,
    ``needs-extra``, ``symlink``, ``not-a-file``.
    """

    path: str
    reason: str
    detail: str


HashOutcome = ImageRecord | Skipped


@dataclass(slots=True)
class Discovery:
    """What a walk found: image paths (absolute, sorted naturally) and what it passed over."""

    images: list[str] = field(default_factory=list)
    files_seen: int = 0
    ignored: int = 0
    skipped: list[Skipped] = field(default_factory=list)


#: How two images matched: their whole images, one's content without margins or frame
#: (``trimmed``), a flipped or rotated thumbnail, a centred or aligned crop, or as two flat
#: images of one colour.
MATCHES: Final[tuple[str, ...]] = ("whole", "trimmed", "flipped", "cropped", "flat")


@dataclass(frozen=True, slots=True)
class Group:
    """A set of near-duplicate images (row numbers into the scan's records).

    ``members[0]`` is the proposed keeper; ``distances[k]`` is the Hamming distance of
    ``members[k]`` to it; ``max_distance`` is the largest distance between any two members;
    ``matches[k]`` says by which of their hashes ``members[k]`` and the keeper matched.
    """

    members: tuple[int, ...]
    distances: tuple[int, ...]
    max_distance: int
    threshold: int
    #: How each member matched the keeper (one of :data:`MATCHES`; ``""`` for the keeper
    #: itself, empty when not known).
    matches: tuple[str, ...] = ()

    def match(self, k: int) -> str:
        """How ``members[k]`` matched the keeper (``""`` when not known)."""
        return self.matches[k] if k < len(self.matches) else ""

    @property
    def keeper(self) -> int:
        return self.members[0]

    @property
    def chained(self) -> bool:
        """True when some member is further than the threshold from the keeper."""
        return any(d > self.threshold for d in self.distances)

    def __len__(self) -> int:
        return len(self.members)


_DIGITS = re.compile(r"(\d+)")


def is_url(path: str) -> bool:
    """True for ``scheme://...`` paths (fsspec URLs); a Windows drive letter is not a scheme.

    >>> is_url("memory://photos"), is_url("s3://bucket/x.jpg"), is_url("/home/me"), is_url("C:/x")
    (True, True, False, False)
    """
    scheme, sep, _ = path.partition("://")
    return bool(sep) and len(scheme) > 1 and scheme.replace("+", "").replace("-", "").isalnum()


def natural_key(path: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders ``img2`` before ``img10``.

    >>> sorted(["img10.jpg", "img2.jpg", "Img1.jpg"], key=natural_key)
    ['Img1.jpg', 'img2.jpg', 'img10.jpg']
    """
    parts = _DIGITS.split(path)
    return tuple((0, int(p)) if p.isdigit() else (1, p.casefold()) for p in parts)
