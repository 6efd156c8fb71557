"""``neardup demo``: build a sample library with planted near-duplicates and scan it."""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from neardup.cli.common import TableJsonOpt, TableOrJson, console
from neardup.report import render_groups, summary_line, write_json

if TYPE_CHECKING:
    from neardup.actions import Plan, PlanItem
    from neardup.model import ScanResult
    from neardup.tools.demo import DemoOutcome, ShowOutput


def demo_command(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Build the library in DIR and keep it (new, empty, or an earlier demo).",
            file_okay=False,
            show_default=False,
            metavar="DIR",
        ),
    ] = None,
    keep: Annotated[
        bool,
        typer.Option("--keep", help="Keep the library (in a temporary folder) after the demo."),
    ] = False,
    fmt: TableJsonOpt = TableOrJson.table,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the one-line result.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also list every planted copy.")
    ] = False,
    report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report",
            help="Write the 'show' review page, and its map when the show extra is installed.",
        ),
    ] = True,
) -> None:
    """Try neardup on a small sample library with planted near-duplicates.

    Five photos ship with neardup; the demo copies them the way copies happen in real
    collections (re-encoded, resized, watermarked, rotated by an EXIF tag, mirrored), scans
    the library with the default settings, and shows the groups found, the copies missed and
    what 'delete --dry-run' would do, and writes the review page of 'show'. It writes only
    in the library folder (and neardup's cache folder: thumbnails, and the review page of a
    temporary library); the hash catalog and the last scan are left alone. Works offline in
    a few seconds.
    """
    from neardup.catalog.paths import cache_dir, ensure
    from neardup.tools.demo import REPORT_FOLDER, run_demo, write_show

    with _library_folder(output, keep or output is not None) as (root, kept):
        outcome = run_demo(root)
        shown = None
        if report:
            folder = root / REPORT_FOLDER if kept else ensure(cache_dir()) / "demo-report"
            shown = write_show(outcome.result, folder)
        if fmt is TableOrJson.json:
            doc = outcome.to_dict()
            doc["kept"] = kept
            doc["report"] = str(shown.report) if shown else None
            doc["map"] = str(shown.map) if shown and shown.map else None
            write_json(doc, sys.stdout)
            return
        _print_outcome(outcome, quiet=quiet, verbose=verbose)
        if not quiet:
            if shown:
                _print_show(shown, kept=kept)
            _print_where(outcome, kept=kept)


@contextlib.contextmanager
def _library_folder(output: Path | None, keep: bool) -> Iterator[tuple[Path, bool]]:
    if output is not None:
        yield output, True
        return
    tmp = Path(tempfile.mkdtemp(prefix="neardup-demo-"))
    try:
        yield tmp, keep
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def _print_outcome(outcome: DemoOutcome, *, quiet: bool, verbose: bool) -> None:
    from neardup.report.actions import plan_summary, reason_legend, render_plan

    lib = outcome.library
    result = outcome.result
    found, planted = outcome.found_groups, lib.planted_groups
    headline = (
        f"Found {len(result.groups)} groups of near-duplicates "
        f"({found} of {planted} planted groups, {len(outcome.found)} of "
        f"{len(lib.copies)} planted copies)."
    )
    if quiet:
        console.print(headline, markup=False, soft_wrap=True)
        return
    console.print(
        f"[bold]Sample library[/]: {escape(str(lib.root))}\n"
        f"{len(lib.originals)} photos and {len(lib.copies)} copies made of them; "
        "scanned with the default settings.\n"
    )
    if result.groups:
        console.print(render_groups(_relative_paths(result, lib.root)))
    console.print(summary_line(result), markup=False, soft_wrap=True)
    console.print(f"\n[bold]{escape(headline)}[/]", soft_wrap=True)
    if verbose:
        console.print(_planted_table(outcome))
    for copy in outcome.missed:
        why = (
            "a perceptual hash does not see mirror images as near-duplicates"
            if copy.kind == "mirrored"
            else "further than the threshold from its original"
        )
        dist = outcome.distance(copy)
        bits = "" if dist is None else f", {dist} bits from its original"
        console.print(
            f"  not found: {escape(copy.path)} ({copy.kind}{bits}): {why}", soft_wrap=True
        )
    if outcome.unexpected_groups:
        console.print(
            f"  [yellow]{outcome.unexpected_groups} group(s) mix different photos[/]: "
            "false positives at this threshold"
        )
    plan = outcome.plan()
    console.print(f"\n[bold]What '{_delete_command(lib.root)}' would do[/]:")
    if plan.groups:
        console.print(render_plan(_relative_plan(plan, lib.root)))
        console.print(reason_legend(plan), markup=False, soft_wrap=True)
    console.print("dry run, nothing changed; " + plan_summary(plan), markup=False)


