"""Writing hash outcomes to the catalog in batches, with the views and alternates made from
the same decode (:mod:`neardup.catalog.extras`), and carrying a moved file's along."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

from neardup.catalog.hashes import CACHED_FAILURES, FileStat, hash_bytes, hash_mode
from neardup.catalog.store import BATCH_SIZE, FLUSH_SECONDS, Store, storable, transaction
from neardup.model import HashOutcome, HashSpec, ImageRecord


class HashWriting(Store):
    """Writing hashes (a part of :class:`neardup.catalog.Catalog`)."""

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


class CatalogWriter:
    """Collects hash outcomes and writes them in batches (one transaction per batch)."""

    def __init__(
        self,
        catalog: Store,
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
                        hash_bytes(outcome.hash, spec), outcome.width, outcome.height,
                        None, None, None, now,
                        None if outcome.trim_hash is None
                        else hash_bytes(outcome.trim_hash, spec),
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
