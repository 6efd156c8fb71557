"""What a backend declares about itself without numpy: its ``--index-opt`` options and the
optional modules it needs (read by ``neardup backends`` without importing the backend)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class IndexOption:
    """A backend option settable with ``--index-opt key=value``.

    ``minimum``/``maximum`` (inclusive) bound numeric values; ``choices`` lists the only
    accepted values. Violations raise :class:`~neardup.errors.IndexOptionError`.
    """

    type: type
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None


@dataclass(frozen=True, slots=True)
class Requirement:
    """An optional dependency of a backend: the module it imports and how to install it.

    ``install`` is the one-line hint shown when the module is missing, e.g.
    ``pip install datasketch`` (:func:`neardup.errors.install_hint` says it for an extra).
    """

    module: str
    install: str

    def missing(self) -> str | None:
        """``None`` when the module is installed; otherwise why not, with the install hint.

        Only looks the module up (``find_spec``), so listing backends stays fast; the backend
        imports it when an index is built.
        """
        if module_findable(self.module):
            return None
        return f"needs {self.module}, which is not installed; install it with: {self.install}"


def module_findable(name: str) -> bool:
    """Whether module ``name`` can be imported, found without importing it or its parent
    packages (``importlib.util.find_spec`` would import ``scipy`` to find ``scipy.spatial``).
    A module already imported counts as found, one set to ``None`` in ``sys.modules``
    (blocked) as missing."""
    if name in sys.modules:
        return sys.modules[name] is not None  # None: blocked
    top, *rest = name.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):  # blocked, or a broken installation
        return False
    path = top
    for part in rest:
        if spec is None or spec.submodule_search_locations is None:
            return False
        path = f"{path}.{part}"
        spec = importlib.machinery.PathFinder.find_spec(path, spec.submodule_search_locations)
    return spec is not None
