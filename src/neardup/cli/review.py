"""``neardup review``: decide group by group in the browser, then delete through the journal."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from neardup.cli.common import QuietOpt, console, err_console
from neardup.cli.delete import Verify
from neardup.cli.options import FILES, SEARCH, with_scan_options
from neardup.cli.scan import scan_or_last
from neardup.errors import ReviewExtraMissing, UsageError, install_hint
from neardup.model import KEEP_RULES, ScanOptions, parse_keep


def require_review_extra() -> None:
    """Raise :class:`ReviewExtraMissing` unless Starlette and uvicorn can be imported."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ReviewExtraMissing(
            f"'neardup review' needs Starlette and uvicorn ({exc.name} is not installed)",
            hint=install_hint("review"),
        ) from None


@with_scan_options(*SEARCH, *FILES)
def review_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files and folders to scan first; without PATH the last scan is reviewed.",
            show_default=False,
            metavar="PATH",
        ),
    ] = None,
    keep: Annotated[
        str | None,
        typer.Option(
            "--keep",
            "-k",
            help=f"Keep rules proposing each keeper ({', '.join(KEEP_RULES)}); "
            "default: the scan's.",
            show_default=False,
        ),
    ] = None,
    move_to: Annotated[
        Path | None,
        typer.Option(
            "--move-to",
            help="Apply moves the files marked for deletion into DIR (keeping their relative "
            "paths) instead of the trash. With --hardlink: where the replaced files go.",
            file_okay=False,
            metavar="DIR",
        ),
    ] = None,
    hardlink: Annotated[
        bool,
        typer.Option(
            "--hardlink",
            help="Apply replaces each file marked for deletion by a hard link to its keeper.",
        ),
    ] = False,
    verify: Annotated[
        Verify,
        typer.Option(
            "--verify",
            help="Re-check before acting: 'hash' (size, mtime and perceptual hash) or "
            "'stat' (size and mtime only).",
            case_sensitive=False,
        ),
    ] = Verify.hash,
    browser: Annotated[
        bool,
        typer.Option(
            "--browser/--no-browser",
            help="Open the page in the web browser (--no-browser only prints its address).",
        ),
    ] = True,
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1; 0 picks a free one."),
    ] = 0,
    per_page: Annotated[
        int, typer.Option("--per-page", min=1, max=200, help="Groups per page.")
    ] = 20,
    options: ScanOptions = ScanOptions(),
    quiet: QuietOpt = False,
) -> None:
    """Decide group by group in a local web page, then delete through the journal.

    Starts a web app on 127.0.0.1 (a random port, a random token in the address) showing
    the groups, largest gain first, with a full-resolution compare view. Mark duplicates
    for deletion, swap keepers, or mark a group "not duplicates" (never proposed again by
    scan or delete). Decisions are saved in the catalog as they are made, so running
    review again resumes. Apply moves exactly the marked files to the trash (or --move-to,
    --hardlink), each verified again and journaled; "Undo this run" or 'neardup undo'
    puts them back. Stop with the Done button or Ctrl-C. Needs the 'review' extra.
    """
    require_review_extra()
    from neardup.actions import Action
    from neardup.report.webapp import ReviewSession, bind, serve

    # never permanent: what Apply does can always be undone
    action = Action.hardlink if hardlink else Action.move if move_to else Action.trash
    rules = parse_keep(keep) if keep is not None else None
    result = scan_or_last(paths, options, save=True, quiet=quiet)
    session = ReviewSession(
        result,
        keep=rules,
        action=action,
        move_to=move_to,
        check_hash=verify is Verify.hash,
        per_page=per_page,
    )
    try:
        sock = bind(port)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    session.port = sock.getsockname()[1]
    url = session.url
    groups = len(session.groups)
    if not quiet:
        where = f" to {move_to}" if move_to is not None else ""
        err_console.print(
            f"reviewing {groups} group{'' if groups == 1 else 's'}; Apply will "
            f"{action.value}{where}. Stop with Done or Ctrl-C.",
            markup=False,
        )
    typer.echo(url)  # the address, alone on stdout (flushed)

    def open_browser() -> None:
        if not webbrowser.open(url):
            err_console.print(f"note: no web browser could be started; open {url}", markup=False)

    try:
        serve(session, sock, on_ready=open_browser if browser else None)
    finally:
        if not quiet:
            runs = [r for r in session.runs if not r["undone"]]
            line = "review stopped; decisions are saved in the catalog"
            if runs:
                ids = ", ".join(r["run_id"] for r in runs)
                line += f"; runs applied: {ids} ('neardup undo RUN' reverses one)"
            console.print(line, markup=False, soft_wrap=True)
