"""Acting on duplicates safely: plan, apply (trash / move / hard link / delete), journal, undo.

>>> from neardup.actions import plan_deletion, apply_plan, undo_run
>>> plan = plan_deletion(result, keep="largest", references=["~/Originals"])  # doctest: +SKIP
>>> report = apply_plan(plan, "move", move_to="~/dupes")  # doctest: +SKIP
>>> undo_run(report.run_id)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neardup import lazy_attributes

_EXPORTS = {
    "Action": "neardup.actions.checks",
    "ApplyReport": "neardup.actions.apply",
    "Outcome": "neardup.actions.apply",
    "apply_plan": "neardup.actions.apply",
    "verify": "neardup.actions.checks",
    "RunJournal": "neardup.actions.journal",
    "find_run": "neardup.actions.journal",
    "iter_runs": "neardup.actions.journal",
    "Plan": "neardup.actions.plan",
    "PlanGroup": "neardup.actions.plan",
    "PlanItem": "neardup.actions.plan",
    "plan_deletion": "neardup.actions.plan",
    "UndoReport": "neardup.actions.undo",
    "undo_run": "neardup.actions.undo",
}
__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)

if TYPE_CHECKING:
    from neardup.actions.apply import ApplyReport, Outcome, apply_plan
    from neardup.actions.checks import Action, verify
    from neardup.actions.journal import RunJournal, find_run, iter_runs
    from neardup.actions.plan import Plan, PlanGroup, PlanItem, plan_deletion
    from neardup.actions.undo import UndoReport, undo_run

__all__ = [
    "Action",
    "ApplyReport",
    "Outcome",
    "Plan",
    "PlanGroup",
    "PlanItem",
    "RunJournal",
    "UndoReport",
    "apply_plan",
    "find_run",
    "iter_runs",
    "plan_deletion",
    "undo_run",
    "verify",
]
