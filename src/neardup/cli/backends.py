"""``neardup backends``: list every installed search backend and its options."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from neardup.cli.common import console
from neardup.report.tabular import write_json

if TYPE_CHECKING:
    from neardup.index.info import BackendInfo
    from neardup.index.options import IndexOption


class BackendsFormat(StrEnum):
    table = "table"
    json = "json"


def backends_command(
    fmt: Annotated[
        BackendsFormat,
        typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
    ] = BackendsFormat.table,
) -> None:
    """List the installed search backends (entry-point group 'neardup.indexes').

    For each: the package it comes from, whether it is exact (finds every pair within the
    threshold) or approximate, its metric, whether it can run here (and if not, why and
    what to install), its operations, and the options '--index-opt key=value' accepts.
    """
    from neardup.index.info import describe_all

    infos = describe_all()
    if fmt is BackendsFormat.json:
        write_json({"backends": [info.to_dict() for info in infos]}, sys.stdout)
        return
    console.print(render_backends(infos))


def render_backends(infos: list[BackendInfo]) -> Group:
    """A narrow table of the backends (readable at 80 columns), then each backend's summary
    and options as indented text."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("name", no_wrap=True, style="bold")
    table.add_column("search", no_wrap=True)
    table.add_column("viable")
    table.add_column("package", no_wrap=True)
    details: list[RenderableType] = []
    for info in infos:
        search = "?" if info.exact is None else "exact" if info.exact else "approximate"
        package = f"{info.distribution or '?'} {info.version or ''}".strip()
        viable = (
            Text("yes", style="green")
            if info.viable
            else Text.assemble(("no", "red"), f": {info.reason or ''}")
        )
        table.add_row(info.name, f"{search}, {info.metric or '?'}", viable, package)
        details.append(Text.assemble((info.name, "bold"), f"  {info.summary}".rstrip()))
        details += [Padding(Text(_option_line(k, o)), (0, 0, 0, 4)) for k, o in info.options]
    return Group(table, Text("options (--index-opt key=value):", style="bold"), *details)


def _option_line(key: str, opt: IndexOption) -> str:
    return f"{key}={opt.default!r} ({opt.type.__name__}): {opt.help}"
