"""The hash catalog: an SQLite database that remembers every hash neardup computed.

A rescan hashes only the files that are new or whose size or modification time changed;
every other hash comes from the catalog. The catalog also keeps the history of scans and
the full result of the last one (for ``delete`` and ``show``).

* :mod:`~neardup.catalog.store`: connection, WAL, migrations, recovery of a damaged file;
* :mod:`~neardup.catalog.hashes`: hashes, incremental lookups;
* :mod:`~neardup.catalog.extras`: verification views and the alternates of ``--invariant``
  and ``--crop``;
* :mod:`~neardup.catalog.scans`: the scan history and the last scan;
* :mod:`~neardup.catalog.maintenance`: statistics, prune, vacuum, export;
* :mod:`~neardup.catalog.decisions`: what a person decided in ``neardup review``;
* :mod:`~neardup.catalog.paths`: where neardup keeps its own files;
* :mod:`~neardup.catalog.db`: :class:`Catalog`, all of it together, and the last scan.

Names are imported on first use, so :mod:`neardup.catalog.paths` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neardup import lazy_attributes

_EXPORTS = {
    "CACHED_FAILURES": "neardup.catalog.hashes",
    "CacheHits": "neardup.catalog.hashes",
    "CatalogWriter": "neardup.catalog.writer",
    "FileStat": "neardup.catalog.hashes",
    "hash_mode": "neardup.catalog.hashes",
    "CatalogStats": "neardup.catalog.maintenance",
    "KEEP_DOCUMENTS": "neardup.catalog.scans",
    "MEMORY": "neardup.catalog.store",
    "MIGRATIONS": "neardup.catalog.migrations",
    "SCHEMA_VERSION": "neardup.catalog.store",
    "default_path": "neardup.catalog.store",
    "storable": "neardup.catalog.store",
    "Catalog": "neardup.catalog.db",
    "CatalogArg": "neardup.catalog.db",
    "load_last_scan": "neardup.catalog.db",
    "not_duplicate_pairs": "neardup.catalog.db",
    "MARKS": "neardup.catalog.decisions",
    "Pair": "neardup.catalog.decisions",
    "save_last_scan": "neardup.catalog.db",
}
__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)

if TYPE_CHECKING:
    from neardup.catalog.db import (
        Catalog,
        CatalogArg,
        load_last_scan,
        not_duplicate_pairs,
        save_last_scan,
    )
    from neardup.catalog.decisions import MARKS, Pair
    from neardup.catalog.hashes import CACHED_FAILURES, CacheHits, FileStat, hash_mode
    from neardup.catalog.maintenance import CatalogStats
    from neardup.catalog.migrations import MIGRATIONS
    from neardup.catalog.scans import KEEP_DOCUMENTS
    from neardup.catalog.store import MEMORY, SCHEMA_VERSION, default_path, storable
    from neardup.catalog.writer import CatalogWriter

__all__ = [
    "CACHED_FAILURES",
    "KEEP_DOCUMENTS",
    "MARKS",
    "MEMORY",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "CacheHits",
    "Catalog",
    "CatalogArg",
    "CatalogStats",
    "CatalogWriter",
    "FileStat",
    "Pair",
    "default_path",
    "hash_mode",
    "load_last_scan",
    "not_duplicate_pairs",
    "save_last_scan",
    "storable",
]
