"""Shared pieces of the CLI: consoles, output formats, error printing, shared options."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from neardup.errors import NeardupWarning, UsageError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_DUPLICATES = 3
EXIT_INTERRUPTED = 130

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class TableOrJson(StrEnum):
    """Output format of commands that print a table or JSON (no CSV)."""

    table = "table"
    json = "json"


def print_error(message: str, hint: str | None = None) -> None:
    """One line on stderr (plus an optional hint line), never a traceback."""
    err_console.print(f"neardup: error: {message}", markup=False, soft_wrap=True)
    if hint:
        err_console.print(f"hint: {hint}", markup=False, soft_wrap=True)


def print_warning(message: str) -> None:
    """One warning line on stderr (line breaks in ``message`` become spaces)."""
    line = " ".join(message.split())
    err_console.print(f"neardup: warning: {line}", markup=False, soft_wrap=True)


def _from_pillow(filename: str) -> bool:
    return "PIL" in Path(filename).parts


def install_warning_printer() -> None:
    """Show neardup's own warnings, and Pillow's, as one ``neardup: warning:`` line each
    (Pillow's once per message, without its source line); others as usual."""
    default = warnings.showwarning
    if getattr(default, "neardup", False):
        return
    shown: set[str] = set()

    def show(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
        filename = str(args[0]) if args else str(kw.get("filename", ""))
        if issubclass(category, NeardupWarning):
            print_warning(str(message))
        elif _from_pillow(filename) or category.__module__.startswith("PIL"):
            text = " ".join(str(message).split())
            if text not in shown:
                shown.add(text)
                print_warning(f"image library: {text}")
        else:
            default(message, category, *args, **kw)

    show.neardup = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def parse_index_options(items: list[str] | None) -> dict[str, str]:
    """``["k=v", ...]`` → ``{"k": "v"}``; a malformed item is a usage error."""
    opts: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--index-opt takes key=value, got {item!r}")
        opts[key.strip()] = value.strip()
    return opts


@contextlib.contextmanager
def output_stream(output: Path | None) -> Iterator[Any]:
    """Yield a text stream: the ``--output`` file (written atomically enough) or stdout."""
    if output is None:
        yield sys.stdout
        return
    try:
        fh = output.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    with fh:
        yield fh


def progress_bar(
    enabled: bool, label: str
) -> contextlib.AbstractContextManager[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr (files/s, ETA) or ``None`` when disabled.

    It is drawn only while both stdout and stderr are terminals: output piped or redirected
    stays free of control sequences.
    """
    if not enabled or not err_console.is_terminal or not console.is_terminal:
        return contextlib.nullcontext(None)
    return _rich_progress(label)


@contextlib.contextmanager
def _rich_progress(label: str) -> Iterator[Callable[[int, int], None]]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    class _Rate(TextColumn):
        def render(self, task: Any) -> Any:
            speed = task.finished_speed or task.speed
            self.text_format = f"{speed:,.0f} files/s" if speed else "– files/s"
            return super().render(task)

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _Rate(""),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


# Options of commands that do not scan (format, output, catalog, quiet, ...).
FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write the output to FILE instead of stdout.", dir_okay=False
    ),
]
CatalogOpt = Annotated[
    Path | None,
    typer.Option(
        "--catalog",
        help="Hash catalog file (default: catalog.sqlite in the user data folder).",
        dir_okay=False,
        show_default=False,
    ),
]
TableJsonOpt = Annotated[
    TableOrJson, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="List every skipped file with its reason.")
]


_TYPE_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "bool": "BOOLEAN"}


def plain_type_labels() -> None:
    """Show option types in ``--help`` the way people read them (``INTEGER``, ``PATH``,
    ``[table|json]``), and nothing for on/off flags, instead of Typer's ``<int>``,
    ``<bool>`` and ``<list[str]>`` tags."""
    from typer.core import TyperArgument, TyperOption

    for cls in (TyperOption, TyperArgument):
        original = cls.display_type_rich
        if getattr(original, "neardup", False):
            continue

        def display(self: Any, ctx: Any, _original: Any = original) -> str | None:
            if getattr(self, "is_flag", False) or getattr(self, "count", False):
                return None
            if self.metavar is not None:  # an argument's metavar is its name already
                return None if isinstance(self, TyperArgument) else str(self.metavar)
            label: str | None = _original(self, ctx)
            if not label:
                return label
            suffix = "..." if label.endswith("...") else ""
            inner = label.removesuffix("...").strip("<>")
            inner = inner.removeprefix("list[").removesuffix("]")
            inner = inner.removesuffix(" range")
            if "|" in inner:
                return f"[{inner}]{suffix}"
            if inner in ("file", "directory", "path"):
                return {"file": "FILE", "directory": "DIR"}.get(inner, "PATH") + suffix
            return _TYPE_NAMES.get(inner, inner.upper()) + suffix

        display.neardup = True  # type: ignore[attr-defined]
        cls.display_type_rich = display  # type: ignore[method-assign]
