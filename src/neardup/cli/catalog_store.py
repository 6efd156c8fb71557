"""``neardup catalog import/export --store URL``: move hashes between the local catalog
and a Parquet hash store (docs/scale-out.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    """Append every hash (with its verification views, and the alternates a scan with the
    default options uses) of the catalog to ``store``."""
    from neardup.catalog import Catalog
    from neardup.catalog.extras import alternates_kind
    from neardup.model import ImageRecord, ScanOptions
    from neardup.pipeline.hashstore import HashStore

    target = HashStore(store)
    default = ScanOptions()
    kind = alternates_kind(default.trim, default.invariant, default.crop)
    total = 0
    with Catalog(catalog) as cat:
        for spec in cat.hash_kinds():
            outcomes = cat.kind_outcomes(spec)
            records = [o for o in outcomes if isinstance(o, ImageRecord)]
            views = cat.load_views(records)
            alternates = cat.load_alternates(records, spec, kind)
            total += target.append(outcomes, spec, views=views, alternates=alternates, kind=kind)
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
            by_kind: dict[str, list[dict[str, Any]]] = {}  # rows by the kind of alternates
            for row in source.rows(spec):
                by_kind.setdefault(row["alternates_kind"] or "", []).append(row)
            for kind, rows in by_kind.items():
                writing = cat.writer(spec, max_pixels=DEFAULT_MAX_PIXELS, alternates_kind=kind)
                with writing as writer:
                    for row in rows:
                        outcome = outcome_of(row)
                        if outcome is None:
                            continue
                        stat = FileStat(row["size"], row["mtime_ns"], 0, 0)
                        writer.add(outcome, stat, alternates=row["alternates"] if kind else None)
                        total += 1
                        if isinstance(outcome, ImageRecord) and row["views"] is not None:
                            views.append((outcome, row["views"]))
            if views:
                cat.store_views(views)
    console.print(f"imported {total:,} hashes from {store}", markup=False, soft_wrap=True)
