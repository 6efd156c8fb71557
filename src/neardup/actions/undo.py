"""Reversing a delete run from its journal.

Each ``intent`` is judged by what is on disk now, so a run that crashed between an
intent and its ``done`` record is handled like any other:

========================  =========================================================
state found               what undo does (status)
========================  =========================================================
destination only          moves it back, restores the mtime (``restored``)
original only             nothing: the action never happened (``not-applied``)
both, one inode           the crash came mid-move: drops the extra name (``restored``)
both, different files     refuses to overwrite the original path (``conflict``)
neither                   reports it (``missing``: the trash was emptied?)
permanent delete          cannot be undone (``cannot-undo``)
system trash (macOS/Win)  cannot be undone by neardup (``cannot-undo``)
========================  =========================================================

For a hard link the original path holds a link to the keeper; undo removes that link
(only if it still is one) and moves the stashed duplicate back.
Undo is idempotent: entries already restored are not touched again, and ``conflict``
or ``missing`` entries are retried by the next ``undo``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from neardup.actions.fsops import (
    move_no_clobber,
    partial_name,
    prune_empty_dirs,
    remove_partial,
    same_file,
    set_mtime_ns,
)
from neardup.actions.journal import (
    JournalWriter,
    RunJournal,
    UnreadableLine,
    find_run,
    iter_runs,
    now_iso,
)
from neardup.actions.lock import exclusive
from neardup.errors import JournalError

FINAL = frozenset({"restored", "not-applied", "cannot-undo"})


@dataclass(frozen=True, slots=True)
class UndoOutcome:
    path: str
    status: str
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "status": self.status, "detail": self.detail}


@dataclass(slots=True)
class UndoReport:
    run_id: str
    outcomes: list[UndoOutcome] = field(default_factory=list)
    #: Lines of this run's journal that could not be read: finish those by hand.
    unreadable: list[UnreadableLine] = field(default_factory=list)
    #: Newer runs passed over because their journal is damaged (plain ``undo`` only).
    passed_over: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in self.outcomes:
            out[o.status] = out.get(o.status, 0) + 1
        return dict(sorted(out.items()))

    @property
    def ok(self) -> bool:
        return not self.unreadable and all(
            o.status in FINAL and o.status != "cannot-undo" for o in self.outcomes
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "summary": self.counts(),
            "outcomes": [o.to_dict() for o in self.outcomes],
            "unreadable": [u.to_dict() for u in self.unreadable],
            "passed_over": self.passed_over,
        }


def remove_leftovers() -> list[str]:
    """Remove the temporary copies that runs killed mid-copy across file systems left
    behind (their names follow from the journaled paths); returns what was removed.

    Only runs without an end record (interrupted or damaged) are looked at, and only
    names :func:`~neardup.actions.fsops.partial_name` makes are removed.
    """
    removed = []
    for run in iter_runs():
        if run.end is not None and not run.damaged:
            continue
        for rec in run.intents.values():
            names = {rec.get("partial")} | {
                partial_name(p) for p in (rec.get("path"), rec.get("dest")) if p
            }
            removed += [n for n in names if isinstance(n, str) and remove_partial(n)]
    return removed


def last_undoable_run(passed_over: list[str] | None = None) -> RunJournal:
    """The newest intact run that still has something to undo.

    Runs whose journal is damaged are passed over (their ids are appended to
    ``passed_over``): undo them by id, which restores what their journal still says.
    """
    runs = list(iter_runs())
    if not runs:
        raise JournalError("no delete run has been recorded yet")
    for run in reversed(runs):
        if run.damaged:
            if passed_over is not None:
                passed_over.append(run.run_id)
            continue
        if any(s not in run.undone and s not in run.failed for s in run.intents):
            return run
    damaged = [r.run_id for r in runs if r.damaged]
    if damaged:
        raise JournalError(
            "no intact run is left to undo; damaged: " + ", ".join(damaged),
            hint=f"'neardup undo {damaged[-1]}' restores what its journal can still tell",
        )
    raise JournalError("every recorded run has already been undone")


def undo_run(
    run_id: str | None = None, *, progress: Callable[[int, int], None] | None = None
) -> UndoReport:
    """Restore the files of run ``run_id`` (a unique prefix) or of the last run not yet undone.

    Raises:
        JournalError: no such run, or the journal cannot be read or appended to.
        RunInProgress: another delete or undo is running (nothing was changed).
    """
    with exclusive("undo"):
        return _undo_locked(run_id, progress)


def _undo_locked(run_id: str | None, progress: Callable[[int, int], None] | None) -> UndoReport:
    remove_leftovers()
    passed_over: list[str] = []
    run = find_run(run_id) if run_id is not None else last_undoable_run(passed_over)
    report = UndoReport(run.run_id, unreadable=list(run.unreadable), passed_over=passed_over)
    pending = [
        rec
        for seq, rec in sorted(run.intents.items(), reverse=True)
        if seq not in run.failed and run.undone.get(seq) not in FINAL
    ]
    target = run.header.get("target") if isinstance(run.header.get("target"), str) else None
    with JournalWriter(run.run_id) as journal:
        journal.write({"type": "undo", "started": now_iso()})
        for n, rec in enumerate(pending, 1):
            try:
                status, detail = _undo_one(rec)
            except OSError as exc:  # reported; the next undo tries again
                status, detail = "error", exc.strerror or str(exc)
            if status in FINAL:
                journal.write({"type": "undone", "seq": rec["seq"], "status": status})
            if status == "restored" and target and rec.get("dest"):
                prune_empty_dirs(os.path.dirname(rec["dest"]), target)
            report.outcomes.append(UndoOutcome(rec["path"], status, detail))
            if progress is not None:
                progress(n, len(pending))
        if target and run.header.get("target_created"):
            with contextlib.suppress(OSError):
                os.rmdir(target)  # only when empty
        journal.write({"type": "undo-end", "ended": now_iso(), "summary": report.counts()})
    return report


def _restore(rec: dict[str, Any], src: str) -> tuple[str, str]:
    path = rec["path"]
    try:
        move_no_clobber(src, path, partial=partial_name(path))
    except FileExistsError:
        return ("conflict", "the original path is occupied; not overwritten")
    except OSError as exc:
        return ("error", exc.strerror or str(exc))
    try:
        if os.lstat(path).st_size == rec.get("size") and rec.get("mtime_ns") is not None:
            set_mtime_ns(path, int(rec["mtime_ns"]))
    except (OSError, TypeError, ValueError):
        pass
    _drop_info(rec)
    return ("restored", "")


def _drop_info(rec: dict[str, Any]) -> None:
    info = rec.get("info")
    if info and os.path.lexists(info) and not os.path.lexists(rec.get("dest") or ""):
        with contextlib.suppress(OSError):
            os.unlink(info)


def _undo_one(rec: dict[str, Any]) -> tuple[str, str]:
    path, dest, action = rec["path"], rec.get("dest"), rec["action"]
    here = os.path.lexists(path)
    if action == "hardlink":
        return _undo_hardlink(rec)
    if not dest:
        if here:
            return ("not-applied", "")
        what = "deleted permanently" if action == "permanent" else "in the system trash"
        return ("cannot-undo", what)
    there = os.path.lexists(dest)
    if here and there:
        if same_file(path, dest):
            os.unlink(dest)
            _drop_info(rec)
            return ("restored", "")
        return ("conflict", f"both {path} and {dest} exist; not overwritten")
    if here:
        _drop_info(rec)
        return ("not-applied", "")
    if there:
        return _restore(rec, dest)
    return ("missing", f"{dest} no longer exists")


def _undo_hardlink(rec: dict[str, Any]) -> tuple[str, str]:
    path, dest, keeper = rec["path"], rec.get("dest"), rec["keeper"]
    here = os.path.lexists(path)
    if not dest:
        return (
            ("not-applied", "")
            if here and not same_file(path, keeper)
            else ("cannot-undo", "the duplicate went to the system trash")
        )
    there = os.path.lexists(dest)
    if here and not there:
        if same_file(path, keeper):
            return ("missing", f"{dest} no longer exists")
        _drop_info(rec)
        return ("not-applied", "")
    if not here and there:
        return _restore(rec, dest)
    if not here:
        return ("missing", f"{dest} no longer exists")
    if same_file(path, dest):
        os.unlink(dest)
        _drop_info(rec)
        return ("restored", "")
    if same_file(path, keeper):
        os.unlink(path)
        return _restore(rec, dest)
    return ("conflict", f"{path} was replaced by another file; not overwritten")
