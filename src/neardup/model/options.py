"""The options of a scan: :class:`ScanOptions` is the one home of every default and every
check, shared by :func:`neardup.scan`, :func:`neardup.find_similar` and the command line.
Standard library only, so the command line shows the defaults without loading numpy or
Pillow."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from neardup.errors import UsageError
from neardup.model.records import GROUPINGS, INVARIANTS, KEEP_RULES, HashSpec, is_url
from neardup.model.result import ScanSettings, pin_roots

#: Pillow refuses images above twice its own warning limit; neardup does the same by default.
DEFAULT_MAX_PIXELS: Final = 2 * 89_478_485
#: Default backend: the fastest exact one at every size measured (docs/performance.md).
DEFAULT_INDEX: Final = "mih"
DEFAULT_THRESHOLD: Final = 8
#: Keep rules, in order (:mod:`neardup.pipeline.keep`, docs/delete.md): the most picture,
#: then the better encoding of it, then camera metadata, then the older file.
DEFAULT_KEEP: Final[tuple[str, ...]] = (
    "highest-resolution",
    "best-encoding",
    "camera-metadata",
    "oldest",
    "first",
)
#: Non-chaining centre groups (see :mod:`neardup.pipeline.grouping`).
DEFAULT_GROUPING: Final = GROUPINGS[0]
#: Smallest normalised correlation for verification to confirm a pair (docs/accuracy.md).
DEFAULT_VERIFY_MIN: Final = 0.92


def parse_keep(spec: str | Sequence[str]) -> tuple[str, ...]:
    """Parse ``"a,b"`` (or a sequence) into validated rule names, ``first`` appended.

    >>> parse_keep("largest, oldest")
    ('largest', 'oldest', 'first')
    """
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    rules = tuple(r.strip().lower() for r in items if r.strip())
    if not rules:
        raise UsageError("--keep needs at least one rule: " + ", ".join(KEEP_RULES))
    for rule in rules:
        if rule not in KEEP_RULES:
            raise UsageError(f"unknown keep rule {rule!r}; choose from: {', '.join(KEEP_RULES)}")
    return rules if rules[-1] == "first" else (*rules, "first")


def parse_invariant(names: Iterable[str] | str | None) -> frozenset[str]:
    """``"flip,rotate"`` or an iterable of names → a validated set.

    >>> sorted(parse_invariant("rotate, flip"))
    ['flip', 'rotate']
    """
    if names is None:
        return frozenset()
    items = names.split(",") if isinstance(names, str) else list(names)
    chosen = frozenset(n.strip() for n in items if n.strip())
    unknown = sorted(chosen - set(INVARIANTS))
    if unknown:
        raise UsageError(
            f"unknown invariance {', '.join(unknown)}; choose from: {', '.join(INVARIANTS)}"
        )
    return chosen


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """What a scan looks for and how: every default and every check lives here.

    Values are normalised when the object is made (``keep="largest"`` becomes
    ``("largest", "first")``, ``invariant="flip"`` a frozenset, lists tuples) and checked:
    a bad value raises :class:`~neardup.errors.UsageError`. Whether the ``index`` backend
    can run here is checked when a scan starts.

    >>> ScanOptions(threshold=10, keep="largest").keep
    ('largest', 'first')
    >>> ScanOptions(hash="md5")
    Traceback (most recent call last):
    ...
    neardup.errors.UsageError: unknown hash 'md5'; choose one of: phash, dhash, ahash, whash
    """

    #: Backend name from the ``neardup.indexes`` entry-point group.
    index: str = DEFAULT_INDEX
    #: Backend options (``--index-opt key=value``), as sorted ``(key, value)`` pairs.
    index_options: tuple[tuple[str, Any], ...] = ()
    #: ``phash``, ``dhash``, ``ahash`` or ``whash``.
    hash: str = "phash"
    #: 8 (64-bit hashes) or 16 (256-bit).
    hash_size: int = 8
    #: Largest Hamming distance that counts as a near-duplicate (inclusive).
    threshold: int = DEFAULT_THRESHOLD
    recursive: bool = True
    #: Glob patterns of names or relative paths to leave out.
    exclude: tuple[str, ...] = ()
    #: Include hidden files and folders.
    hidden: bool = False
    #: Keep rules choosing each group's proposed keeper (:mod:`neardup.pipeline.keep`).
    keep: tuple[str, ...] = DEFAULT_KEEP
    #: ``centre`` (no chaining) or ``components``.
    grouping: str = DEFAULT_GROUPING
    #: Also hash each image without its uniform margins and match on either hash.
    trim: bool = True
    #: ``flip`` and/or ``rotate``: also match mirrored/rotated copies (pHash only).
    invariant: frozenset[str] = frozenset()
    #: Also match on hashes of centred sub-regions (crop resistance; on by default since the
    #: alternates are cached and held-out precision stays above the target).
    crop: bool = True
    #: Confirm candidate pairs by the correlation of small greyscale views.
    verify: bool = True
    #: The smallest correlation verification accepts.
    verify_min: float = DEFAULT_VERIFY_MIN
    #: Hash bit-for-bit as ImageHash (full decode; slower).
    compat: bool = False
    #: Images with more pixels are skipped as ``too-large``.
    max_pixels: int = DEFAULT_MAX_PIXELS
    #: Worker processes: ``None``/``0`` every core where it pays off, ``1`` none.
    jobs: int | None = None
    _spec: HashSpec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        opts = self.index_options
        pairs = opts.items() if isinstance(opts, Mapping) else opts
        set_(self, "index_options", tuple(sorted((str(k), v) for k, v in pairs)))
        set_(self, "exclude", tuple(self.exclude))
        set_(self, "keep", parse_keep(self.keep))
        set_(self, "invariant", parse_invariant(self.invariant))
        spec = HashSpec(self.hash, self.hash_size, compat=self.compat)
        set_(self, "_spec", spec)
        if not 0 <= self.threshold <= spec.bits:
            raise UsageError(f"threshold must be between 0 and {spec.bits}, got {self.threshold}")
        if self.grouping not in GROUPINGS:
            raise UsageError(
                f"unknown grouping {self.grouping!r}; choose one of: {', '.join(GROUPINGS)}"
            )
        if not -1.0 <= self.verify_min <= 1.0:
            raise UsageError(f"verify_min must be between -1 and 1, got {self.verify_min}")
        if self.invariant and spec.algorithm != "phash":
            raise UsageError("--invariant works with --hash phash only")
        if self.max_pixels < 1:
            raise UsageError(
                f"max_pixels must be a positive number of pixels, got {self.max_pixels}"
            )
        if self.jobs is not None and self.jobs < 0:
            raise UsageError(f"--jobs must be 0 (all cores) or a positive count, got {self.jobs}")

    @property
    def spec(self) -> HashSpec:
        """The hash to compute."""
        return self._spec

    @property
    def needs_alternates(self) -> bool:
        """Whether ``--invariant`` or ``--crop`` asks for alternate hashes of every image."""
        return bool(self.invariant) or self.crop

    def replace(self, **changes: Any) -> ScanOptions:
        """A copy with ``changes`` applied (and checked)."""
        return dataclasses.replace(self, **changes)

    def settings(self, paths: Sequence[str]) -> ScanSettings:
        """The record of a scan of ``paths`` with these options (URLs kept as given)."""
        local = [os.path.abspath(p) for p in paths if not is_url(p)]
        return ScanSettings(
            paths=tuple(p if is_url(p) else os.path.abspath(p) for p in paths),
            hash=self.hash,
            hash_size=self.hash_size,
            threshold=self.threshold,
            index=self.index,
            index_options=self.index_options,
            recursive=self.recursive,
            exclude=self.exclude,
            hidden=self.hidden,
            keep=self.keep,
            grouping=self.grouping,
            trim=self.trim,
            invariant=tuple(sorted(self.invariant)),
            crop=self.crop,
            verify=self.verify,
            verify_min=self.verify_min,
            hash_mode="compat" if self.compat else "fast",
            max_pixels=self.max_pixels,
            roots=pin_roots(local),
        )

    @classmethod
    def of(cls, options: ScanOptions | None = None, **changes: Any) -> ScanOptions:
        """``options`` (default: the defaults) with ``changes``; ``None`` values of
        ``trim``/``verify``/``jobs``-style changes mean "the default" and are dropped."""
        base = options if options is not None else cls()
        given = {k: v for k, v in changes.items() if v is not None}
        unknown = sorted(set(given) - {f.name for f in dataclasses.fields(cls)} - {"_spec"})
        if unknown:
            raise TypeError(f"unknown scan options: {', '.join(unknown)}")
        return dataclasses.replace(base, **given) if given else base
