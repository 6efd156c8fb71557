"""``neardup find``: the catalogued images nearest to query images."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from neardup.cli.common import (
    CatalogOpt,
    OutputOpt,
    TableJsonOpt,
    TableOrJson,
    console,
    output_stream,
)
from neardup.cli.options import with_scan_options
from neardup.model import ScanOptions

if TYPE_CHECKING:
    from neardup.pipeline.find import FindResult


@with_scan_options(
    "threshold", "index", "index_options", "hash", "hash_size", "compat", "jobs", "trim",
    "verify", "verify_min",
)  # fmt: skip
def find_command(
    images: Annotated[
        list[Path],
        typer.Argument(
            help="Query image files.", show_default=False, dir_okay=False, metavar="IMAGE"
        ),
    ],
    within: Annotated[
        list[Path] | None,
        typer.Option(
            "--in",
            metavar="PATH",
            help="Search only below PATH, updating the catalog for it first (repeatable). "
            "Default: every image in the catalog.",
            show_default=False,
        ),
    ] = None,
    options: ScanOptions = ScanOptions(),
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=1, help="At most N matches per query image."),
    ] = None,
    catalog: CatalogOpt = None,
    fmt: TableJsonOpt = TableOrJson.table,
    output: OutputOpt = None,
) -> None:
    """Find the catalogued images nearest to each IMAGE, with their distances.

    A query image need not be in the catalog. Candidates are the images earlier scans
    stored in the catalog (same --hash and --hash-size), or the images below --in PATH.
    As in 'scan', images are also matched without their uniform margins and every match
    is confirmed on small greyscale views (--no-trim, --no-verify turn that off).
    Exit code 0 when every query has a match, 1 when some has none.
    """
    from neardup.api import find_similar
    from neardup.report import write_json

    results = find_similar(images, options, within=within or (), catalog=catalog, limit=limit)
    spec = options.spec
    if fmt is TableOrJson.json:
        doc = {
            "settings": {
                "hash": options.hash,
                "hash_size": options.hash_size,
                "threshold": options.threshold,
                "index": options.index,
                "compat": options.compat,
                "trim": options.trim,
                "verify": options.verify,
                "verify_min": options.verify_min,
                "in": [str(p.resolve()) for p in within or ()],
            },
            "results": [r.to_dict(spec) for r in results],
        }
        with output_stream(output) as stream:
            write_json(doc, stream)
    else:
        table = render_matches(results)
        if output is None:
            console.print(table)
        else:
            from rich.console import Console

            with output_stream(output) as stream:
                Console(file=stream, width=160, no_color=True).print(table)
    if not all(r.matches for r in results):
        raise typer.Exit(1)


def render_matches(results: list[FindResult]) -> Table:
    """A block of rows per query: the query, then its matches nearest first."""
    from neardup.report import format_bytes
    from neardup.report.text import shown

    table = Table(show_lines=False)
    table.add_column("query / match", overflow="fold")
    table.add_column("dist", justify="right", no_wrap=True)
    table.add_column("pixels", justify="right", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    for r in results:
        if r.skipped is not None:
            table.add_row(f"[bold]{shown(r.query)}[/]", "", "", "")
            table.add_row(f"  [red]cannot hash: {shown(r.skipped.detail)}[/]", "", "", "")
            continue
        table.add_row(f"[bold]{shown(r.query)}[/]", "", "", "")
        if not r.matches:
            table.add_row("  [dim]no match within the threshold[/]", "", "", "")
        for m in r.matches:
            rec = m.record
            table.add_row(
                f"  {shown(rec.path)}",
                str(m.distance),
                f"{rec.width}×{rec.height}",
                format_bytes(rec.size),
            )
    return table
