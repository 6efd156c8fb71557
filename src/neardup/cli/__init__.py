"""The ``neardup`` command line: a thin Typer layer over the library.

Exit codes: 0 ok, 1 error, 2 usage error, 3 duplicates found with
``--fail-on-duplicates``, 130 interrupted.
"""

from __future__ import annotations

import sys

import typer

from neardup import __version__
from neardup.cli.common import (
    EXIT_INTERRUPTED,
    err_console,
    install_warning_printer,
    print_error,
)
from neardup.errors import NeardupError

app = typer.Typer(
    name="neardup",
    help="Find and safely remove near-duplicate images.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


# Commands register themselves on ``app`` when their module is imported.
from neardup.cli import backends as _backends  # noqa: E402,F401
from neardup.cli import bench as _bench  # noqa: E402,F401
from neardup.cli import catalog as _catalog  # noqa: E402,F401
from neardup.cli import delete as _delete  # noqa: E402,F401
from neardup.cli import eval as _eval  # noqa: E402,F401
from neardup.cli import find as _find  # noqa: E402,F401
from neardup.cli import scan as _scan  # noqa: E402,F401
from neardup.cli import show as _show  # noqa: E402,F401


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
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print_error(exc.format_message())
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    if rv == EXIT_INTERRUPTED:  # Typer turns Ctrl-C into a returned 130
        err_console.print("interrupted")
    sys.exit(rv if isinstance(rv, int) else 0)