def _relative_paths(result: ScanResult, root: Path) -> ScanResult:
    """A copy of ``result`` whose paths are relative to the library, for a narrower table."""
    records = [
        dataclasses.replace(r, path=Path(r.path).relative_to(root).as_posix())
        for r in result.records
    ]
    return dataclasses.replace(result, records=records)


def _planted_table(outcome: DemoOutcome) -> Table:
    table = Table(title="planted copies")
    table.add_column("", no_wrap=True)
    table.add_column("copy", overflow="fold")
    table.add_column("of", no_wrap=True)
    table.add_column("how", no_wrap=True)
    table.add_column("dist", justify="right")
    for copy in outcome.library.copies:
        mark = "[green]found[/]" if copy in outcome.found else "[yellow]missed[/]"
        dist = outcome.distance(copy)
        table.add_row(
            mark,
            escape(copy.path),
            escape(Path(copy.original).name),
            escape(copy.kind),
            "–" if dist is None else str(dist),
        )
    return table


def _relative_plan(plan: Plan, root: Path) -> Plan:
    """A copy of ``plan`` whose paths are relative to the library, for a narrower table."""
    from neardup.actions import PlanGroup

    def rel(item: PlanItem) -> PlanItem:
        path = Path(item.record.path).relative_to(root).as_posix()
        return dataclasses.replace(item, record=dataclasses.replace(item.record, path=path))

    groups = [PlanGroup(g.id, tuple(rel(i) for i in g.items)) for g in plan.groups]
    return dataclasses.replace(plan, groups=groups)


def _delete_command(root: Path) -> str:
    return f"neardup delete --dry-run {shlex.quote(str(root))}"


def _print_show(shown: ShowOutput, *, kept: bool) -> None:
    where = "" if kept else " (it stays when the library is removed)"
    console.print(f"\n[bold]Review page[/]{where}: {escape(str(shown.report))}", soft_wrap=True)
    if shown.map:
        console.print(f"[bold]Map[/]: {escape(str(shown.map))}", soft_wrap=True)
    elif shown.map_missing_reason:
        console.print(f"No map: {escape(shown.map_missing_reason)}", soft_wrap=True)


def _print_where(outcome: DemoOutcome, *, kept: bool) -> None:
    root = outcome.library.root
    q = shlex.quote(str(root))
    if not kept:
        console.print(
            "\nThe sample library was a temporary folder and has been removed.\n"
            "Keep it to try the commands yourself: [bold]neardup demo --keep[/] "
            "(or --output DIR)."
        )
        return
    console.print(f"\n[bold]Everything is in[/] {escape(str(root))}")
    console.print(f"  photos/       the {len(outcome.library.originals)} originals")
    console.print("  backup/ edited/ phone/ shared/ web/   the planted copies")
    commands = [f"neardup scan {q}", _delete_command(root), f"neardup show {q}"]
    console.print("Try next:")
    for cmd in commands:
        console.print(f"  {escape(cmd)}", markup=True, soft_wrap=True)
    console.print(f"Remove it when done: rm -r {escape(q)}", soft_wrap=True)
