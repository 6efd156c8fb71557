"""The append-only delete journal: one JSON-lines file per run in the state folder.

Every line is written and ``fsync``-ed before the next step, and an ``intent`` line is
written *before* its file is touched, so after a crash or a ``kill -9`` each file is
either untouched or named in the journal with where it was going. See docs/delete.md
for the record types.

Reading never fails because of one bad line. A torn last line (a crash while writing
it) is ignored and reported (:attr:`RunJournal.torn`); when the journal is appended to
again, the writer first ends the torn line and records a ``torn`` line, so it stays
known as torn. Any other line that is not valid UTF-8 JSON of a known shape is damage
(:attr:`RunJournal.damaged`): the rest of the run is still read, and what could be made
out of the bad line (its path and destination) is kept in :attr:`RunJournal.unreadable`
so a person can finish by hand. Damage affects only its own run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from neardup.catalog.paths import ensure, state_dir
from neardup.errors import JournalError

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
        torn = existed and _torn_tail(self.path)
        try:
            self._fh: TextIO = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror}") from None
        if not existed:
            _fsync_dir(folder)
        if torn:  # end the torn line so the next record starts on a line of its own
            self._fh.write("\n")
            self.write({"type": "torn", "line": torn})

    def write(self, record: dict[str, Any]) -> None:
        # ASCII escapes: a path that is not valid UTF-8 (surrogate-escaped) stays writable
        line = json.dumps({"run_id": self.run_id, **record}, ensure_ascii=True)
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


def _torn_tail(path: Path) -> int:
    """The number of the last line when it is unterminated (torn), else 0."""
    try:
        data = path.read_bytes()
    except OSError:
        return 0
    if not data or data.endswith(b"\n"):
        return 0
    return data.count(b"\n") + 1


@dataclass(frozen=True, slots=True)
class UnreadableLine:
    """A journal line that could not be read: where it is and what could be made out."""

    line: int
    excerpt: str
    path: str | None = None
    dest: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "excerpt": self.excerpt, "path": self.path, "dest": self.dest}


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
    #: Line number of a torn last line (tolerated), else 0.
    torn: int = 0
    #: Lines that could not be read, other than a torn last line.
    unreadable: list[UnreadableLine] = field(default_factory=list)

    @property
    def damaged(self) -> bool:
        """True when a line other than a torn last one could not be read."""
        return bool(self.unreadable)

    @property
    def status(self) -> str:
        """``damaged``, ``completed``, ``interrupted`` (no end record), or the end record's
        status."""
        if self.damaged:
            return "damaged"
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


_FIELD = {
    name: re.compile(rf'"{name}":\s*"((?:[^"\\]|\\.)*)"') for name in ("path", "dest", "run_id")
}


def _salvage(text: str, name: str) -> str | None:
    """The value of a string field ``name`` in a damaged line, when it can be made out."""
    m = _FIELD[name].search(text)
    if m is None:
        return None
    try:
        value = json.loads(f'"{m.group(1)}"')
    except ValueError:
        return m.group(1)
    return value if isinstance(value, str) else None


def _parse(raw: bytes) -> dict[str, Any] | None:
    """One journal line as a record of a known shape, or ``None``."""
    try:
        rec = json.loads(raw.decode("utf-8"))
    except ValueError:  # also UnicodeDecodeError
        return None
    if not isinstance(rec, dict) or not isinstance(rec.get("type"), str):
        return None
    try:
        if rec["type"] in ("intent", "done", "failed", "undone"):
            rec["seq"] = int(rec["seq"])
        if rec["type"] == "intent":
            if not isinstance(rec["path"], str) or not isinstance(rec["action"], str):
                return None
            if not isinstance(rec.get("dest"), str | None):
                return None
            if not isinstance(rec.get("info"), str | None):
                return None
            if rec["action"] == "hardlink" and not isinstance(rec.get("keeper"), str):
                return None
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return rec


def read_journal(path: Path) -> RunJournal:
    """Parse a journal file. Never fails on its content: a torn last line is ignored
    (:attr:`RunJournal.torn`), other unreadable lines are listed
    (:attr:`RunJournal.unreadable`) and the rest is read.

    Raises:
        JournalError: the file cannot be read at all.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise JournalError(f"cannot read the journal {path}: {exc.strerror}") from None
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    run = RunJournal(run_id=path.stem, path=path, header={})
    parsed: list[tuple[int, dict[str, Any] | None, bytes]] = [
        (n, _parse(raw), raw) for n, raw in enumerate(lines, 1)
    ]
    torn_marks = {int(r.get("line", 0)) for _, r, _ in parsed if r and r["type"] == "torn"}
    for n, rec, raw in parsed:
        if rec is None:
            if not raw.strip():
                continue
            if n in torn_marks or (n == len(lines) and not data.endswith(b"\n")):
                run.torn = n
                continue
            text = raw.decode("utf-8", "replace")
            run.unreadable.append(
                UnreadableLine(n, text[:200], _salvage(text, "path"), _salvage(text, "dest"))
            )
            continue
        kind = rec["type"]
        if kind == "run" and not run.header:
            run.header = rec  # run_id stays the file's name: find_run and appends use it
        elif kind == "intent":
            run.intents[rec["seq"]] = rec
        elif kind == "done":
            run.done.add(rec["seq"])
        elif kind == "failed":
            run.failed[rec["seq"]] = str(rec.get("reason", ""))
        elif kind == "undone":
            run.undone[rec["seq"]] = str(rec.get("status", ""))
        elif kind == "skip":
            run.skipped.append(rec)
        elif kind == "end":
            run.end = rec
        elif kind == "undo":
            run.undo_runs += 1
    if not run.header and not run.unreadable:
        run.unreadable.append(UnreadableLine(1, "(no run header)"))
    return run


def journal_paths() -> list[Path]:
    """Every run's journal, oldest first (run ids sort by time)."""
    folder = journal_dir()
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.jsonl"))


def iter_runs() -> Iterator[RunJournal]:
    """Every run, oldest first; a journal that cannot be read at all is a damaged run."""
    for path in journal_paths():
        try:
            yield read_journal(path)
        except JournalError as exc:
            yield RunJournal(path.stem, path, {}, unreadable=[UnreadableLine(0, str(exc))])


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
