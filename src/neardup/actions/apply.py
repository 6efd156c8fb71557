"""Carrying out a :class:`~neardup.actions.plan.Plan`, one verified, journaled file at a time.

For every file to remove, in order:

1. re-verify it (:func:`verify`): still a regular file at a path with no symlinked
   folder, same size and mtime as at the scan, and the same hash (recomputed with the
   scan's hash, distance 0); the group's keeper is verified the same way first, and its
   size, mtime and inode are checked again just before every removal of its group, so a
   group never loses its last copy (the group's removals are skipped, ``keeper-changed``);
2. append an ``intent`` record to the journal (fsync-ed) naming the destination;
3. act (trash, move, hard link or delete);
4. append a ``done`` record (or ``failed`` when the action raised; nothing was changed).

The whole run holds the lock of :mod:`neardup.actions.lock`: a second delete or undo
started meanwhile stops before it touches anything.

A crash between 2 and 4 leaves an intent whose action may or may not have happened;
:mod:`neardup.actions.undo` checks the file system to tell which.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from neardup import __version__
from neardup.actions import trash as trashmod
from neardup.actions.checks import (
    Action,
    check_same_device,
    check_target,
    move_destination,
    verify,
)
from neardup.actions.fsops import move_no_clobber, partial_name, same_file
from neardup.actions.journal import JournalWriter, new_run_id, now_iso
from neardup.actions.lock import exclusive
from neardup.actions.plan import Plan, PlanGroup, PlanItem
from neardup.actions.undo import remove_leftovers

ProgressCallback = Callable[[int, int], None]


#: Errors after which a run stops at once instead of failing file after file.
STOP_ERRNOS = frozenset(
    code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EROFS) if code
)

#: Why a file the plan removes was left in place (``Outcome.reason``; see docs/delete.md).
SKIP_REASONS = (
    "missing",
    "changed",
    "symlink",
    "root-changed",
    "not-a-file",
    "unreadable",
    "keeper-changed",
    "destination-exists",
    "error",
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one file the plan meant to remove."""

    path: str
    status: str  # "done", "skipped" or "failed"
    reason: str = ""
    detail: str = ""
    destination: str | None = None
    size: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "reason": self.reason,
            "detail": self.detail,
            "destination": self.destination,
            "bytes": self.size,
        }


