"""Hashes in the catalog: what is still valid, and writing new ones (with the views and
alternates made from the same decode, :mod:`neardup.catalog.extras`).

A hash is valid while the file has the size and ``mtime_ns`` it had when hashed; a file
that was moved or renamed on the same device is found by inode and keeps its hash.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from neardup.bits import HashArray
from neardup.catalog.store import (
    BATCH_SIZE,
    FLUSH_SECONDS,
    Store,
    storable,
    transaction,
    under_clauses,
)
from neardup.model import HashOutcome, HashSpec, ImageRecord, Skipped

#: Failure reasons worth remembering: they cannot change while the file is unchanged.
#: (``unreadable`` may be fixed by a chmod, ``needs-extra`` by an install, and
#: ``too-large`` depends on the pixel limit, stored with it.)
CACHED_FAILURES: Final = frozenset({"empty", "not-an-image", "corrupt", "too-large"})


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
    #: the catalogued path each moved file was found under (new path → old path)
    moved_from: dict[str, str] = dataclasses.field(default_factory=dict)


def _hash_bytes(value: int, spec: HashSpec) -> bytes:
    return value.to_bytes(spec.bits // 8, "big")


def hashes_from_blobs(blobs: Sequence[bytes], words: int) -> HashArray:
    """Big-endian hash blobs → an ``(n, words)`` ``uint64`` array (word 0 most significant)."""
    if not blobs:
        return np.empty((0, words), dtype=np.uint64)
    raw = np.frombuffer(b"".join(blobs), dtype=">u8").reshape(len(blobs), words)
    return raw.astype(np.uint64)


class HashTables(Store):
    """The ``hashes`` table (a part of :class:`neardup.catalog.Catalog`)."""

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
        found.update((p, outcome) for p, (outcome, _, _) in moved.items())
        return CacheHits(
            found,
            {p: exif for p, (_, exif, _) in moved.items()},
            ids,
            {p: old for p, (_, _, old) in moved.items()},
        )

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
            for clause, extra in under_clauses(roots):
                out += self._conn.execute(f"{sql} AND ({clause})", params + extra).fetchall()
        return out

    def _lookup_moved(
        self,
        paths: list[str],
        stats: dict[str, FileStat],
        spec: HashSpec,
        mode: str,
        max_pixels: int,
    ) -> dict[str, tuple[HashOutcome, int | None, str]]:
        found: dict[str, tuple[HashOutcome, int | None, str]] = {}
        sql = (
            "SELECT h.size, h.mtime_ns, h.hash, h.width, h.height, h.error_reason,"
            " h.error_detail, h.max_pixels, f.exif_ns, h.trim_hash, h.trim_box, f.path"
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
                    found[path] = (outcome, row[8], row[11])
        return found

    @contextlib.contextmanager
    def writer(
        self,
        spec: HashSpec,
        *,
        max_pixels: int,
        exif: Callable[[str], int | None] | None = None,
        alternates_kind: str = "",
    ) -> Iterator[CatalogWriter]:
        """A batching writer for hash outcomes; pending rows are written on exit, even when
        the block is interrupted, so a cancelled scan keeps what it hashed."""
        w = CatalogWriter(
            self, spec, max_pixels=max_pixels, exif=exif, alternates_kind=alternates_kind
        )
        try:
            yield w
        finally:
            w.flush()

    def mark_seen(self, file_ids: Sequence[int]) -> None:
        """Record that a scan saw these (unchanged, cached) files now (ids from
        :meth:`lookup`)."""
        now = time.time()
        with self._errors("update"):
            for start in range(0, len(file_ids), 20000):
                with transaction(self._conn):
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
            for clause, params in under_clauses(roots):
                for (path,) in self._conn.execute(
                    f"SELECT path FROM files WHERE vanished_at IS NULL AND ({clause})", params
                ):
                    if path not in seen_set and not os.path.lexists(path):
                        gone.append(path)
        if gone:
            now = time.time()
            with self._errors("update"), transaction(self._conn):
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
                for clause, extra in under_clauses(within):
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


class CatalogWriter:
    """Collects hash outcomes and writes them in batches (one transaction per batch)."""

    def __init__(
        self,
        catalog: HashTables,
        spec: HashSpec,
        *,
        max_pixels: int,
        exif: Callable[[str], int | None] | None = None,
        batch_size: int = BATCH_SIZE,
        alternates_kind: str = "",
    ) -> None:
        self._catalog = catalog
        self._alternates_kind = alternates_kind
        self._spec = spec
        self._mode = hash_mode(spec)
        self._max_pixels = max_pixels
        self._exif = exif
        self._batch_size = batch_size
        self._pending: list[tuple[HashOutcome, FileStat, int | None, bytes | None, bytes | None]]
        self._pending = []
        self._moves: list[tuple[str, str]] = []  # (new path, old path)
        self._last_flush = time.monotonic()
        self.written = 0

    def add(
        self,
        outcome: HashOutcome,
        stat: FileStat | None,
        *,
        exif_known: bool = False,
        exif_ns: int | None = None,
        views: bytes | None = None,
        alternates: bytes | None = None,
        moved_from: str | None = None,
    ) -> None:
        """Queue one outcome; ``stat`` is the file's stat when the scan met it.

        With ``exif_known``, ``exif_ns`` is the EXIF date (else it is read, for images).
        ``views``: the image's serialised verification views, ``alternates`` its alternate
        hashes (of the writer's ``alternates_kind``), written in the same transaction.
        ``moved_from``: the path a moved file was catalogued under; its views and
        alternates of every kind go with it.
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
        self._pending.append((outcome, stat, exif, views, alternates))
        if moved_from is not None and isinstance(outcome, ImageRecord):
            self._moves.append((outcome.path, moved_from))
        if (
            len(self._pending) >= self._batch_size
            or time.monotonic() - self._last_flush > FLUSH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        moves, self._moves = self._moves, []
        self._last_flush = time.monotonic()
        if not pending:
            return
        now = time.time()
        spec, mode = self._spec, self._mode
        file_rows: list[tuple[Any, ...]] = []
        hash_rows: list[tuple[Any, ...]] = []
        view_rows: list[tuple[Any, ...]] = []
        alternate_rows: list[tuple[Any, ...]] = []
        for outcome, st, exif, views, alternates in pending:
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
                if views is not None:
                    view_rows.append((outcome.size, outcome.mtime_ns, views, outcome.path))
                if alternates is not None:
                    alternate_rows.append((spec.algorithm, spec.size, mode, self._alternates_kind,
                                           outcome.size, outcome.mtime_ns, alternates,
                                           outcome.path))  # fmt: skip
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
        with self._catalog._errors("write to"), transaction(conn):
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
            if view_rows:
                conn.executemany(
                    "INSERT OR REPLACE INTO views (file_id, size, mtime_ns, data)"
                    " SELECT id, ?, ?, ? FROM files WHERE path = ?",
                    view_rows,
                )
            if alternate_rows:
                conn.executemany(
                    "INSERT OR REPLACE INTO alternates (file_id, algorithm, hash_size, mode,"
                    " kind, size, mtime_ns, data) SELECT id, ?, ?, ?, ?, ?, ?, ? FROM files"
                    " WHERE path = ?",
                    alternate_rows,
                )
            for sql in _MOVE_EXTRAS:
                conn.executemany(sql, moves)
        self.written += len(pending)


#: A moved file's views and alternates, copied to its new path (``?1`` new, ``?2`` old); they
#: are valid for the same size and mtime, which a file found by inode still has.
_MOVE_EXTRAS: Final = (
    "INSERT OR REPLACE INTO views (file_id, size, mtime_ns, data)"
    " SELECT new.id, v.size, v.mtime_ns, v.data FROM views v"
    " JOIN files old ON old.id = v.file_id, files new WHERE old.path = ?2 AND new.path = ?1",
    "INSERT OR REPLACE INTO alternates (file_id, algorithm, hash_size, mode, kind, size,"
    " mtime_ns, data) SELECT new.id, a.algorithm, a.hash_size, a.mode, a.kind, a.size,"
    " a.mtime_ns, a.data FROM alternates a JOIN files old ON old.id = a.file_id, files new"
    " WHERE old.path = ?2 AND new.path = ?1",
)


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
