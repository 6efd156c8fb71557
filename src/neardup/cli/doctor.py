"""``neardup doctor``: which optional parts are installed and working, and where files live."""

from __future__ import annotations

import csv
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from neardup.cli.common import (
    EXIT_ERROR,
    FormatOpt,
    OutputFormat,
    console,
    err_console,
)
from neardup.report import format_bytes, write_json

if TYPE_CHECKING:
    from neardup.tools.doctor import Check, Diagnosis


def doctor_command(
    fmt: FormatOpt = OutputFormat.table,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the table of feature extras.")
    ] = False,
) -> None:
    """Check this installation: optional extras, HEIC/AVIF, trash, backends, folders.

    Each extra is listed as installed or not; an installed one is smoke-tested (a tiny
    image decoded, a tiny index built). Exits 1 when an installed extra does not work.
    """
    from neardup.tools.doctor import diagnose

    diag = diagnose()
    if fmt is OutputFormat.json:
        write_json(diag.to_dict(), sys.stdout)
    elif fmt is OutputFormat.csv:
        _write_csv(diag)
    else:
        _print_tables(diag, quiet=quiet)
    if not diag.healthy:
        broken = ", ".join(e.name for e in diag.extras if e.working is False)
        err_console.print(f"neardup: error: installed extras that do not work: {broken}")
        raise typer.Exit(EXIT_ERROR)


def _yes_no(value: bool | None) -> str:
    if value is None:
        return "[dim]–[/]"
    return "[green]yes[/]" if value else "[red]no[/]"


def _print_tables(diag: Diagnosis, *, quiet: bool) -> None:
    extras = Table(title="optional extras", title_justify="left")
    for col in ("extra", "installed", "working", "detail"):
        extras.add_column(col, overflow="fold")
    for e in diag.extras:
        if quiet and e.kind == "development":
            continue
        detail = e.detail if e.installed else f"{e.detail}  →  {e.install}"
        extras.add_row(e.name, _yes_no(e.installed), _yes_no(e.working), escape(detail))
    console.print(extras)
    if quiet:
        return

    checks = Table(title="formats, trash and backends", title_justify="left")
    for col in ("what", "name", "available", "detail"):
        checks.add_column(col, overflow="fold")
    rows: list[tuple[str, Check]] = [("format", c) for c in diag.formats]
    rows.append(("trash", diag.trash))
    rows += [("backend", c) for c in diag.backends]
    for what, c in rows:
        checks.add_row(what, c.name, _yes_no(c.available), escape(c.detail))
    console.print(checks)

    libs = Table(title="versions", title_justify="left")
    libs.add_column("library")
    libs.add_column("version")
    libs.add_row("python", escape(diag.python))
    libs.add_row("platform", escape(diag.platform))
    for name, version in diag.libraries.items():
        libs.add_row(name, escape(version) if version else "[dim]not installed[/]")
    console.print(libs)

    where = Table(title="where neardup keeps its files", title_justify="left")
    for col in ("folder", "path", "size", "holds"):
        where.add_column(col, overflow="fold")
    for loc in diag.locations:
        if not loc.exists:
            size = "[dim]not created yet[/]"
        else:
            size = f"{format_bytes(loc.bytes)} in {loc.files} files"
        contents = ", ".join(f"{n} ({format_bytes(b)})" for n, b in loc.entries)
        where.add_row(loc.name, escape(loc.path), size, escape(contents or loc.purpose))
    console.print(where)
    if diag.home_override:
        console.print(f"NEARDUP_HOME is set: everything lives under {escape(diag.home_override)}")


def _write_csv(diag: Diagnosis) -> None:
    """One row per finding: section, name, ok, version or size, detail."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["section", "name", "ok", "value", "detail"])
    for e in diag.extras:
        ok: Any = "" if e.working is None else e.working
        writer.writerow(["extra", e.name, ok, "installed" if e.installed else "missing", e.detail])
    for c in diag.formats:
        writer.writerow(["format", c.name, c.available, "", c.detail])
    writer.writerow(["trash", diag.trash.name, diag.trash.available, "", diag.trash.detail])
    for c in diag.backends:
        writer.writerow(["backend", c.name, c.available, "", c.detail])
    for name, version in diag.libraries.items():
        writer.writerow(["library", name, version is not None, version or "", ""])
    for loc in diag.locations:
        writer.writerow(["location", loc.name, loc.exists, loc.bytes, loc.path])