@dataclass(slots=True)
class ApplyReport:
    """The result of :func:`apply_plan`."""

    run_id: str
    action: Action
    journal: str
    outcomes: list[Outcome] = field(default_factory=list)
    #: Why the run stopped before the end of the plan (no space left, ...), else ``None``.
    stopped: str | None = None

    @property
    def removed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "done"]

    @property
    def bytes_reclaimed(self) -> int:
        return sum(o.size for o in self.removed)

    def summary(self) -> dict[str, Any]:
        by_reason: dict[str, int] = {}
        for o in self.outcomes:
            if o.status != "done":
                by_reason[o.reason] = by_reason.get(o.reason, 0) + 1
        return {
            "files_removed": len(self.removed),
            "bytes_reclaimed": self.bytes_reclaimed,
            "skipped": sum(1 for o in self.outcomes if o.status == "skipped"),
            "failed": sum(1 for o in self.outcomes if o.status == "failed"),
            "not_removed_by_reason": dict(sorted(by_reason.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "action": self.action.value,
            "journal": self.journal,
            "stopped": self.stopped,
            "summary": self.summary(),
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


def apply_plan(
    plan: Plan,
    action: Action | str = Action.trash,
    *,
    move_to: str | os.PathLike[str] | None = None,
    check_hash: bool = True,
    progress: ProgressCallback | None = None,
    run_id: str | None = None,
) -> ApplyReport:
    """Remove the plan's duplicates with ``action``, journaling each step.

    Args:
        plan: from :func:`~neardup.actions.plan.plan_deletion`.
        action: ``trash``, ``move`` (needs ``move_to``), ``hardlink`` (replaces each
            duplicate by a hard link to its keeper; the duplicate itself goes to
            ``move_to`` when given, else to the trash, so it can be undone) or
            ``permanent``.
        move_to: target folder for ``move`` (and the stash of ``hardlink``).
        check_hash: re-hash each file before acting (the default; turning it off leaves
            the size and mtime checks).
        progress: called as ``progress(done, total)``.
        run_id: journal id (a new one by default).

    Returns:
        An :class:`ApplyReport` with one outcome per file the plan removes.

    Raises:
        UsageError: ``move`` without ``move_to``, or a ``move_to`` that is a file.
        TrashUnavailable: the trash cannot be used (checked before anything is touched).
        ActionError: ``hardlink`` across file systems (checked before anything is touched).
        JournalError: the journal cannot be written.
        RunInProgress: another delete or undo is running (nothing was changed).
    """
    with exclusive("delete"):
        return _apply_locked(plan, Action(action), move_to, check_hash, progress, run_id)


def _apply_locked(
    plan: Plan,
    action: Action,
    move_to: str | os.PathLike[str] | None,
    check_hash: bool,
    progress: ProgressCallback | None,
    run_id: str | None,
) -> ApplyReport:
    removals = plan.removals
    target = check_target(action, move_to, plan.roots)
    remove_leftovers()  # of a run killed mid-copy; nothing else runs now (the lock)
    trash = trashmod.Trash() if trashmod.FREEDESKTOP else None
    uses_trash = action is Action.trash or (action is Action.hardlink and target is None)
    if uses_trash and trash is not None:
        trash.check([i.path for _, i in removals])
    if action is Action.hardlink:
        check_same_device(removals)
    target_created = target is not None and not os.path.exists(target)
    run_id = run_id or new_run_id()
    outcomes: list[Outcome] = []
    with JournalWriter(run_id) as journal:
        report = ApplyReport(run_id, action, str(journal.path), outcomes)
        journal.write(
            {
                "type": "run",
                "journal_version": 1,
                "started": now_iso(),
                "action": action.value,
                "target": target,
                "target_created": target_created,
                "files": len(removals),
                "bytes": plan.bytes_reclaimed,
                "neardup_version": __version__,
            }
        )
        runner = _Runner(plan, action, target, trash, journal, check_hash)
        status = "interrupted"
        try:
            for seq, (group, item) in enumerate(removals):
                outcome = runner.one(seq, group, item)
                outcomes.append(outcome)
                if outcome.status == "skipped":
                    journal.write(
                        {
                            "type": "skip",
                            "path": item.path,
                            "reason": outcome.reason,
                            "detail": outcome.detail,
                        }
                    )
                if progress is not None:
                    progress(seq + 1, len(removals))
                if runner.stop is not None:
                    report.stopped = runner.stop
                    break
            status = "stopped" if report.stopped else "completed"
        finally:
            journal.write(
                {"type": "end", "status": status, "ended": now_iso(), "summary": report.summary()}
            )
    return report


@dataclass(slots=True)
class _Runner:
    """Carries one run's settings through :meth:`one`, called per file to remove."""

    plan: Plan
    action: Action
    target: str | None
    trash: trashmod.Trash | None
    journal: JournalWriter
    check_hash: bool
    #: Set when an error means the run must stop (no space, read-only file system).
    stop: str | None = None
    keeper_problems: dict[int, tuple[str, str] | None] = field(default_factory=dict)
    keeper_stats: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)

    def _keeper_problem(self, group: PlanGroup) -> tuple[str, str] | None:
        """The keeper fully verified (hash too) once per group, then re-checked by
        ``lstat`` (same inode, size and mtime) before each removal of the group."""
        if group.id not in self.keeper_problems:
            problem = verify(
                group.keeper.record,
                self.plan.spec,
                roots=self.plan.roots,
                check_hash=self.check_hash,
                pins=self.plan.root_pins,
            )
            self.keeper_problems[group.id] = problem
            fresh = _identity(group.keeper.path)
            if problem is None and fresh is not None:
                self.keeper_stats[group.id] = fresh
        problem = self.keeper_problems[group.id]
        if problem is None and _identity(group.keeper.path) != self.keeper_stats.get(group.id):
            problem = ("changed", "changed or went away during this run")
            self.keeper_problems[group.id] = problem
        return problem

    def one(self, seq: int, group: PlanGroup, item: PlanItem) -> Outcome:
        """Verify, journal, act and journal again for one file."""
        rec, plan, action = item.record, self.plan, self.action
        keeper_problem = self._keeper_problem(group)
        if keeper_problem is not None:
            reason, detail = keeper_problem
            return Outcome(rec.path, "skipped", "keeper-changed", f"the keeper {reason}: {detail}")
        problem = verify(
            rec, plan.spec, roots=plan.roots, check_hash=self.check_hash, pins=plan.root_pins
        )
        if problem is not None:
            return Outcome(rec.path, "skipped", *problem)
        intent: dict[str, Any] = {
            "type": "intent",
            "seq": seq,
            "group": group.id,
            "action": action.value,
            "path": rec.path,
            "size": rec.size,
            "mtime_ns": rec.mtime_ns,
            "hash": plan.spec.hex(rec.hash),
            "keeper": group.keeper.path,
            "dest": None,
            "info": None,
        }
        slot: trashmod.TrashSlot | None = None
        if self.target is not None:  # move, or the stash of a hard link
            intent["dest"] = move_destination(rec.path, plan.roots, self.target)
            if os.path.lexists(intent["dest"]):
                return Outcome(rec.path, "skipped", "destination-exists", intent["dest"])
            # a copy across file systems is written here first: journaled before it exists
            intent["partial"] = partial_name(intent["dest"])
        elif action in (Action.trash, Action.hardlink) and self.trash is not None:
            try:
                slot = self.trash.reserve(rec.path)
            except FileNotFoundError:
                return Outcome(rec.path, "skipped", "missing", "no longer exists")
            intent["dest"], intent["info"] = slot.file, slot.info
        # the last copy must survive: the keeper is checked again at the last moment
        keeper_problem = self._keeper_problem(group)
        if keeper_problem is not None:
            reason, detail = keeper_problem
            return Outcome(rec.path, "skipped", "keeper-changed", f"the keeper {reason}: {detail}")
        self.journal.write(intent)
        try:
            _act(action, rec.path, intent["dest"], slot, group.keeper.path)
        except FileExistsError as exc:
            self.journal.write({"type": "failed", "seq": seq, "reason": "destination-exists"})
            return Outcome(rec.path, "skipped", "destination-exists", str(exc.filename or exc))
        except OSError as exc:
            detail = exc.strerror or str(exc)
            self.journal.write({"type": "failed", "seq": seq, "reason": detail})
            if exc.errno in STOP_ERRNOS:  # every later file would fail the same way
                where = intent["dest"] or rec.path
                self.stop = f"{detail} ({exc.filename or where})"
            return Outcome(rec.path, "failed", "error", detail)
        self.journal.write({"type": "done", "seq": seq})
        return Outcome(rec.path, "done", "duplicate", "", intent["dest"], rec.size)


def _identity(path: str) -> tuple[int, int, int, int] | None:
    """``(device, inode, size, mtime_ns)`` of ``path`` (not following symlinks), or ``None``."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _act(
    action: Action, path: str, dest: str | None, slot: trashmod.TrashSlot | None, keeper: str
) -> None:
    """Do one action; on ``OSError`` everything is as before."""
    if action is Action.permanent:
        os.unlink(path)
    elif action is Action.move:
        assert dest is not None
        move_no_clobber(path, dest, partial=partial_name(dest))
    elif action is Action.trash:
        _stash(path, dest, slot)
    else:
        _stash(path, dest, slot)
        try:
            os.link(keeper, path)
        except OSError:
            if not os.path.lexists(path) and dest is not None:
                move_no_clobber(dest, path)
                if slot is not None and os.path.lexists(slot.info):
                    os.unlink(slot.info)
            raise
        if not same_file(path, keeper):  # pragma: no cover - defensive
            raise OSError(f"{path} is not a link to {keeper}")


def _stash(path: str, dest: str | None, slot: trashmod.TrashSlot | None) -> None:
    """Move ``path`` to the trash slot, the system trash, or ``dest``."""
    if slot is not None:
        trashmod.write_info(slot, path)
        try:
            os.rename(path, slot.file)
        except OSError:
            os.unlink(slot.info)
            raise
    elif dest is not None:
        move_no_clobber(path, dest, partial=partial_name(dest))
    else:
        trashmod.system_trash(path)
