"""What a person decided in ``neardup review``, kept in the catalog (schema version 3).

Two kinds of decision are stored, both keyed by absolute path:

* **marks** (table ``review_marks``): a file chosen as its group's keeper, or marked for
  deletion. A mark holds the file's size and mtime when it was made and is ignored once
  the file changed, so a replaced file is never deleted on an old decision. Marks only let
  ``neardup review`` resume where it stopped; nothing is deleted until Apply is pressed.
* **not duplicates** (table ``not_duplicates``): pairs of files a person said are *not*
  near-duplicates. Scans and ``delete`` never put such a pair in one group again.

This module only stores them. Splitting groups by the "not duplicates" pairs is the
pipeline's work (:mod:`neardup.pipeline.decisions`): at the end of every scan
(:func:`neardup.pipeline.run.run_scan`) and when the last scan is loaded
(:func:`neardup.api.last_scan`, because a decision may postdate the saved scan).
``neardup catalog forget-decisions`` removes the decisions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Final

from neardup.catalog.store import Store, now_iso, transaction
from neardup.model import ImageRecord

#: The marks a file can carry (no row: no decision).
MARKS: Final = ("keeper", "delete")

#: Two paths a person marked "not duplicates".
Pair = frozenset[str]


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


class DecisionTables(Store):
    """The ``review_marks`` and ``not_duplicates`` tables (a part of
    :class:`neardup.catalog.Catalog`).

    >>> from neardup.catalog import Catalog
    >>> with Catalog(":memory:") as cat:
    ...     cat.add_not_duplicates(["/p/b.jpg", "/p/a.jpg", "/p/c.jpg"])
    ...     sorted(sorted(p) for p in cat.not_duplicate_pairs())[0]
    ...     cat.count_decisions()
    3
    ['/p/a.jpg', '/p/b.jpg']
    (0, 3)
    """

    # -- not duplicates --------------------------------------------------------------------

    def not_duplicate_pairs(self) -> set[Pair]:
        """Every pair marked "not duplicates"."""
        with self._errors("read"):
            rows = self._conn.execute("SELECT path_a, path_b FROM not_duplicates").fetchall()
        return {frozenset(r) for r in rows}

    def add_not_duplicates(self, paths: Sequence[str]) -> int:
        """Record every pair among ``paths`` as not duplicates; returns the pairs written."""
        now = now_iso()
        rows = [(*_pair(a, b), now) for a, b in itertools.combinations(paths, 2) if a != b]
        with self._errors("update"), transaction(self._conn):
            self._conn.executemany("INSERT OR REPLACE INTO not_duplicates VALUES (?, ?, ?)", rows)
        return len(rows)

    def remove_not_duplicates(self, paths: Sequence[str]) -> None:
        """Forget the "not duplicates" decisions among ``paths``."""
        rows = [_pair(a, b) for a, b in itertools.combinations(paths, 2)]
        with self._errors("update"), transaction(self._conn):
            self._conn.executemany(
                "DELETE FROM not_duplicates WHERE path_a = ? AND path_b = ?", rows
            )

    # -- marks -----------------------------------------------------------------------------

    def load_marks(self, records: Iterable[ImageRecord]) -> dict[str, str]:
        """The still-valid marks of ``records``: path -> ``keeper`` or ``delete``.

        A mark made when the file had another size or mtime is left out.
        """
        with self._errors("read"):
            rows = self._conn.execute(
                "SELECT path, mark, size, mtime_ns FROM review_marks"
            ).fetchall()
        if not rows:
            return {}
        stored = {path: (mark, size, mtime) for path, mark, size, mtime in rows}
        out: dict[str, str] = {}
        for r in records:
            found = stored.get(r.path)
            if found is not None and found[1:] == (r.size, r.mtime_ns):
                out[r.path] = found[0]
        return out

    def save_marks(self, marks: Iterable[tuple[ImageRecord, str | None]]) -> None:
        """Store (or, with ``None``, clear) the mark of each record, in one transaction."""
        now = now_iso()
        set_rows: list[tuple[str, str, int, int, str]] = []
        clear_rows: list[tuple[str]] = []
        for record, mark in marks:
            if mark is None:
                clear_rows.append((record.path,))
            elif mark in MARKS:
                set_rows.append((record.path, mark, record.size, record.mtime_ns, now))
            else:
                raise ValueError(f"unknown mark {mark!r}")
        with self._errors("update"), transaction(self._conn):
            self._conn.executemany("DELETE FROM review_marks WHERE path = ?", clear_rows)
            self._conn.executemany(
                "INSERT OR REPLACE INTO review_marks VALUES (?, ?, ?, ?, ?)", set_rows
            )

    # -- both ------------------------------------------------------------------------------

    def forget_decisions(
        self, *, marks: bool = True, not_duplicates: bool = True
    ) -> tuple[int, int]:
        """Delete the stored decisions; returns (marks removed, pairs removed)."""
        removed = [0, 0]
        tables = ((marks, "review_marks"), (not_duplicates, "not_duplicates"))
        with self._errors("update"), transaction(self._conn):
            for k, (wanted, table) in enumerate(tables):
                if wanted:
                    removed[k] = self._conn.execute(f"DELETE FROM {table}").rowcount
        return removed[0], removed[1]

    def count_decisions(self) -> tuple[int, int]:
        """(marks, "not duplicates" pairs) stored in the catalog."""
        with self._errors("read"):
            m = self._conn.execute("SELECT COUNT(*) FROM review_marks").fetchone()[0]
            p = self._conn.execute("SELECT COUNT(*) FROM not_duplicates").fetchone()[0]
        return int(m), int(p)
