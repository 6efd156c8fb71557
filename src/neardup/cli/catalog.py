"""``neardup catalog``: inspect and maintain the hash catalog."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from neardup.cli.catalog_store import export_to_store, import_command
from neardup.cli.common import (
    CatalogOpt,
    OutputOpt,
    TableJsonOpt,
    TableOrJson,
    console,
    output_stream,
)
from neardup.report import format_bytes, write_json

if TYPE_CHECKING:
    from neardup.catalog import Catalog

EXPORT_FIELDS = (
    "path",
    "algorithm",
    "hash_size",
    "mode",
    "hash",
    "current",
    "width",
    "height",
    "bytes",
    "mtime_ns",
    "inode",
    "device",
    "exif_datetime",
    "first_seen",
    "last_seen",
    "vanished",
    "error",
    "error_detail",
)


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


def stats_command(catalog: CatalogOpt = None, fmt: TableJsonOpt = TableOrJson.table) -> None:
    """Counts and size of the catalog: files, hashes per kind, failures, verification views,
    scans."""
    with _open(catalog) as cat:
        stats = cat.stats()
    if fmt is TableOrJson.json:
        write_json(stats.to_dict(), _stdout())
        return
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("catalog", escape(stats.path))
    table.add_row("schema version", str(stats.schema_version))
    table.add_row("size on disk", format_bytes(stats.bytes))
    table.add_row("files", f"{stats.files:,} ({stats.vanished:,} vanished)")
    for kind, n in stats.hashes.items():
        table.add_row(f"hashes {escape(kind)}", f"{n:,}")
    table.add_row("cached failures", f"{stats.failures:,}")
    views = f"{stats.views:,} images ({format_bytes(stats.views_bytes)})"
    table.add_row("verification views", views)
    for kind, n in stats.alternates.items():
        table.add_row(f"alternates {escape(kind)}", f"{n:,} images")
    table.add_row("verification verdicts", f"{stats.verdicts:,} pairs")
    table.add_row(
        "scans", f"{stats.scans:,}" + (f" (last {stats.last_scan})" if stats.scans else "")
    )
    console.print(table)


def prune_command(
    catalog: CatalogOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Only list what would be removed.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every path.")] = False,
) -> None:
    """Remove the entries of files that are gone (vanished or missing now).

    Only catalog rows are removed; no image file is touched.
    """
    with _open(catalog) as cat:
        gone = cat.prune(dry_run=dry_run)
    if verbose or dry_run:
        for path in gone:
            console.print(path, markup=False, soft_wrap=True)
    verb = "would remove" if dry_run else "removed"
    console.print(f"{verb} {len(gone):,} entries of files that are gone", markup=False)


def vacuum_command(catalog: CatalogOpt = None) -> None:
    """Compact the catalog file (SQLite VACUUM) and fold in its write-ahead log."""
    with _open(catalog) as cat:
        before, after = cat.vacuum()
    console.print(f"{format_bytes(before)} -> {format_bytes(after)}", markup=False)


def export_command(
    catalog: CatalogOpt = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = ExportFormat.csv,
    output: OutputOpt = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="URL",
            help="Append the hashes to this Parquet hash store (folder or fsspec URL) "
            "instead of writing CSV/JSON.",
        ),
    ] = None,
) -> None:
    """Write every catalog entry (one row per file and hash kind) as CSV or JSON.

    Hashes are hex (as ImageHash prints them); 'current' says whether the hash still
    matches the file's recorded size and modification time. With --store, the hashes
    and verification views go to a Parquet hash store ('neardup catalog import' brings
    them back).
    """
    if store is not None:
        export_to_store(catalog, store)
        return
    with _open(catalog) as cat, output_stream(output) as stream:
        rows = cat.export_rows()
        if fmt is ExportFormat.json:
            write_json({"catalog": cat.location, "entries": list(rows)}, stream)
        else:
            writer = csv.DictWriter(stream, fieldnames=EXPORT_FIELDS, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow(row)


def forget_decisions_command(
    catalog: CatalogOpt = None,
    marks: Annotated[
        bool, typer.Option("--marks/--no-marks", help="Forget the keeper and deletion marks.")
    ] = True,
    not_duplicates: Annotated[
        bool,
        typer.Option(
            "--not-duplicates/--no-not-duplicates",
            help="Forget the pairs marked not duplicates (scans group them again).",
        ),
    ] = True,
) -> None:
    """Forget what 'neardup review' recorded: marks and pairs marked not duplicates.

    No image file is touched.
    """
    with _open(catalog) as cat:
        n_marks, n_pairs = cat.forget_decisions(marks=marks, not_duplicates=not_duplicates)
    console.print(
        f"forgot {n_marks:,} mark{'' if n_marks == 1 else 's'} and {n_pairs:,} "
        f"pair{'' if n_pairs == 1 else 's'} marked not duplicates",
        markup=False,
    )


def history_command(
    catalog: CatalogOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Newest N scans.")] = 20,
    fmt: TableJsonOpt = TableOrJson.table,
) -> None:
    """Past scans, newest first: when, which paths, what they found."""
    with _open(catalog) as cat:
        scans = cat.history(limit)
    if fmt is TableOrJson.json:
        write_json({"scans": scans}, _stdout())
        return
    table = Table()
    for col in ("id", "created", "paths", "images", "from catalog", "groups", "seconds"):
        table.add_column(col, overflow="fold")
    for s in scans:
        summ: dict[str, Any] = s["summary"]
        table.add_row(
            str(s["id"]),
            s["created"],
            escape(", ".join(s["paths"])),
            str(summ.get("images_hashed", "")),
            str(summ.get("images_from_catalog", "")),
            str(summ.get("groups", "")),
            str(summ.get("seconds", "")),
        )
    console.print(table)


def _open(path: Path | None) -> Catalog:
    """The catalog at ``path`` (imported here: the command line starts without it)."""
    from neardup.catalog import Catalog

    return Catalog(path)


def _stdout() -> Any:
    return sys.stdout


#: The ``neardup catalog`` sub-commands, by name.
COMMANDS: dict[str, Callable[..., Any]] = {
    "stats": stats_command,
    "prune": prune_command,
    "vacuum": vacuum_command,
    "export": export_command,
    "import": import_command,
    "forget-decisions": forget_decisions_command,
    "history": history_command,
}
