"""``neardup catalog import/export --store URL``: move hashes between the local catalog
and a Parquet hash store (docs/scale-out.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from neardup.cli.common import CatalogOpt, console

StoreOpt = Annotated[
    str,
    typer.Option(
        "--store",
        metavar="URL",
        help="The Parquet hash store: a folder or fsspec URL (s3://bucket/hashes).",
    ),
]


def export_to_store(catalog: Path | None, store: str) -> None:
    """Append every hash (and verification views) of the catalog to ``store``."""
    from neardup.catalog import Catalog
    from neardup.model import ImageRecord
    from neardup.pipeline.hashstore import HashStore

    target = HashStore(store)
    total = 0
    with Catalog(catalog) as cat:
        for spec in cat.hash_kinds():
            outcomes = cat.kind_outcomes(spec)
            records = [o for o in outcomes if isinstance(o, ImageRecord)]
            views = cat.load_views(records)
            total += target.append(outcomes, spec, views=views)
    console.print(f"exported {total:,} hashes to {store}", markup=False, soft_wrap=True)


def import_command(store: StoreOpt, catalog: CatalogOpt = None) -> None:
    """Copy the hashes of a Parquet hash store into the catalog (newest row per file).

    Rows the catalog already has for the same file, size and time are replaced; local
    scans then reuse them like their own.
    """
    from neardup.catalog import Catalog
    from neardup.catalog.hashes import FileStat
    from neardup.model import DEFAULT_MAX_PIXELS, ImageRecord
    from neardup.pipeline.hashstore import HashStore, outcome_of

    source = HashStore(store)
    total = 0
    with Catalog(catalog) as cat:
        for spec in source.kinds():
            views: list[tuple[ImageRecord, bytes]] = []
            with cat.writer(spec, max_pixels=DEFAULT_MAX_PIXELS) as writer:
                for row in source.rows(spec):
                    outcome = outcome_of(row)
                    if outcome is None:
                        continue
                    writer.add(outcome, FileStat(row["size"], row["mtime_ns"], 0, 0))
                    total += 1
                    if isinstance(outcome, ImageRecord) and row["views"] is not None:
                        views.append((outcome, row["views"]))
            if views:
                cat.store_views(views)
    console.print(f"imported {total:,} hashes from {store}", markup=False, soft_wrap=True)
