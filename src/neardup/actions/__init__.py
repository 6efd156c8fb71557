"""Acting on duplicates safely: plan, apply (trash / move / hard link / delete), journal, undo.

>>> from neardup.actions import plan_deletion, apply_plan, undo_run
>>> plan = plan_deletion(result, keep="largest", references=["~/Originals"])  # doctest: +SKIP
>>> report = apply_plan(plan, "move", move_to="~/dupes")  # doctest: +SKIP
>>> undo_run(report.run_id)  # doctest: +SKIP
"""

from neardup.actions.apply import Action, ApplyReport, Outcome, apply_plan, verify
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
