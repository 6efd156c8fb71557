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

from neardup.api import DEFAULT_INDEX, DEFAULT_THRESHOLD
from neardup.errors import NeardupWarning, UsageError
from neardup.hashing import ALGORITHMS

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


# Options shared by every command that scans (scan, delete PATH..., show PATH...).
IndexOpt = Annotated[
    str,
    typer.Option(
        "--index", "-i", help="Search backend (see 'neardup backends').", show_default=True
    ),
]
IndexOptOpt = Annotated[
    list[str] | None,
    typer.Option("--index-opt", help="Backend option key=value (repeatable).", show_default=False),
]
HashOpt = Annotated[
    str,
    typer.Option("--hash", help=f"Hash algorithm: {', '.join(ALGORITHMS)}.", show_default=True),
]
HashSizeOpt = Annotated[
    int, typer.Option("--hash-size", help="Hash grid side: 8 (64 bits) or 16 (256 bits).")
]
ThresholdOpt = Annotated[
    int,
    typer.Option(
        "--threshold", "-t", min=0, help="Largest Hamming distance that counts as a near-duplicate."
    ),
]
RecursiveOpt = Annotated[
    bool, typer.Option("--recursive/--no-recursive", help="Descend into sub-folders.")
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Glob of names or relative paths to skip (repeatable)."),
]
HiddenOpt = Annotated[
    bool,
    typer.Option("--hidden", help="Include hidden files and folders (names starting with '.')."),
]
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
JobsOpt = Annotated[
    int,
    typer.Option(
        "--jobs", "-j", min=0, help="Hashing processes; 0 uses every core, 1 hashes in-process."
    ),
]
CompatOpt = Annotated[
    bool,
    typer.Option(
        "--compat",
        help="Decode images in full and hash them bit-for-bit as ImageHash (slower).",
    ),
]
MaxPixelsOpt = Annotated[
    int,
    typer.Option(
        "--max-pixels", min=1, help="Skip images with more pixels than this (decompression bombs)."
    ),
]
TableJsonOpt = Annotated[
    TableOrJson, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
TrimOpt = Annotated[
    bool | None,
    typer.Option(
        "--trim/--no-trim",
        help="Also hash each image without uniform margins (frames, letterboxing) and "
        "match on either hash. Default: on.",
        show_default=False,
    ),
]
VerifyOpt = Annotated[
    bool | None,
    typer.Option(
        "--verify/--no-verify",
        help="Confirm every pair by correlating small greyscale views of the two "
        "images. Default: on.",
        show_default=False,
    ),
]
VerifyMinOpt = Annotated[
    float,
    typer.Option(
        "--verify-min", min=-1.0, max=1.0, help="Smallest correlation verification accepts."
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="List every skipped file with its reason.")
]

DEFAULTS = {"index": DEFAULT_INDEX, "threshold": DEFAULT_THRESHOLD, "hash": "phash", "hash_size": 8}
