"""``neardup delete``, ``neardup undo`` and ``neardup history``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from neardup.cli.common import (
    EXIT_ERROR,
    QuietOpt,
    TableJsonOpt,
    TableOrJson,
    console,
    err_console,
    print_error,
    progress_bar,
)
from neardup.cli.options import FILES, SEARCH, with_scan_options
from neardup.cli.scan import scan_or_last
from neardup.errors import ConfirmationRequired, UsageError
from neardup.model import ScanOptions

if TYPE_CHECKING:
    from neardup.actions import Action


class Verify(StrEnum):
    hash = "hash"
    stat = "stat"


def _choose_action(trash: bool, move_to: Path | None, hardlink: bool, permanent: bool) -> Action:
    chosen = [
        name
        for name, on in (
            ("--trash", trash),
            ("--move-to", move_to is not None and not hardlink),
            ("--hardlink", hardlink),
            ("--permanent", permanent),
        )
        if on
    ]
    if len(chosen) > 1:
        raise UsageError(f"choose one action, not {' and '.join(chosen)}")
    from neardup.actions import Action

    if hardlink:
        return Action.hardlink
    if permanent:
        return Action.permanent
    return Action.move if move_to is not None else Action.trash


@contextlib.contextmanager
def _undo_hint_on_interrupt() -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        err_console.print("stopped; what was done so far is journaled: 'neardup undo' reverses it")
        raise


@with_scan_options(*SEARCH, *FILES)
def delete_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Scan these first; without PATH act on the last saved scan.", metavar="PATH"
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Print the plan and change nothing.")
    ] = False,
    keep: Annotated[
        str | None,
        typer.Option(
            "--keep",
            "-k",
            help="Keep rules in order, e.g. highest-resolution,largest,oldest "
            "(default: the scan's rules).",
            show_default=False,
        ),
    ] = None,
    reference: Annotated[
        list[Path] | None,
        typer.Option(
            "--reference",
            "-r",
            help="Folder whose files are always kept and never touched (repeatable).",
            file_okay=False,
        ),
    ] = None,
    trash: Annotated[
        bool, typer.Option("--trash", help="Move duplicates to the trash (the default).")
    ] = False,
    move_to: Annotated[
        Path | None,
        typer.Option(
            "--move-to",
            help="Move duplicates into DIR, keeping their relative paths; never overwrites. "
            "With --hardlink: where the replaced duplicates go instead of the trash.",
            file_okay=False,
            metavar="DIR",
        ),
    ] = None,
    hardlink: Annotated[
        bool,
        typer.Option(
            "--hardlink",
            help="Replace each duplicate by a hard link to its keeper (same file system); "
            "the duplicate goes to the trash (or --move-to DIR) so it can be undone.",
        ),
    ] = False,
    permanent: Annotated[
        bool,
        typer.Option("--permanent", help="Delete for good (cannot be undone); needs --yes."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    verify: Annotated[
        Verify,
        typer.Option(
            "--verify",
            help="Re-check before acting: 'hash' (size, mtime and perceptual hash) or "
            "'stat' (size and mtime only; faster, misses same-size same-mtime edits).",
            case_sensitive=False,
        ),
    ] = Verify.hash,
    fmt: TableJsonOpt = TableOrJson.table,
    quiet: QuietOpt = False,
    options: ScanOptions = ScanOptions(),
) -> None:
    """Remove near-duplicates, keeping one file per group; undo with 'neardup undo'.

    Each group keeps the file chosen by --keep (a file in a --reference folder when the
    group has one); members within the threshold of it are removed, members further away
    (chained) are kept. Every file is re-checked (exists, same size, mtime and hash as at
    the scan) just before it is touched, and every action is journaled first. The scan
    options (--index, --threshold, ...) apply when PATH is given.
    """
    action = _choose_action(trash, move_to, hardlink, permanent)
    from neardup.actions import Action, apply_plan, plan_deletion
    from neardup.report import format_bytes, write_json
    from neardup.report.actions import (
        plan_summary,
        reason_legend,
        render_not_removed,
        render_plan,
        run_summary,
    )

    result = scan_or_last(paths, options, save=True, quiet=quiet)
    plan = plan_deletion(result, keep=keep, references=reference or ())
    if dry_run:
        if fmt is TableOrJson.json:
            write_json(plan.to_dict(), sys.stdout)
        else:
            if plan.groups:
                console.print(render_plan(plan))
                console.print(reason_legend(plan), markup=False)
            console.print("dry run, nothing changed; " + plan_summary(plan), markup=False)
        return
    n, size = len(plan.removals), plan.bytes_reclaimed
    if n == 0:
        if fmt is TableOrJson.json:
            write_json({"plan": plan.to_dict(), "run": None}, sys.stdout)
        elif not quiet:
            console.print("nothing to remove; " + plan_summary(plan), markup=False)
        return
    if action is Action.permanent and n and not yes:
        question = f"Permanently delete {n} files ({format_bytes(size)})? This cannot be undone"
        if not sys.stdin.isatty():
            raise ConfirmationRequired(
                f"refusing to delete {n} files ({format_bytes(size)}) permanently "
                "without confirmation; nothing was changed",
                hint="add --yes, or use --trash / --move-to DIR, which can be undone",
            )
        if not typer.confirm(question, default=False, err=True):
            err_console.print("nothing deleted")
            raise typer.Exit(EXIT_ERROR)
    with progress_bar(not quiet, action.value) as progress, _undo_hint_on_interrupt():
        report = apply_plan(
            plan,
            action,
            move_to=move_to,
            check_hash=verify is Verify.hash,
            progress=progress,
        )
    if fmt is TableOrJson.json:
        write_json({"plan": plan.to_dict(), "run": report.to_dict()}, sys.stdout)
    else:
        if plan.groups and not quiet:
            console.print(render_plan(plan))
        if any(o.status != "done" for o in report.outcomes) and not report.stopped:
            console.print(render_not_removed(report))
    if report.stopped:
        left = len(plan.removals) - len(report.outcomes)
        print_error(
            f"stopped at {report.stopped}; {len(report.removed)} files were done before it, "
            f"{left + 1} not tried"
        )
    if not quiet:
        out = err_console if fmt is TableOrJson.json else console
        out.print(run_summary(report), markup=False)
        if report.removed and action is not Action.permanent:
            out.print(f"undo with: neardup undo {report.run_id}", markup=False)
    if any(o.status == "failed" for o in report.outcomes):
        raise typer.Exit(EXIT_ERROR)


def undo_command(
    run_id: Annotated[
        str | None,
        typer.Argument(
            help="Run to undo (a unique prefix); default: the last one not undone.",
            metavar="RUN",
        ),
    ] = None,
    fmt: TableJsonOpt = TableOrJson.table,
    quiet: QuietOpt = False,
) -> None:
    """Put back the files a delete run trashed, moved or hard-linked.

    Nothing that exists at an original path is ever overwritten; such files are reported
    as 'conflict' and retried by the next undo. Permanent deletions cannot be undone.
    """
    from neardup.actions import undo_run
    from neardup.report import write_json
    from neardup.report.actions import render_undo, undo_summary

    with progress_bar(not quiet, "restoring") as progress:
        report = undo_run(run_id, progress=progress)
    if fmt is TableOrJson.json:
        write_json(report.to_dict(), sys.stdout)
    elif report.unreadable or any(o.status != "restored" for o in report.outcomes):
        console.print(render_undo(report))
    if not quiet:
        out = err_console if fmt is TableOrJson.json else console
        out.print(undo_summary(report), markup=False)
    if not report.ok:
        raise typer.Exit(EXIT_ERROR)


def history_command(fmt: TableJsonOpt = TableOrJson.table) -> None:
    """List recorded delete runs, newest first."""
    from neardup.actions.journal import iter_runs
    from neardup.report.actions import history_rows, render_history
    from neardup.report.tabular import write_json

    rows = history_rows(iter_runs())
    if fmt is TableOrJson.json:
        write_json({"runs": rows}, sys.stdout)
    elif rows:
        console.print(render_history(rows))
    else:
        console.print("no delete runs recorded yet")
