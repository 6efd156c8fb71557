"""``neardup backends``: list every installed search backend and its options."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from neardup.cli import app
from neardup.cli.common import console
from neardup.index.base import IndexOption
from neardup.index.info import BackendInfo, describe_all
from neardup.report.tabular import write_json


class BackendsFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("backends")
def backends_command(
    format: Annotated[
        BackendsFormat,
        typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
    ] = BackendsFormat.table,
) -> None:
    """List the installed search backends (entry-point group 'neardup.indexes').

    For each: the package it comes from, whether it is exact (finds every pair within the
    threshold) or approximate, its metric, whether it can run here (and if not, why and
    what to install), its operations, and the options '--index-opt key=value' accepts.
    """
    infos = describe_all()
    if format is BackendsFormat.json:
        write_json({"backends": [info.to_dict() for info in infos]}, sys.stdout)
        return
    console.print(render_backends(infos))


def render_backends(infos: list[BackendInfo]) -> Table:
    table = Table(show_lines=True)
    table.add_column("name", min_width=12, max_width=36)
    table.add_column("package", no_wrap=True)
    table.add_column("search", no_wrap=True)
    table.add_column("viable")
    table.add_column("operations")
    table.add_column("options (--index-opt key=value)", min_width=30)
    for info in infos:
        search = "?" if info.exact is None else "exact" if info.exact else "approximate"
        package = f"{info.distribution or '?'} {info.version or ''}".strip()
        viable = "[green]yes[/]" if info.viable else f"[red]no[/]: {escape(info.reason or '')}"
        table.add_row(
            f"[bold]{escape(info.name)}[/]\n{escape(info.summary)}",
            escape(package),
            f"{search}\n{info.metric or ''}",
            viable,
            ", ".join(info.operations),
            "\n".join(_option_line(key, opt) for key, opt in info.options) or "–",
        )
    return table


def _option_line(key: str, opt: IndexOption) -> str:
    return escape(f"{key}={opt.default!r} ({opt.type.__name__}): {opt.help}")
