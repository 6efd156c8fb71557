"""Apply and undo in ``neardup review``: exactly the marked files, through the journal.

:func:`plan` builds a :class:`~neardup.actions.Plan` of the files marked for deletion,
each group keeping the keeper chosen in the page; :func:`apply` runs it through
:func:`~neardup.actions.apply_plan` (every file verified again and journaled, never
permanent); "Undo this run" calls :func:`~neardup.actions.undo_run`. :func:`applied` and
:func:`undone` record the outcome in the session (on the event-loop thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neardup.actions import ApplyReport, Plan, PlanGroup, PlanItem, apply_plan
from neardup.bits import hamming
from neardup.report.text import format_bytes
from neardup.report.webapp.session import ReviewSession


def plan(session: ReviewSession) -> Plan:
    """Exactly the marked files, each group's chosen keeper kept."""
    s = session.result.settings
    records = session.records
    groups: list[PlanGroup] = []
    for g in session.groups.values():
        if g.not_duplicates:
            continue
        todo = [m for m in g.members if m in g.marked and m not in session.removed]
        if not todo or g.keeper in session.removed:
            continue
        keeper = records[g.keeper]
        items = [PlanItem(keeper, "keep", "keeper", 0, False)]
        items += [
            PlanItem(
                records[m], "remove", "duplicate", hamming(records[m].hash, keeper.hash), False
            )
            for m in todo
        ]
        groups.append(PlanGroup(g.gid, tuple(items)))
    return Plan(
        spec=s.spec,
        threshold=s.threshold,
        keep=session.rules,
        references=(),
        roots=s.paths,
        groups=groups,
        scan_created=session.result.created,
    )


def apply(session: ReviewSession, todo: Plan) -> ApplyReport:
    """Run ``todo`` with the action chosen at start-up (blocking: call it off the event loop)."""
    return apply_plan(todo, session.action, move_to=session.move_to, check_hash=session.check_hash)


def applied(session: ReviewSession, report: ApplyReport) -> dict[str, Any]:
    """Record a finished run: the page's state and the catalog (removed files lose their
    marks)."""
    fid_of = {session.records[m].path: m for m in session.group_of}
    done = [fid_of[o.path] for o in report.removed if o.path in fid_of]
    for m in done:
        session.removed[m] = report.run_id
    if done:
        session.catalog.save_marks((session.records[m], None) for m in done)
    not_removed = [
        {"path": o.path, "reason": o.reason, "detail": o.detail}
        for o in report.outcomes
        if o.status != "done"
    ]
    run = {
        "run_id": report.run_id,
        "action": report.action.value,
        "journal": report.journal,
        "removed": len(done),
        "bytes_human": format_bytes(report.bytes_reclaimed),
        "not_removed": not_removed,
        "undone": False,
    }
    session.runs.append(run)
    return run


def undone(session: ReviewSession, run: dict[str, Any], outcomes: Sequence[Any]) -> dict[str, Any]:
    """Record an undone run: the restored files are shown (and count) again."""
    fid_of = {session.records[m].path: m for m in session.group_of}
    restored = [fid_of[o.path] for o in outcomes if o.status == "restored" and o.path in fid_of]
    for m in restored:
        if session.removed.get(m) == run["run_id"]:
            del session.removed[m]
    problems = [
        {"path": o.path, "status": o.status, "detail": o.detail}
        for o in outcomes
        if o.status not in ("restored", "not-applied")
    ]
    run["undone"] = not problems
    return {"run_id": run["run_id"], "restored": len(restored), "problems": problems}
