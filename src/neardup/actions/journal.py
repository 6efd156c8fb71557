"""The append-only delete journal: one JSON-lines file per run in the state folder.

Every line is written and ``fsync``-ed before the next step, and an ``intent`` line is
written *before* its file is touched, so after a crash or a ``kill -9`` each file is
either untouched or named in the journal with where it was going. See docs/delete.md
for the record types.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from neardup.catalog.paths import ensure, state_dir
from neardup.errors import JournalError

JOURNAL_VERSION = 1
JOURNAL_DIR = "journal"


def journal_dir() -> Path:
    return state_dir() / JOURNAL_DIR


def new_run_id() -> str:
    """A unique run id that sorts by start time, such as ``20260131T120000.123456Z-3f9a``."""
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{now}-{secrets.token_hex(2)}"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class JournalWriter:
    """Appends records to one run's journal, each flushed and fsync-ed."""

    def __init__(self, run_id: str) -> None:
        folder = ensure(journal_dir())
        self.run_id = run_id
        self.path = folder / f"{run_id}.jsonl"
        existed = self.path.exists()
        try:
            self._fh: TextIO = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror}") from None
        if not existed:
            _fsync_dir(folder)

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps({"run_id": self.run_id, **record}, ensure_ascii=False)
        try:
            self._fh.write(line + "\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror}") from None

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(slots=True)
class RunJournal:
    """One run's journal, read back: its header, intents and what became of them."""

    run_id: str
    path: Path
    header: dict[str, Any]
    intents: dict[int, dict[str, Any]] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)
    failed: dict[int, str] = field(default_factory=dict)
    undone: dict[int, str] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None
    undo_runs: int = 0

    @property
    def status(self) -> str:
        """``completed``, ``interrupted`` (no end record), or the end record's status."""
        if self.end is None:
            return "interrupted"
        return str(self.end.get("status", "completed"))

    @property
    def undo_state(self) -> str:
        """``none``, ``partial`` or ``full``: how much of the run has been undone."""
        pending = [s for s in self.intents if s not in self.failed]
        if not self.undone:
            return "none"
        return "full" if all(s in self.undone for s in pending) else "partial"


def read_journal(path: Path) -> RunJournal:
    """Parse a journal file; a torn last line (crash mid-write) is ignored."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise JournalError(f"cannot read the journal {path}: {exc.strerror}") from None
    records: list[dict[str, Any]] = []
    for n, line in enumerate(lines):
        try:
            records.append(json.loads(line))
        except ValueError:
            if n == len(lines) - 1:
                break
            raise JournalError(f"the journal {path} is damaged at line {n + 1}") from None
    if not records or records[0].get("type") != "run":
        raise JournalError(f"the journal {path} has no run header")
    run = RunJournal(run_id=str(records[0]["run_id"]), path=path, header=records[0])
    for rec in records[1:]:
        kind = rec.get("type")
        if kind == "intent":
            run.intents[int(rec["seq"])] = rec
        elif kind == "done":
            run.done.add(int(rec["seq"]))
        elif kind == "failed":
            run.failed[int(rec["seq"])] = str(rec.get("reason", ""))
        elif kind == "undone":
            run.undone[int(rec["seq"])] = str(rec.get("status", ""))
        elif kind == "skip":
            run.skipped.append(rec)
        elif kind == "end":
            run.end = rec
        elif kind == "undo":
            run.undo_runs += 1
    return run


def journal_paths() -> list[Path]:
    """Every run's journal, oldest first (run ids sort by time)."""
    folder = journal_dir()
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.jsonl"))


def iter_runs() -> Iterator[RunJournal]:
    for path in journal_paths():
        yield read_journal(path)


def find_run(run_id: str | None = None) -> RunJournal:
    """The given run (a unique prefix is enough), or the newest one.

    Raises:
        JournalError: there is no such run, or no run at all.
    """
    paths = journal_paths()
    if not paths:
        raise JournalError("no delete run has been recorded yet")
    if run_id is None:
        return read_journal(paths[-1])
    matches = [p for p in paths if p.stem.startswith(run_id)]
    if len(matches) != 1:
        what = "no run" if not matches else f"{len(matches)} runs"
        raise JournalError(
            f"{what} matching {run_id!r}", hint="'neardup history' lists the recorded runs"
        )
    return read_journal(matches[0])
