"""The hash catalog: an SQLite database that remembers every hash neardup computed.

A rescan hashes only the files that are new or whose size or modification time changed;
every other hash comes from the catalog. The catalog also keeps the history of scans and
the full result of the last one (for ``delete`` and ``show``).

Layout (schema version in the ``schema_migrations`` table; see docs/catalog.md):

* ``files``: one row per absolute path: size, ``mtime_ns``, inode and device, EXIF
  date, first/last time a scan saw it, and ``vanished_at`` once a scan noticed it is gone;
* ``hashes``: one row per file *and* hash kind (algorithm, hash size, hashing mode), so a
  file can carry hashes of several algorithms. The row records the size and ``mtime_ns``
  the file had when it was hashed: it is valid only while they still match. A file that
  could not be hashed keeps its failure (reason and detail) the same way, so unchanged
  broken files are not retried on every scan;
* ``scans``: one row per scan (settings and summary); the newest also holds its full
  result document;
* ``review_marks`` and ``not_duplicates``: what a person decided in ``neardup review``
  (:mod:`neardup.catalog.decisions`).

Concurrency and faults: the database runs in WAL mode with a busy timeout, every write
is a short ``BEGIN IMMEDIATE`` transaction over a batch of files, and a damaged file is
detected when it is opened, moved aside (``catalog.sqlite.corrupt-<time>``) and rebuilt
with a :class:`~neardup.errors.CatalogRecoveredWarning`.

>>> from neardup.catalog import Catalog
>>> with Catalog(":memory:") as cat:
...     cat.schema_version == SCHEMA_VERSION
True
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from neardup.catalog.migrations import MIGRATIONS
from neardup.catalog.paths import data_dir, ensure
from neardup.errors import CatalogError, CatalogRecoveredWarning

CATALOG_NAME: Final = "catalog.sqlite"
MEMORY: Final = ":memory:"
#: Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT: Final = 60.0
#: Outcomes written per transaction (a batch is also flushed after ``FLUSH_SECONDS``).
BATCH_SIZE: Final = 256
FLUSH_SECONDS: Final = 1.0
_CORRUPT_CODES: Final = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB

SCHEMA_VERSION: Final = len(MIGRATIONS)


def default_path() -> Path:
    """Where the catalog lives unless told otherwise: ``<data folder>/catalog.sqlite``."""
    return data_dir() / CATALOG_NAME


def _is_corruption(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPT_CODES
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


#: How long :func:`_switch_to_wal` waits between tries.
WAL_RETRY: Final = 0.05


def _switch_to_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Put the database in WAL mode. Two processes opening a new catalog at once both ask
    for it, and SQLite answers the one that would have to wait for the other's lock with
    "database is locked" at once, without its busy handler: so try again until
    ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY)


class Store:
    """The SQLite database behind the catalog at ``path`` (default :func:`default_path`;
    ``":memory:"``).

    Use as a context manager or call :meth:`close`. Opening a damaged file moves it aside
    and starts a new catalog, with a :class:`CatalogRecoveredWarning`.

    Raises:
        CatalogError: the file cannot be opened or created, or was written by a newer
            neardup (its schema is unknown here).
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, timeout: float = BUSY_TIMEOUT
    ) -> None:
        raw = os.fspath(path) if path is not None else None
        self.memory = raw == MEMORY
        self.path: Path | None = None if self.memory else Path(raw or default_path()).expanduser()
        self._timeout = timeout
        self._conn = self._open()

    # -- opening, checking, recovering ---------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            return self._connect(MEMORY)
        try:
            ensure(self.path.parent)
        except OSError as exc:
            raise CatalogError(
                f"cannot create the catalog folder {self.path.parent}: {exc.strerror or exc}"
            ) from None
        try:
            return self._connect(str(self.path))
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise CatalogError(f"cannot open the catalog {self.path}: {exc}") from None
            aside = self._move_aside()
            # one line of SQLite's report, which can run to a hundred
            why = (str(exc).strip().splitlines() or ["damaged"])[0][:100]
            warnings.warn(
                f"the catalog was damaged ({why}); moved it to {aside} "
                "and started a new one (hashes will be recomputed)",
                CatalogRecoveredWarning,
                stacklevel=3,
            )
        try:
            return self._connect(str(self.path))
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"cannot create a new catalog {self.path}: {exc}") from None

    def _connect(self, target: str) -> sqlite3.Connection:
        conn = sqlite3.connect(target, timeout=self._timeout, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            self._check(conn)
            if target != MEMORY:
                _switch_to_wal(conn, self._timeout)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _check(conn: sqlite3.Connection) -> None:
        """Raise a corruption ``DatabaseError`` when the file is not a sound database."""
        rows = conn.execute("PRAGMA quick_check").fetchall()
        if rows != [("ok",)]:
            problems = "; ".join(str(r[0]) for r in rows[:3])
            exc = sqlite3.DatabaseError(f"database disk image is malformed: {problems}")
            exc.sqlite_errorcode = 11
            raise exc

    def _move_aside(self) -> Path:
        assert self.path is not None
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{os.getpid()}")
        try:
            os.replace(self.path, aside)
            for suffix in ("-wal", "-journal"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    os.replace(side, aside.with_name(aside.name + suffix))
            self.path.with_name(self.path.name + "-shm").unlink(missing_ok=True)
        except FileNotFoundError:
            pass  # another process already moved it
        except OSError as exc:
            raise CatalogError(
                f"the catalog {self.path} is damaged and cannot be moved aside: "
                f"{exc.strerror or exc}",
                hint=f"delete {self.path} and scan again",
            ) from None
        return aside

    def _migrate(self, conn: sqlite3.Connection) -> None:
        def current() -> int:
            row = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                ("schema_migrations",),
            ).fetchone()
            if row is None:
                return 0
            top = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
            return int(top[0] or 0)

        if current() == SCHEMA_VERSION:
            return
        with transaction(conn):  # BEGIN IMMEDIATE: concurrent openers migrate one at a time
            version = current()
            if version > SCHEMA_VERSION:
                raise CatalogError(
                    f"the catalog {self.path or MEMORY} has schema version {version}, newer "
                    f"than this neardup knows ({SCHEMA_VERSION})",
                    hint="upgrade neardup or pick another file with --catalog",
                )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied TEXT NOT NULL)"
            )
            for number, (description, script) in enumerate(MIGRATIONS, start=1):
                if number <= version:
                    continue
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (number, description, now_iso()),
                )

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        row = self._conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    @property
    def location(self) -> str:
        return str(self.path) if self.path is not None else MEMORY

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            hint = None
            if _is_corruption(exc):
                hint = "the catalog is damaged; the next run moves it aside and rebuilds it"
            raise CatalogError(
                f"cannot {doing} the catalog {self.location}: {exc}", hint=hint
            ) from None


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on error); waits for other writers."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (disk full, I/O error)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def storable(path: str) -> bool:
    """True when ``path`` can be stored as SQLite text (file names that are not valid
    UTF-8 are hashed every time instead of cached)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def under_clauses(roots: Sequence[str]) -> Iterator[tuple[str, list[Any]]]:
    """SQL conditions selecting ``path`` equal to or below each root (using the index)."""
    for root in dict.fromkeys(os.path.abspath(r) for r in roots):
        if not storable(root):
            continue  # nothing below it can be in the catalog
        prefix = root if root.endswith(os.sep) else root + os.sep
        upper = prefix[:-1] + chr(ord(os.sep) + 1)
        yield "path = ? OR (path >= ? AND path < ?)", [root, prefix, upper]


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
