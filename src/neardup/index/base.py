"""The ``Index`` protocol every search backend implements.

Contract (tested by :class:`neardup.testing.IndexContract`):

* An index is built once from an ``(n, words)`` ``uint64`` hash array (see
  :mod:`neardup.hashing`) with :meth:`Index.build`. Items are identified by their row
  number ``0 .. n-1``.
* The metric is Hamming distance; ``radius`` is an ``int`` and **inclusive** (``<=``).
* :meth:`Index.query` returns every item within ``radius`` of a hash (exact backends) or a
  subset of them (approximate backends), as :class:`Match` objects sorted by distance then
  row.
* :meth:`Index.pairs` yields :class:`PairBlock` arrays; together they hold each unordered
  pair within ``radius`` exactly once with ``left < right``. Approximate backends
  (``exact = False``) may miss pairs but never invent one: every distance they report is
  the true Hamming distance.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Protocol, Self, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from neardup.bits import HashArray, as_hash_array
from neardup.errors import IndexOptionError, UsageError
from neardup.index.options import IndexOption as IndexOption
from neardup.index.options import Requirement as Requirement


@dataclass(frozen=True, slots=True, order=True)
class Match:
    """One query result: the item's row number and its Hamming distance."""

    distance: int
    index: int


class PairBlock(NamedTuple):
    """A block of pairs: parallel ``int64`` arrays with ``left[k] < right[k]``."""

    left: NDArray[np.int64]
    right: NDArray[np.int64]
    distance: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.left.shape[0])


@runtime_checkable
class Index(Protocol):
    """A Hamming-space nearest-neighbour index over perceptual hashes."""

    name: ClassVar[str]
    metric: ClassVar[str]
    exact: ClassVar[bool]
    options: ClassVar[Mapping[str, IndexOption]]

    @classmethod
    def viable(cls) -> bool:
        """True when the backend's optional dependencies are importable."""
        ...

    @classmethod
    def build(cls, hashes: HashArray, **options: Any) -> Self:
        """Build the index over the rows of ``hashes``."""
        ...

    def query(self, h: HashArray, radius: int) -> list[Match]:
        """Items within ``radius`` (inclusive) of the hash row ``h``."""
        ...

    def pairs(self, radius: int) -> Iterator[PairBlock]:
        """All unordered pairs within ``radius`` (inclusive), ``left < right``, in blocks."""
        ...

    def __len__(self) -> int: ...


class BaseIndex:
    """Convenience base class: stores the hash array, validates arguments and options.

    Subclasses set ``name``, ``exact`` and ``options`` and implement ``_setup``,
    ``query`` and ``pairs``. Third-party backends may use it or implement :class:`Index`
    from scratch.
    """

    name: ClassVar[str] = ""
    metric: ClassVar[str] = "hamming"
    exact: ClassVar[bool] = True
    options: ClassVar[Mapping[str, IndexOption]] = {}
    #: Optional dependencies, imported lazily by the backend (checked by :meth:`viable`).
    requires: ClassVar[tuple[Requirement, ...]] = ()

    def __init__(self, hashes: HashArray, **options: Any) -> None:
        self.hashes = as_hash_array(hashes)
        self.opts = self.resolve_options(options)
        self._setup()

    @classmethod
    def viable(cls) -> bool:
        """True when every optional dependency in ``requires`` imports."""
        return cls.unavailable_reason() is None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why :meth:`viable` is False (one line with an install hint), else ``None``."""
        for req in cls.requires:
            reason = req.missing()
            if reason is not None:
                return reason
        return None

    @classmethod
    def build(cls, hashes: HashArray, **options: Any) -> Self:
        return cls(hashes, **options)

    @classmethod
    def resolve_options(cls, given: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``given`` over the defaults, converting strings; reject unknown keys."""
        resolved = {key: opt.default for key, opt in cls.options.items()}
        for key, value in given.items():
            if key not in cls.options:
                known = ", ".join(sorted(cls.options)) or "none"
                raise IndexOptionError(
                    f"index {cls.name!r} has no option {key!r} (options: {known})"
                )
            resolved[key] = convert_option(cls.name, key, cls.options[key], value)
        cls.check_options(resolved)
        return resolved

    @classmethod
    def check_options(cls, opts: dict[str, Any]) -> None:
        """Validate options together (after each was converted); raise IndexOptionError."""

    def _setup(self) -> None:
        """Build internal structures from ``self.hashes``."""

    @property
    def bits(self) -> int:
        return int(self.hashes.shape[1]) * 64

    def check_radius(self, radius: int) -> int:
        r = int(radius)
        if r != radius or r < 0:
            raise UsageError(f"radius must be a non-negative integer, got {radius!r}")
        return r

    def check_query(self, h: HashArray) -> HashArray:
        row = np.asarray(h, dtype=np.uint64).reshape(-1)
        if row.shape[0] != self.hashes.shape[1]:
            raise UsageError(
                f"query hash has {row.shape[0] * 64} bits, index holds {self.bits}-bit hashes"
            )
        return row

    def __len__(self) -> int:
        return int(self.hashes.shape[0])


def convert_option(index: str, key: str, spec: IndexOption, value: Any) -> Any:
    """Convert an option value (often a string from the command line) and check it against
    ``spec``'s type, range and choices."""
    converted = _convert(index, key, spec.type, value)
    where = f"index {index!r} option {key!r}"
    if spec.choices is not None and converted not in spec.choices:
        allowed = ", ".join(map(str, spec.choices))
        raise IndexOptionError(f"{where} must be one of {allowed}, got {converted!r}")
    if spec.minimum is not None and converted < spec.minimum:
        raise IndexOptionError(f"{where} must be >= {spec.minimum:g}, got {converted!r}")
    if spec.maximum is not None and converted > spec.maximum:
        raise IndexOptionError(f"{where} must be <= {spec.maximum:g}, got {converted!r}")
    return converted


def _convert(index: str, key: str, kind: type, value: Any) -> Any:
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    try:
        if kind is bool:
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        converted = kind(text)
    except ValueError:
        raise IndexOptionError(
            f"index {index!r} option {key!r} needs a {kind.__name__}, got {text!r}"
        ) from None
    if kind is float and not np.isfinite(converted):
        raise IndexOptionError(f"index {index!r} option {key!r} must be finite, got {text!r}")
    return converted


def matches_from(distances: NDArray[np.int64], radius: int) -> list[Match]:
    """Turn a distance-per-row array into sorted matches within ``radius``."""
    rows = np.flatnonzero(distances <= radius)
    order = np.lexsort((rows, distances[rows]))
    return [Match(int(distances[rows[k]]), int(rows[k])) for k in order]


def empty_block() -> PairBlock:
    z = np.empty(0, dtype=np.int64)
    return PairBlock(z, z.copy(), z.copy())
