"""The :class:`Catalog`: every table of the catalog together, the last scan and the review's
"not duplicates" pairs."""

from __future__ import annotations

import os
from pathlib import Path

from neardup.catalog.decisions import DecisionTables, Pair
from neardup.catalog.extras import ExtraTables
from neardup.catalog.hashes import HashTables
from neardup.catalog.maintenance import KindRows, Maintenance
from neardup.catalog.scans import ScanTables
from neardup.catalog.store import MEMORY, default_path
from neardup.catalog.writer import HashWriting
from neardup.errors import NoSavedScanError, StateError
from neardup.model import SCHEMA_VERSION as RESULT_SCHEMA_VERSION
from neardup.model import ScanResult


class Catalog(
    HashTables, HashWriting, ExtraTables, ScanTables, Maintenance, KindRows, DecisionTables
):
    """The SQLite hash catalog at ``path`` (default :func:`default_path`; ``":memory:"``).

    Use as a context manager or call :meth:`close`. Opening a damaged file moves it aside
    and starts a new catalog, with a :class:`~neardup.errors.CatalogRecoveredWarning`.

    Raises:
        CatalogError: the file cannot be opened or created, or was written by a newer
            neardup (its schema is unknown here).

    >>> from neardup.catalog import SCHEMA_VERSION
    >>> with Catalog(":memory:") as cat:
    ...     cat.schema_version == SCHEMA_VERSION
    True
    """


CatalogArg = Catalog | str | os.PathLike[str] | None


def save_last_scan(result: ScanResult, catalog: CatalogArg = None) -> Path:
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


def load_last_scan(catalog: CatalogArg = None) -> ScanResult:
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
    if doc.get("schema_version") != RESULT_SCHEMA_VERSION or "images" not in doc:
        raise StateError("the last scan is from an incompatible version; scan again")
    try:
        return ScanResult.from_dict(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"the last scan is damaged ({exc}); scan again") from None


def not_duplicate_pairs(catalog: CatalogArg = None) -> set[Pair]:
    """Every pair marked "not duplicates" in ``neardup review``; a catalog file that does not
    exist has none (and is not created).

    ``catalog`` is a :class:`Catalog`, a catalog file, or ``None`` for the default one.
    """
    if isinstance(catalog, Catalog):
        return catalog.not_duplicate_pairs()
    path = default_path() if catalog is None else catalog
    if os.fspath(path) != MEMORY and not os.path.exists(path):
        return set()
    with Catalog(path) as cat:
        return cat.not_duplicate_pairs()
