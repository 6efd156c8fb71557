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

from neardup.actions.fsops import move_no_clobber, prune_empty_dirs, same_file, set_mtime_ns
from neardup.actions.journal import JournalWriter, RunJournal, find_run, iter_runs, now_iso
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

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in self.outcomes:
            out[o.status] = out.get(o.status, 0) + 1
        return dict(sorted(out.items()))

    @property
    def ok(self) -> bool:
        return all(o.status in FINAL and o.status != "cannot-undo" for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "summary": self.counts(),
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


def last_undoable_run() -> RunJournal:
    """The newest run that still has something to undo."""
    runs = list(iter_runs())
    if not runs:
        raise JournalError("no delete run has been recorded yet")
    for run in reversed(runs):
        if any(s not in run.undone and s not in run.failed for s in run.intents):
            return run
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
    run = find_run(run_id) if run_id is not None else last_undoable_run()
    report = UndoReport(run.run_id)
    pending = [
        rec
        for seq, rec in sorted(run.intents.items(), reverse=True)
        if seq not in run.failed and run.undone.get(seq) not in FINAL
    ]
    target = run.header.get("target")
    with JournalWriter(run.run_id) as journal:
        journal.write({"type": "undo", "started": now_iso()})
        for n, rec in enumerate(pending, 1):
            status, detail = _undo_one(rec)
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
        move_no_clobber(src, path)
    except FileExistsError:
        return ("conflict", "the original path is occupied; not overwritten")
    except OSError as exc:
        return ("error", exc.strerror or str(exc))
    try:
        if os.lstat(path).st_size == rec["size"]:
            set_mtime_ns(path, int(rec["mtime_ns"]))
    except OSError:
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
