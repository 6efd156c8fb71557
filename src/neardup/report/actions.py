"""Human output for delete plans, delete runs, undo and the run history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from neardup.report.text import PathCell, cells, format_bytes

if TYPE_CHECKING:
    from neardup.actions.apply import ApplyReport
    from neardup.actions.journal import RunJournal
    from neardup.actions.plan import Plan
    from neardup.actions.undo import UndoReport

_MARK_STYLE = {"keep": "green", "remove": "red"}
#: The reason every keeper and every removed duplicate has: the table leaves it out.
_USUAL = {"keep": "keeper", "remove": "duplicate"}


def render_plan(plan: Plan) -> Table:
    """One block of rows per group: decision, reason (when not the usual one: see
    :func:`reason_legend`), file, size, pixels, distance."""
    table = Table()
    table.add_column("group", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("why")
    table.add_column("file", overflow="fold", ratio=1)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("pixels", justify="right", no_wrap=True)
    table.add_column("dist", justify="right", no_wrap=True)
    for g in plan.groups:
        for k, item in enumerate(g.items):
            r = item.record
            group, why, size, pixels, distance = cells(
                str(g.id) if k == 0 else "",
                "" if _USUAL.get(item.decision) == item.reason else item.reason,
                format_bytes(r.size),
                f"{r.width}x{r.height}",
                "–" if k == 0 else str(item.distance),
            )
            mark = Text.assemble((item.decision, _MARK_STYLE[item.decision]))
            table.add_row(
                group, mark, why, PathCell(r.path), size, pixels, distance,
                end_section=k == len(g.items) - 1,
            )  # fmt: skip
    return table


def plan_summary(plan: Plan) -> str:
    s = plan.summary()
    untouched = f", {s['groups_untouched']} left untouched" if s["groups_untouched"] else ""
    return (
        f"plan: remove {s['remove']} files ({format_bytes(s['bytes_reclaimed'])}), "
        f"keep {s['keep']}, in {s['groups']} groups{untouched}"
    )


def reason_legend(plan: Plan) -> str:
    used = sorted({i.reason for g in plan.groups for i in g.items})
    from neardup.actions.plan import REASONS

    return "; ".join(f"{r}: {REASONS[r]}" for r in used)


def render_not_removed(report: ApplyReport) -> Table:
    table = Table(title="not removed")
    table.add_column("reason", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("detail", overflow="fold")
    for o in report.outcomes:
        if o.status != "done":
            table.add_row(*cells(o.reason, o.path, o.detail))
    return table


_VERB = {"trash": "trashed", "move": "moved", "hardlink": "hard-linked", "permanent": "deleted"}


def run_summary(report: ApplyReport) -> str:
    s = report.summary()
    reasons = ", ".join(f"{k} {v}" for k, v in s["not_removed_by_reason"].items())
    not_removed = s["skipped"] + s["failed"]
    tail = f"; {not_removed} not removed ({reasons})" if not_removed else ""
    return (
        f"{_VERB[report.action.value]} {s['files_removed']} files, "
        f"{format_bytes(s['bytes_reclaimed'])} reclaimed{tail}; run {report.run_id}"
    )


def render_undo(report: UndoReport) -> Table:
    table = Table(title=f"undo {report.run_id}")
    table.add_column("status", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("detail", overflow="fold")
    for o in report.outcomes:
        table.add_row(*cells(o.status, o.path, o.detail))
    for u in report.unreadable:
        where = f"was going to {u.dest}" if u.dest else f"journal line {u.line}: {u.excerpt}"
        table.add_row(*cells("unreadable", u.path or "?", where))
    return table


def undo_summary(report: UndoReport) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in report.counts().items()) or "nothing to do"
    if report.unreadable:
        counts += (
            f"; {len(report.unreadable)} journal lines unreadable "
            "(listed above: put those files back by hand)"
        )
    passed = ""
    if report.passed_over:
        passed = f" (passed over damaged run {', '.join(report.passed_over)}: undo it by id)"
    return f"undo {report.run_id}{passed}: {counts}"


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0


def history_rows(runs: Iterable[RunJournal]) -> list[dict[str, object]]:
    """One JSON-able row per run, newest first."""
    rows = []
    for run in runs:
        rows.append(
            {
                "run_id": run.run_id,
                "started": run.header.get("started", ""),
                "action": run.header.get("action", ""),
                "target": run.header.get("target"),
                "planned": _count(run.header.get("files")),
                "done": len(run.done),
                "skipped": len(run.skipped),
                "status": run.status,
                "undone": run.undo_state,
                "journal": str(run.path),
                "torn_line": run.torn or None,
                "unreadable_lines": [u.line for u in run.unreadable],
            }
        )
    return rows[::-1]


def render_history(rows: list[dict[str, object]]) -> Table:
    table = Table()
    columns = ("run_id", "started", "action", "planned", "done", "skipped", "status", "undone")
    for col in columns:
        table.add_column(
            col, no_wrap=True, justify="right" if col in ("planned", "done") else "left"
        )
    for row in rows:
        if row.get("torn_line"):
            row = {**row, "status": f"{row['status']} (torn last line)"}
        table.add_row(*cells(*(str(row[c]) for c in columns)))
    return table
