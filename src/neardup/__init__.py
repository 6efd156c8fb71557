"""neardup: find and safely remove near-duplicate images.

The public API is imported on first use (``neardup.scan`` loads the scan pipeline when it
is first touched), so ``import neardup`` and the command line start quickly. Type checkers
see the names where they are defined: :mod:`neardup.api`, :mod:`neardup.model`,
:mod:`neardup.catalog`, :mod:`neardup.hashing.core`.

>>> import neardup
>>> neardup.ScanOptions().threshold
8
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

#: The one place the version is written (the build reads it from here).
__version__ = "0.1.0"

#: Public name → the module that defines it (imported when the name is first used).
_EXPORTS = {
    "Catalog": "neardup.catalog",
    "Group": "neardup.model",
    "HashSpec": "neardup.model",
    "ImageRecord": "neardup.model",
    "NeardupError": "neardup.errors",
    "ScanOptions": "neardup.model",
    "ScanResult": "neardup.model",
    "ScanSettings": "neardup.model",
    "Skipped": "neardup.model",
    "find_pairs": "neardup.api",
    "find_similar": "neardup.api",
    "group": "neardup.api",
    "hash_file": "neardup.hashing.core",
    "hash_image": "neardup.hashing.spec",
    "last_scan": "neardup.api",
    "scan": "neardup.api",
}


def lazy_attributes(module: str, exports: dict[str, str]) -> tuple[Any, Any]:
    """``__getattr__`` and ``__dir__`` for a package whose public names are imported on first
    use (PEP 562): ``exports`` maps each name to the module that defines it."""

    def getattr_(name: str) -> Any:
        where = exports.get(name)
        if where is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where), name)
        setattr(sys.modules[module], name, value)
        return value

    def dir_() -> list[str]:
        return sorted([*vars(sys.modules[module]), *exports])

    return getattr_, dir_


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
__all__ = ["__version__", *sorted(_EXPORTS)]
