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
  result document.

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
import dataclasses
import datetime as dt
import json
import os
import sqlite3
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import numpy as np

from neardup.errors import CatalogError, CatalogRecoveredWarning, NoSavedScanError
from neardup.hashing import HashArray, HashSpec
from neardup.model import HashOutcome, ImageRecord, Skipped
from neardup.paths import data_dir, ensure

CATALOG_NAME: Final = "catalog.sqlite"
MEMORY: Final = ":memory:"
#: Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT: Final = 60.0
#: Outcomes written per transaction (a batch is also flushed after ``FLUSH_SECONDS``).
BATCH_SIZE: Final = 256
FLUSH_SECONDS: Final = 1.0
#: Failure reasons worth remembering: they cannot change while the file is unchanged.
#: (``unreadable`` may be fixed by a chmod, ``needs-extra`` by an install, and
#: ``too-large`` depends on the pixel limit, stored with it.)
CACHED_FAILURES: Final = frozenset({"empty", "not-an-image", "corrupt", "too-large"})
#: How many scans keep their full result document (the newest ones).
KEEP_DOCUMENTS: Final = 1

_CORRUPT_CODES: Final = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB

# Each migration takes the schema from version k-1 to k. Append, never edit.
MIGRATIONS: Final[tuple[tuple[str, str], ...]] = (
    (
        "files, hashes and scans",
        """
        CREATE TABLE files (
            id          INTEGER PRIMARY KEY,
            path        TEXT NOT NULL UNIQUE,
            size        INTEGER NOT NULL,
            mtime_ns    INTEGER NOT NULL,
            inode       INTEGER,
            device      INTEGER,
            exif_ns     INTEGER,
            first_seen  REAL NOT NULL,
            last_seen   REAL NOT NULL,
            vanished_at REAL
        );
        CREATE INDEX files_inode ON files (inode, device);
        CREATE TABLE hashes (
            file_id      INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
            algorithm    TEXT NOT NULL,
            hash_size    INTEGER NOT NULL,
            mode         TEXT NOT NULL DEFAULT '',
            size         INTEGER NOT NULL,
            mtime_ns     INTEGER NOT NULL,
            hash         BLOB,
            width        INTEGER,
            height       INTEGER,
            error_reason TEXT,
            error_detail TEXT,
            max_pixels   INTEGER,
            hashed_at    REAL NOT NULL,
            PRIMARY KEY (file_id, algorithm, hash_size, mode)
        ) WITHOUT ROWID;
        CREATE TABLE scans (
            id       INTEGER PRIMARY KEY,
            created  TEXT NOT NULL,
            paths    TEXT NOT NULL,
            settings TEXT NOT NULL,
            summary  TEXT NOT NULL,
            document BLOB
        );
        """,
    ),
    (
        "trimmed hashes and verification views",
        """
        ALTER TABLE hashes ADD COLUMN trim_hash BLOB;
        ALTER TABLE hashes ADD COLUMN trim_box TEXT;
        CREATE TABLE views (
            file_id  INTEGER PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
            size     INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            data     BLOB NOT NULL
        );
        """,
    ),
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


def default_path() -> Path:
    """Where the catalog lives unless told otherwise: ``<data folder>/catalog.sqlite``."""
    return data_dir() / CATALOG_NAME


def hash_mode(spec: HashSpec) -> str:
    """The part of the hash kind beyond algorithm and size: ``fast`` or ``compat``.

    Any further field of :class:`HashSpec` is added as ``name=value``, so hashes computed
    in different modes are never mixed. (So :class:`HashSpec` holds only what changes the
    hash values; settings such as the number of workers belong elsewhere.)

    >>> hash_mode(HashSpec("phash", 8)), hash_mode(HashSpec("phash", 8, compat=True))
    ('fast', 'compat')
    """
    extra = [f for f in dataclasses.fields(spec) if f.name not in ("algorithm", "size", "compat")]
    parts = ["compat" if spec.compat else "fast"]
    parts += [f"{f.name}={getattr(spec, f.name)}" for f in extra]
    return ",".join(parts)


@dataclass(frozen=True, slots=True)
class FileStat:
    """What the catalog compares to decide whether a file changed."""

    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, path: str) -> FileStat | None:
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return None
        return cls(st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


@dataclass(frozen=True, slots=True)
class CacheHits:
    """What :meth:`Catalog.lookup` found: outcomes by path, and the files found by inode
    (moved or renamed) with their catalogued EXIF date."""

    outcomes: dict[str, HashOutcome]
    moved: dict[str, int | None]
    #: catalog ids of the files found under their own path
    file_ids: list[int]


@dataclass(frozen=True, slots=True)
class CatalogStats:
    """Counts and sizes reported by ``neardup catalog stats``."""

    path: str
    schema_version: int
    bytes: int
    files: int
    vanished: int
    hashes: dict[str, int]
    failures: int
    scans: int
    last_scan: str | None
    #: Images whose verification views are stored, and their bytes.
    views: int = 0
    views_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _is_corruption(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPT_CODES
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def _hash_bytes(value: int, spec: HashSpec) -> bytes:
    return value.to_bytes(spec.bits // 8, "big")


def hashes_from_blobs(blobs: Sequence[bytes], words: int) -> HashArray:
    """Big-endian hash blobs → an ``(n, words)`` ``uint64`` array (word 0 most significant)."""
    if not blobs:
        return np.empty((0, words), dtype=np.uint64)
    raw = np.frombuffer(b"".join(blobs), dtype=">u8").reshape(len(blobs), words)
    return raw.astype(np.uint64)


class Catalog:
    """The SQLite hash catalog at ``path`` (default :func:`default_path`; ``":memory:"``).

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
                conn.execute("PRAGMA journal_mode = WAL")
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
        with _transaction(conn):  # BEGIN IMMEDIATE: concurrent openers migrate one at a time
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
                    (number, description, _now_iso()),
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

    # -- hashes ---------------------------------------------------------------------------

    def lookup(
        self,
        stats: dict[str, FileStat],
        spec: HashSpec,
        *,
        max_pixels: int,
        roots: Sequence[str] = (),
        trim: bool = False,
    ) -> CacheHits:
        """Cached outcomes for the files in ``stats`` (path → current stat) still valid now.

        A hash is valid while the file has the size and ``mtime_ns`` it had when hashed.
        A path the catalog does not know may still be found by inode: a file that was
        moved or renamed on the same device keeps its hash (listed in ``moved``; the
        caller stores it under its new path).
        ``roots`` (absolute scanned paths) limit what is read to the rows below them.
        With ``trim``, a hash stored without its trimmed hash is not valid.
        """
        mode = hash_mode(spec)
        found: dict[str, HashOutcome] = {}
        ids: list[int] = []
        rows = self._hash_rows(spec, mode, roots if roots else None)
        with self._errors("read"):
            for row in rows:
                path = row[0]
                st = stats.get(path)
                if st is not None and row[1] == st.size and row[2] == st.mtime_ns:
                    outcome = _outcome(path, row[1], row[2], row[3:9], max_pixels, row[10:12])
                    if outcome is not None and not (trim and _untrimmed(outcome)):
                        found[path] = outcome
                        ids.append(row[9])
            missing = [p for p in stats if p not in found]
            moved = self._lookup_moved(missing, stats, spec, mode, max_pixels) if missing else {}
            if trim:
                moved = {p: m for p, m in moved.items() if not _untrimmed(m[0])}
        found.update((p, outcome) for p, (outcome, _) in moved.items())
        return CacheHits(found, {p: exif for p, (_, exif) in moved.items()}, ids)

    def _hash_rows(self, spec: HashSpec, mode: str, roots: Sequence[str] | None) -> list[Any]:
        sql = (
            "SELECT f.path, h.size, h.mtime_ns, h.hash, h.width, h.height, h.error_reason,"
            " h.error_detail, h.max_pixels, f.id, h.trim_hash, h.trim_box"
            " FROM hashes h JOIN files f ON f.id = h.file_id"
            " WHERE h.algorithm = ? AND h.hash_size = ? AND h.mode = ?"
        )
        params: list[Any] = [spec.algorithm, spec.size, mode]
        if roots is None:
            with self._errors("read"):
                return self._conn.execute(sql, params).fetchall()
        out: list[Any] = []
        with self._errors("read"):
            for clause, extra in _under_clauses(roots):
                out += self._conn.execute(f"{sql} AND ({clause})", params + extra).fetchall()
        return out

    def _lookup_moved(
        self,
        paths: list[str],
        stats: dict[str, FileStat],
        spec: HashSpec,
        mode: str,
        max_pixels: int,
    ) -> dict[str, tuple[HashOutcome, int | None]]:
        found: dict[str, tuple[HashOutcome, int | None]] = {}
        sql = (
            "SELECT h.size, h.mtime_ns, h.hash, h.width, h.height, h.error_reason,"
            " h.error_detail, h.max_pixels, f.exif_ns, h.trim_hash, h.trim_box"
            " FROM files f JOIN hashes h ON h.file_id = f.id"
            " WHERE f.inode = ? AND f.device = ? AND f.size = ? AND f.mtime_ns = ?"
            " AND h.algorithm = ? AND h.hash_size = ? AND h.mode = ?"
            " AND h.size = f.size AND h.mtime_ns = f.mtime_ns AND f.path != ? LIMIT 1"
        )
        known = {tuple(r) for r in self._conn.execute("SELECT inode, device FROM files")}
        for path in paths:
            st = stats[path]
            if not st.inode or (st.inode, st.device) not in known or not storable(path):
                continue
            row = self._conn.execute(
                sql,
                (st.inode, st.device, st.size, st.mtime_ns, spec.algorithm, spec.size, mode, path),
            ).fetchone()
            if row is not None:
                outcome = _outcome(path, row[0], row[1], row[2:8], max_pixels, row[9:11])
                if outcome is not None:
                    found[path] = (outcome, row[8])
        return found

    @contextlib.contextmanager
    def writer(
        self, spec: HashSpec, *, max_pixels: int, exif: Callable[[str], int | None] | None = None
    ) -> Iterator[CatalogWriter]:
        """A batching writer for hash outcomes; pending rows are written on exit, even when
        the block is interrupted, so a cancelled scan keeps what it hashed."""
        w = CatalogWriter(self, spec, max_pixels=max_pixels, exif=exif)
        try:
            yield w
        finally:
            w.flush()

    # -- verification views ------------------------------------------------------------------

    def load_views(self, records: Iterable[ImageRecord]) -> dict[str, bytes]:
        """Stored verification views (:class:`neardup.features.Views` bytes) of ``records``,
        by path, where the file still has the size and mtime the record has."""
        out: dict[str, bytes] = {}
        sql = (
            "SELECT v.size, v.mtime_ns, v.data FROM views v JOIN files f ON f.id = v.file_id"
            " WHERE f.path = ?"
        )
        with self._errors("read"):
            for r in records:
                if not storable(r.path):
                    continue
                row = self._conn.execute(sql, (r.path,)).fetchone()
                if row is not None and row[0] == r.size and row[1] == r.mtime_ns:
                    out[r.path] = row[2]
        return out

    def store_views(self, items: Iterable[tuple[ImageRecord, bytes]]) -> int:
        """Remember verification views of already catalogued files; returns rows written."""
        rows = [(r.size, r.mtime_ns, data, r.path) for r, data in items if storable(r.path)]
        if not rows:
            return 0
        conn = self._conn
        with self._errors("write to"), _transaction(conn):
            conn.executemany(
                "INSERT OR REPLACE INTO views (file_id, size, mtime_ns, data)"
                " SELECT id, ?, ?, ? FROM files WHERE path = ?",
                rows,
            )
        return len(rows)

    def mark_seen(self, file_ids: Sequence[int]) -> None:
        """Record that a scan saw these (unchanged, cached) files now (ids from
        :meth:`lookup`)."""
        now = time.time()
        with self._errors("update"):
            for start in range(0, len(file_ids), 20000):
                with _transaction(self._conn):
                    self._conn.executemany(
                        "UPDATE files SET last_seen = ?, vanished_at = NULL WHERE id = ?",
                        [(now, i) for i in file_ids[start : start + 20000]],
                    )

    def mark_vanished(self, roots: Sequence[str], seen: Iterable[str]) -> int:
        """Mark rows below ``roots`` that a scan did not see and that no longer exist.

        Files a scan left out on purpose (excluded, hidden) but still present are kept.
        Returns how many rows were newly marked.
        """
        seen_set = set(seen)
        gone: list[str] = []
        with self._errors("read"):
            for clause, params in _under_clauses(roots):
                for (path,) in self._conn.execute(
                    f"SELECT path FROM files WHERE vanished_at IS NULL AND ({clause})", params
                ):
                    if path not in seen_set and not os.path.lexists(path):
                        gone.append(path)
        if gone:
            now = time.time()
            with self._errors("update"), _transaction(self._conn):
                self._conn.executemany(
                    "UPDATE files SET vanished_at = ? WHERE path = ?", [(now, p) for p in gone]
                )
        return len(gone)

    def images(
        self, spec: HashSpec, *, within: Sequence[str] = ()
    ) -> tuple[list[ImageRecord], HashArray]:
        """Every hashed, not vanished image of kind ``spec`` (below ``within`` if given),
        with its hashes as an ``(n, words)`` array aligned with the records."""
        sql = (
            "SELECT f.path, h.hash, h.width, h.height, h.size, h.mtime_ns, h.trim_hash,"
            " h.trim_box FROM hashes h JOIN files f ON f.id = h.file_id"
            " WHERE h.algorithm = ? AND h.hash_size = ? AND h.mode = ? AND h.hash IS NOT NULL"
            " AND f.vanished_at IS NULL AND h.size = f.size AND h.mtime_ns = f.mtime_ns"
        )
        params: list[Any] = [spec.algorithm, spec.size, hash_mode(spec)]
        rows: list[Any] = []
        with self._errors("read"):
            if within:
                for clause, extra in _under_clauses(within):
                    rows += self._conn.execute(f"{sql} AND ({clause})", params + extra).fetchall()
            else:
                rows = self._conn.execute(sql, params).fetchall()
        rows.sort(key=lambda r: r[0])
        blobs = [r[1] for r in rows]
        hashes = hashes_from_blobs(blobs, spec.words)
        records = []
        for r in rows:
            outcome = _outcome(r[0], r[4], r[5], (r[1], r[2], r[3], None, None, None), 0, r[6:8])
            assert isinstance(outcome, ImageRecord)
            records.append(outcome)
        return records, hashes

    # -- maintenance ----------------------------------------------------------------------

    def stats(self) -> CatalogStats:
        with self._errors("read"):
            c = self._conn
            files, vanished = c.execute("SELECT COUNT(*), COUNT(vanished_at) FROM files").fetchone()
            kinds = {
                _kind_name(alg, size, mode): n
                for alg, size, mode, n in c.execute(
                    "SELECT algorithm, hash_size, mode, COUNT(*) FROM hashes"
                    " WHERE hash IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
                )
            }
            failures = c.execute("SELECT COUNT(*) FROM hashes WHERE hash IS NULL").fetchone()[0]
            scans, last = c.execute("SELECT COUNT(*), MAX(created) FROM scans").fetchone()
            views, views_bytes = c.execute(
                "SELECT COUNT(*), COALESCE(SUM(length(data)), 0) FROM views"
            ).fetchone()
        return CatalogStats(
            path=self.location,
            schema_version=self.schema_version,
            bytes=self.disk_bytes(),
            files=files,
            vanished=vanished,
            hashes=kinds,
            failures=failures,
            scans=scans,
            last_scan=last,
            views=views,
            views_bytes=views_bytes,
        )

    def disk_bytes(self) -> int:
        """Size on disk of the database and its write-ahead log."""
        if self.path is None:
            page_size = self._conn.execute("PRAGMA page_size").fetchone()[0]
            page_count = self._conn.execute("PRAGMA page_count").fetchone()[0]
            return int(page_size * page_count)
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += self.path.with_name(self.path.name + suffix).stat().st_size
        return total

    def prune(self, *, dry_run: bool = False) -> list[str]:
        """Remove the entries of files that are gone (marked vanished or missing now).

        Returns the removed paths (or those that would be removed with ``dry_run``).
        """
        with self._errors("read"):
            rows = self._conn.execute("SELECT path, vanished_at FROM files").fetchall()
        gone = sorted(p for p, vanished in rows if vanished is not None or not os.path.lexists(p))
        if gone and not dry_run:
            with self._errors("update"):
                for start in range(0, len(gone), 5000):
                    with _transaction(self._conn):
                        self._conn.executemany(
                            "DELETE FROM files WHERE path = ?",
                            [(p,) for p in gone[start : start + 5000]],
                        )
        return gone

    def vacuum(self) -> tuple[int, int]:
        """Rebuild the file compactly and fold in the write-ahead log; (bytes before, after)."""
        before = self.disk_bytes()
        with self._errors("vacuum"):
            self._conn.execute("VACUUM")
            if self.path is not None:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return before, self.disk_bytes()

    def export_rows(self) -> Iterator[dict[str, Any]]:
        """Every (file, hash kind) row as a plain dict, ordered by path (for CSV/JSON)."""
        sql = (
            "SELECT f.path, f.size, f.mtime_ns, f.inode, f.device, f.exif_ns, f.first_seen,"
            " f.last_seen, f.vanished_at, h.algorithm, h.hash_size, h.mode, h.size,"
            " h.mtime_ns, h.hash, h.width, h.height, h.error_reason, h.error_detail"
            " FROM files f LEFT JOIN hashes h ON h.file_id = f.id ORDER BY f.path, 10, 11, 12"
        )
        with self._errors("read"):
            for r in self._conn.execute(sql):
                (path, size, mtime, inode, device, exif, first, last, vanished) = r[:9]
                alg, hsize, mode, hb, hm, blob, width, height, reason, detail = r[9:]
                yield {
                    "path": path,
                    "bytes": size,
                    "mtime_ns": mtime,
                    "inode": inode,
                    "device": device,
                    "exif_datetime": _iso_ns(exif),
                    "first_seen": _iso(first),
                    "last_seen": _iso(last),
                    "vanished": _iso(vanished),
                    "algorithm": alg,
                    "hash_size": hsize,
                    "mode": mode,
                    "hash": blob.hex() if blob is not None else None,
                    "current": hb == size and hm == mtime if alg is not None else None,
                    "width": width,
                    "height": height,
                    "error": reason,
                    "error_detail": detail,
                }

    # -- scans ------------------------------------------------------------------------------

    def save_scan(self, doc: dict[str, Any]) -> int:
        """Store a scan result document (``ScanResult.to_dict(include_images=True)``).

        Older scans keep their settings and summary (the history); only the newest
        :data:`KEEP_DOCUMENTS` keep the full document.
        """
        text = json.dumps(doc, ensure_ascii=False)
        blob = zlib.compress(text.encode("utf-8", "surrogateescape"), 6)
        settings = doc.get("settings", {})
        with self._errors("save the scan to"), _transaction(self._conn):
            cur = self._conn.execute(
                "INSERT INTO scans (created, paths, settings, summary, document)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    doc.get("created") or _now_iso(),
                    json.dumps(settings.get("paths", [])),
                    json.dumps(settings),
                    json.dumps(doc.get("summary", {})),
                    blob,
                ),
            )
            scan_id = int(cur.lastrowid or 0)
            self._conn.execute(
                "UPDATE scans SET document = NULL WHERE document IS NOT NULL AND id NOT IN"
                " (SELECT id FROM scans WHERE document IS NOT NULL ORDER BY id DESC LIMIT ?)",
                (KEEP_DOCUMENTS,),
            )
        return scan_id

    def last_scan_document(self) -> dict[str, Any]:
        """The newest stored scan document.

        Raises:
            NoSavedScanError: no scan was stored yet.
            CatalogError: it cannot be read.
        """
        with self._errors("read"):
            row = self._conn.execute(
                "SELECT document FROM scans WHERE document IS NOT NULL ORDER BY id DESC LIMIT 1"
            ).fetchone()
        if row is None:
            raise NoSavedScanError(
                "no saved scan yet", hint="run 'neardup scan PATH' first or give PATH"
            )
        try:
            text = zlib.decompress(row[0]).decode("utf-8", "surrogateescape")
            doc: dict[str, Any] = json.loads(text)
        except (zlib.error, ValueError, UnicodeDecodeError) as exc:
            raise CatalogError(
                f"the last scan in {self.location} is damaged ({exc}); scan again"
            ) from None
        return doc

    def history(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Past scans, newest first: id, created, paths and summary."""
        sql = "SELECT id, created, paths, summary FROM scans ORDER BY id DESC"
        params: tuple[Any, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        with self._errors("read"):
            rows = self._conn.execute(sql, params).fetchall()
        return [
            {"id": i, "created": c, "paths": json.loads(p), "summary": json.loads(s)}
            for i, c, p, s in rows
        ]


class CatalogWriter:
    """Collects hash outcomes and writes them in batches (one transaction per batch)."""

    def __init__(
        self,
        catalog: Catalog,
        spec: HashSpec,
        *,
        max_pixels: int,
        exif: Callable[[str], int | None] | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._catalog = catalog
        self._spec = spec
        self._mode = hash_mode(spec)
        self._max_pixels = max_pixels
        self._exif = exif
        self._batch_size = batch_size
        self._pending: list[tuple[HashOutcome, FileStat, int | None]] = []
        self._last_flush = time.monotonic()
        self.written = 0

    def add(
        self,
        outcome: HashOutcome,
        stat: FileStat | None,
        *,
        exif_known: bool = False,
        exif_ns: int | None = None,
    ) -> None:
        """Queue one outcome; ``stat`` is the file's stat when the scan met it.

        With ``exif_known``, ``exif_ns`` is the EXIF date (else it is read, for images).
        """
        if isinstance(outcome, ImageRecord):
            # The record's own size/mtime were taken just before decoding: they match
            # the hashed content even if the file changed since ``stat``.
            inode, device = (stat.inode, stat.device) if stat is not None else (0, 0)
            stat = FileStat(outcome.size, outcome.mtime_ns, inode, device)
        elif stat is None or outcome.reason not in CACHED_FAILURES:
            return
        if not storable(outcome.path):
            return
        exif = exif_ns
        if not exif_known and isinstance(outcome, ImageRecord) and self._exif is not None:
            exif = self._exif(outcome.path)  # read here, not while holding the write lock
        self._pending.append((outcome, stat, exif))
        if (
            len(self._pending) >= self._batch_size
            or time.monotonic() - self._last_flush > FLUSH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        self._last_flush = time.monotonic()
        if not pending:
            return
        now = time.time()
        spec, mode = self._spec, self._mode
        file_rows: list[tuple[Any, ...]] = []
        hash_rows: list[tuple[Any, ...]] = []
        for outcome, st, exif in pending:
            file_rows.append((outcome.path, st.size, st.mtime_ns, st.inode, st.device, exif, now))
            if isinstance(outcome, ImageRecord):
                hash_rows.append(
                    (
                        spec.algorithm, spec.size, mode, st.size, st.mtime_ns,
                        _hash_bytes(outcome.hash, spec), outcome.width, outcome.height,
                        None, None, None, now,
                        None if outcome.trim_hash is None
                        else _hash_bytes(outcome.trim_hash, spec),
                        None if outcome.trim_box is None else json.dumps(outcome.trim_box),
                        outcome.path,
                    )
                )  # fmt: skip
            else:
                limit = self._max_pixels if outcome.reason == "too-large" else None
                hash_rows.append(
                    (
                        spec.algorithm, spec.size, mode, st.size, st.mtime_ns, None, None,
                        None, outcome.reason, outcome.detail, limit, now, None, None,
                        outcome.path,
                    )
                )  # fmt: skip
        conn = self._catalog._conn
        with self._catalog._errors("write to"), _transaction(conn):
            conn.executemany(
                "INSERT INTO files (path, size, mtime_ns, inode, device, exif_ns, first_seen,"
                " last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
                " ON CONFLICT (path) DO UPDATE SET size = excluded.size,"
                " mtime_ns = excluded.mtime_ns, inode = excluded.inode,"
                " device = excluded.device, exif_ns = excluded.exif_ns,"
                " last_seen = excluded.last_seen, vanished_at = NULL",
                file_rows,
            )
            conn.executemany(
                "INSERT OR REPLACE INTO hashes (file_id, algorithm, hash_size, mode, size,"
                " mtime_ns, hash, width, height, error_reason, error_detail, max_pixels,"
                " hashed_at, trim_hash, trim_box)"
                " SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM files WHERE path = ?",
                hash_rows,
            )
        self.written += len(pending)


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
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


def _under_clauses(roots: Sequence[str]) -> Iterator[tuple[str, list[Any]]]:
    """SQL conditions selecting ``path`` equal to or below each root (using the index)."""
    for root in dict.fromkeys(os.path.abspath(r) for r in roots):
        if not storable(root):
            continue  # nothing below it can be in the catalog
        prefix = root if root.endswith(os.sep) else root + os.sep
        upper = prefix[:-1] + chr(ord(os.sep) + 1)
        yield "path = ? OR (path >= ? AND path < ?)", [root, prefix, upper]


def _outcome(
    path: str,
    size: int,
    mtime_ns: int,
    row: Sequence[Any],
    max_pixels: int,
    trim: Sequence[Any] = (None, None),
) -> HashOutcome | None:
    """A cached outcome from ``(hash, width, height, reason, detail, max_pixels)`` and
    ``(trim_hash, trim_box)``."""
    blob, width, height, reason, detail, limit = row
    if blob is not None:
        trim_blob, box = trim
        return ImageRecord(
            path,
            int.from_bytes(blob, "big"),
            width,
            height,
            size,
            mtime_ns,
            trim_hash=None if trim_blob is None else int.from_bytes(trim_blob, "big"),
            trim_box=None if box is None else tuple(json.loads(box)),
        )
    if reason == "too-large" and (limit is None or max_pixels > limit):
        return None  # a higher limit may let it through now
    return Skipped(path, reason, detail)


def _untrimmed(outcome: HashOutcome) -> bool:
    """An image record stored by a scan that did not trim."""
    return isinstance(outcome, ImageRecord) and outcome.trim_hash is None


def _kind_name(algorithm: str, size: int, mode: str) -> str:
    name = f"{algorithm}/{size * size}"
    return f"{name} ({mode})" if mode and mode != "fast" else name


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def _iso_ns(ns: int | None) -> str | None:
    if ns is None:
        return None
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).replace(tzinfo=None).isoformat()
