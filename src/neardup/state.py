"""The saved "last scan", so ``delete`` and ``show`` can act without rescanning.

The last scan lives in the hash catalog (:mod:`neardup.catalog`, table ``scans``), next
to the history of earlier scans. Earlier versions wrote ``last-scan.json`` in the state
folder; that file is no longer read (see docs/catalog.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from neardup.catalog import Catalog, default_path
from neardup.errors import NoSavedScanError, StateError
from neardup.result import SCHEMA_VERSION, ScanResult

CatalogPath = Catalog | str | os.PathLike[str] | None


def save_last_scan(result: ScanResult, catalog: CatalogPath = None) -> Path:
    """Store ``result`` (with every image) as the last scan; returns the catalog's path.

    ``catalog`` is a :class:`Catalog`, a catalog file, or ``None`` for the default one.
    """
    doc = result.to_dict(include_images=True)
    if isinstance(catalog, Catalog):
        catalog.save_scan(doc)
        return Path(catalog.location)
    with Catalog(catalog) as cat:
        cat.save_scan(doc)
        return Path(cat.location)


def load_last_scan(catalog: CatalogPath = None) -> ScanResult:
    """Load the last saved scan.

    Raises:
        NoSavedScanError: no scan was saved yet.
        StateError: it is from an incompatible version or damaged.
        CatalogError: the catalog cannot be read.
    """
    if isinstance(catalog, Catalog):
        doc = catalog.last_scan_document()
    else:
        path = default_path() if catalog is None else catalog
        if not os.path.exists(path):
            raise NoSavedScanError(
                "no saved scan yet", hint="run 'neardup scan PATH' first or give PATH"
            )
        with Catalog(path) as cat:
            doc = cat.last_scan_document()
    if doc.get("schema_version") != SCHEMA_VERSION or "images" not in doc:
        raise StateError("the last scan is from an incompatible version; scan again")
    try:
        return ScanResult.from_dict(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"the last scan is damaged ({exc}); scan again") from None
