"""What each installed backend is: the data behind ``neardup backends``.

A backend that cannot even be imported is still described (``viable = False`` with the
reason), so a user sees what is installed and what is missing in one place.

Describing a backend means importing it (and numpy, scipy, numba ...), which takes seconds.
So descriptions are remembered in ``backends.json`` in neardup's cache folder, keyed by the
entry point, its distribution and version, and the size and modification time of the
backend's module file; ``neardup backends`` imports a backend only when that changed. The
optional modules a backend ``requires`` are looked up again every time (``find_spec``, no
import), so installing or removing one shows at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import inspect
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neardup.errors import IndexUnavailable
from neardup.index import available, entry_point, load, unavailable_reason
from neardup.index.options import IndexOption, module_findable

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from neardup.index.base import Index

#: Operations of the :class:`~neardup.index.base.Index` protocol a backend may offer.
OPERATIONS = ("build", "query", "pairs")


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """One entry of the ``neardup.indexes`` group, imported if possible."""

    name: str
    distribution: str | None
    version: str | None
    target: str
    summary: str
    exact: bool | None
    metric: str | None
    viable: bool
    reason: str | None
    requires: tuple[str, ...]
    operations: tuple[str, ...]
    #: ``(name, option)`` pairs, as ``--index-opt name=value`` accepts them.
    options: tuple[tuple[str, IndexOption], ...]

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "options"}
        data["requires"] = list(self.requires)
        data["operations"] = list(self.operations)
        data["options"] = [
            {
                "name": key,
                "type": opt.type.__name__,
                "default": opt.default,
                "help": opt.help,
                "minimum": getattr(opt, "minimum", None),
                "maximum": getattr(opt, "maximum", None),
                "choices": list(choices) if (choices := getattr(opt, "choices", None)) else None,
            }
            for key, opt in self.options
        ]
        return data


def describe(name: str) -> BackendInfo:
    """Describe the backend registered as ``name`` (:class:`UnknownIndexError` if none),
    importing it."""
    ep = entry_point(name)
    dist = getattr(ep, "dist", None)
    base: dict[str, Any] = {
        "name": name,
        "distribution": getattr(dist, "name", None),
        "version": getattr(dist, "version", None),
        "target": ep.value,
    }
    try:
        cls = load(name)
    except IndexUnavailable as exc:
        imported = _importable(ep)
        if imported is None:
            return BackendInfo(
                **base,
                summary="",
                exact=None,
                metric=None,
                viable=False,
                reason=str(exc),
                requires=(),
                operations=(),
                options=(),
            )
        reason = unavailable_reason(imported) or str(exc)
        return _from_class(base, imported, viable=False, reason=reason)
    return _from_class(base, cls, viable=True, reason=None)


def describe_all() -> list[BackendInfo]:
    """Every installed backend, sorted by name (from the description cache where it is
    still valid, see the module docstring)."""
    path = _cache_path()
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cached = {}
    out: list[BackendInfo] = []
    fresh: dict[str, Any] = {}
    for name, ep in available().items():
        key = _cache_key(name, ep)
        entry = cached.get(name) if isinstance(cached, dict) else None
        info = None
        if isinstance(entry, dict) and entry.get("key") == key:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                info = _from_cache(entry["info"])
        if info is None:
            info = describe(name)
        fresh[name] = {"key": key, "info": info.to_dict()}
        out.append(_recheck(info))
    if fresh != cached:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(fresh, indent=1), encoding="utf-8")
            os.replace(tmp, path)
    return out


def _cache_path() -> Path:
    from neardup.catalog.paths import cache_dir

    return cache_dir() / "backends.json"


def _cache_key(name: str, ep: EntryPoint) -> list[Any]:
    """What must not change for a cached description to stay true."""
    dist = getattr(ep, "dist", None)
    module = ep.value.partition(":")[0]
    try:
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None else None
        st = os.stat(origin) if origin else None
    except (ImportError, ValueError, OSError):
        st = None
    stamp = [st.st_size, st.st_mtime_ns] if st is not None else None
    return [name, ep.value, getattr(dist, "name", None), getattr(dist, "version", None), stamp]


_TYPES: dict[str, type] = {"int": int, "float": float, "str": str, "bool": bool}


def _from_cache(d: dict[str, Any]) -> BackendInfo:
    """A :class:`BackendInfo` from its :meth:`~BackendInfo.to_dict` form."""
    options = tuple(
        (
            o["name"],
            IndexOption(
                _TYPES[o["type"]],
                o["default"],
                o["help"],
                o.get("minimum"),
                o.get("maximum"),
                tuple(o["choices"]) if o.get("choices") else None,
            ),
        )
        for o in d["options"]
    )
    fields = {k: v for k, v in d.items() if k not in ("options", "requires", "operations")}
    return BackendInfo(
        **fields,
        requires=tuple(d["requires"]),
        operations=tuple(d["operations"]),
        options=options,
    )


def _recheck(info: BackendInfo) -> BackendInfo:
    """``info`` with its required modules looked up now (they may have been installed or
    removed since it was described)."""
    missing = [m for m in info.requires if not module_findable(m)]
    if missing:
        reason = f"needs {missing[0]}, which is not installed"
        return dataclasses.replace(info, viable=False, reason=info.reason or reason)
    if not info.viable and info.requires and (info.reason or "").startswith("needs "):
        return describe(info.name)  # what it needed is there now
    return info


def _importable(ep: EntryPoint) -> type[Index] | None:
    try:
        cls = ep.load()
    except Exception:
        return None
    return cls if isinstance(cls, type) and hasattr(cls, "pairs") else None


def _from_class(
    base: dict[str, Any], cls: type[Index], *, viable: bool, reason: str | None
) -> BackendInfo:
    options: dict[str, IndexOption] = dict(getattr(cls, "options", {}) or {})
    doc = inspect.getdoc(cls) or ""
    return BackendInfo(
        **base,
        summary=doc.splitlines()[0] if doc else "",
        exact=bool(getattr(cls, "exact", False)),
        metric=str(getattr(cls, "metric", "hamming")),
        viable=viable,
        reason=reason,
        requires=tuple(req.module for req in getattr(cls, "requires", ())),
        operations=tuple(op for op in OPERATIONS if callable(getattr(cls, op, None))),
        options=tuple(options.items()),
    )
