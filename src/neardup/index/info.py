"""What each installed backend is: the data behind ``neardup backends``.

A backend that cannot even be imported is still described (``viable = False`` with the
reason), so a user sees what is installed and what is missing in one place.
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass
from importlib.metadata import EntryPoint
from typing import Any

from neardup.errors import IndexUnavailable
from neardup.index import available, entry_point, load, unavailable_reason
from neardup.index.base import Index, IndexOption

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
    """Describe the backend registered as ``name`` (:class:`UnknownIndexError` if none)."""
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
    """Every installed backend, sorted by name."""
    return [describe(name) for name in available()]


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
