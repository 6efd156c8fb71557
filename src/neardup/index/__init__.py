"""Backend registry: every index is found through the ``neardup.indexes`` entry-point group.

neardup's own backends are registered there exactly like a third-party package's, so
:func:`available` lists names without importing anything and :func:`load` imports one.
"""

from __future__ import annotations

import functools
import importlib
import logging
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, cast

from neardup import lazy_attributes
from neardup.errors import IndexUnavailable, UnknownIndexError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from neardup.index.base import BaseIndex, Index, IndexOption, Match, PairBlock

__all__ = [
    "ENTRY_POINT_GROUP",
    "BaseIndex",
    "Index",
    "IndexOption",
    "Match",
    "PairBlock",
    "available",
    "build",
    "entry_point",
    "load",
    "refresh",
    "unavailable_reason",
]

ENTRY_POINT_GROUP = "neardup.indexes"
#: The backends neardup ships, as its own entry points register them (a test checks they
#: agree): :func:`load` imports these directly, without reading every installed package's
#: metadata (importing ``importlib.metadata`` alone takes a tenth of a second).
BUILTIN: Final[dict[str, str]] = {
    "brute": "neardup.index.brute:BruteIndex",
    "bktree": "neardup.index.bktree:BKTreeIndex",
    "kdtree": "neardup.index.kdtree:KDTreeIndex",
    "pykdtree": "neardup.index.pykdtree:PyKDTreeIndex",
    "lsh": "neardup.index.lsh:MinHashLSHIndex",
    "mih": "neardup.index.mih:MIHIndex",
    "faiss": "neardup.index.faiss:FaissIndex",
}
log = logging.getLogger(__name__)


__getattr__, __dir__ = lazy_attributes(
    __name__,
    dict.fromkeys(
        ("BaseIndex", "Index", "IndexOption", "Match", "PairBlock"), "neardup.index.base"
    ),
)


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    """The ``neardup.indexes`` entry points, read once per process (see :func:`refresh`)."""
    from importlib.metadata import entry_points

    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return dict(sorted(found.items()))


def refresh() -> None:
    """Read the installed entry points again (after installing a backend at run time)."""
    _entry_points.cache_clear()


def available() -> Mapping[str, EntryPoint]:
    """Installed backends by name (read-only), without importing them."""
    return types.MappingProxyType(_entry_points())


def entry_point(name: str) -> EntryPoint:
    """The entry point registered under ``name``; :class:`UnknownIndexError` otherwise."""
    eps = _entry_points()
    if name not in eps:
        installed = ", ".join(eps) or "none"
        raise UnknownIndexError(f"unknown index {name!r}; installed: {installed}")
    return eps[name]


def load(name: str) -> type[Index]:
    """Import and return the backend class registered as ``name``.

    Raises:
        UnknownIndexError: nothing is registered under ``name``.
        IndexUnavailable: it is registered but cannot be imported or is not viable here.
    """
    builtin = BUILTIN.get(name)
    ep = entry_point(name) if builtin is None else None
    try:
        if builtin is not None:  # no scan of every installed package's metadata
            module, _, attr = builtin.partition(":")
            cls = getattr(importlib.import_module(module), attr)
        else:
            assert ep is not None
            cls = ep.load()
    except ImportError as exc:
        package = "neardup" if ep is None else _dist_name(ep)
        raise IndexUnavailable(
            f"index {name!r} cannot be imported: {exc}",
            hint=f"install what it needs (package {package})",
        ) from None
    except Exception as exc:  # a broken plugin must not take neardup down
        log.warning("index plugin %r failed to load: %s", name, exc)
        raise IndexUnavailable(f"index {name!r} failed to load: {exc}") from None
    if not isinstance(cls, type) or not hasattr(cls, "pairs") or not hasattr(cls, "build"):
        value = builtin if ep is None else ep.value
        raise IndexUnavailable(f"index {name!r} ({value}) does not implement the Index protocol")
    backend = cast("type[Index]", cls)
    if not backend.viable():
        raise IndexUnavailable(f"index {name!r} is not usable here: {unavailable_reason(backend)}")
    return backend


def unavailable_reason(backend: type[Index]) -> str | None:
    """Why ``backend`` is not viable (one line, with an install hint when known), else None."""
    explain = getattr(backend, "unavailable_reason", None)
    reason = explain() if callable(explain) else None
    if reason:
        return str(reason)
    return None if backend.viable() else "its viable() check failed"


def build(name: str, hashes: Any, **options: Any) -> Index:
    """Load the backend ``name`` and build it over ``hashes``."""
    return load(name).build(hashes, **options)


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or "unknown"
