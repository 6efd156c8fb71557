"""The ``neardup`` command line: a thin Typer layer over the library.

Exit codes: 0 ok, 1 error, 2 usage error, 3 duplicates found with
``--fail-on-duplicates``, 130 interrupted.

Every command lives in its own module as a plain function; this module registers them. A
command module imports only what its options need at import time (Typer, the records of
:mod:`neardup.model`), so ``neardup --help`` and ``--version`` start without numpy,
Pillow or any backend.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from typing import Any

import typer

from neardup import __version__
from neardup.cli import backends, bench, catalog, delete, demo, doctor, find, review, scan, show
from neardup.cli import eval as evaluate
from neardup.cli.coercion import light_coercion
from neardup.cli.common import (
    EXIT_INTERRUPTED,
    err_console,
    install_warning_printer,
    plain_type_labels,
    print_error,
)
from neardup.errors import NeardupError

plain_type_labels()
light_coercion()
app = typer.Typer(
    name="neardup",
    help="Find and safely remove near-duplicate images.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help: Typer's rich help formatting alone costs about 0.4 s of start-up.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def help_text(doc: str | None) -> str:
    """A command's docstring as help: each paragraph one line, so the terminal wraps it.

    >>> help_text("One line.\\n\\n    Two\\n    lines.\\n")
    'One line.\\n\\nTwo lines.'
    """
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    return "\n\n".join(re.sub(r"\s*\n\s*", " ", p.strip()) for p in paragraphs)


def _command(group: typer.Typer, name: str, func: Callable[..., Any]) -> None:
    group.command(name, help=help_text(func.__doc__))(func)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"neardup {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Find and safely remove near-duplicate images.

    Scan folders with perceptual hashes, review the groups, then act on them.
    """


_command(app, "scan", scan.scan_command)
_command(app, "find", find.find_command)
_command(app, "delete", delete.delete_command)
_command(app, "undo", delete.undo_command)
_command(app, "history", delete.history_command)
_command(app, "show", show.show_command)
_command(app, "review", review.review_command)
_command(app, "backends", backends.backends_command)
_command(app, "bench", bench.bench_command)
_command(app, "eval", evaluate.eval_command)
_command(app, "demo", demo.demo_command)
_command(app, "doctor", doctor.doctor_command)

catalog_app = typer.Typer(
    help="Inspect and maintain the hash catalog (stats, prune, vacuum, export, import, "
    "history, forget-decisions).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
for _name, _func in catalog.COMMANDS.items():
    _command(catalog_app, _name, _func)
app.add_typer(catalog_app, name="catalog")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app and map every outcome to an exit code."""
    install_warning_printer()
    try:
        rv = app(args=argv, prog_name="neardup", standalone_mode=False)
    except NeardupError as exc:
        print_error(str(exc), exc.hint)
        sys.exit(exc.exit_code)
    except typer.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            err_console.print("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except typer.TyperException as exc:  # usage errors from the command-line parser
        show_help = getattr(exc, "show", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and callable(show_help):
            show_help()  # a bare group: its help is the answer
            sys.exit(exc.exit_code)
        ctx = getattr(exc, "ctx", None)
        hint = f"see '{ctx.command_path} --help'" if ctx is not None else None
        print_error(exc.format_message(), hint)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    if rv == EXIT_INTERRUPTED:  # Typer turns Ctrl-C into a returned 130
        err_console.print("interrupted")
    sys.exit(rv if isinstance(rv, int) else 0)
