"""Hashes in the catalog: what is still valid (writing new ones is
:mod:`neardup.catalog.writer`).

A hash is valid while the file has the size and ``mtime_ns`` it had when hashed; a file
that was moved or renamed on the same device is found by inode and keeps its hash.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from neardup.bits import HashArray
from neardup.catalog.store import (
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


def hash_bytes(value: int, spec: HashSpec) -> bytes:
    """A hash as the catalog stores it: big-endian, ``spec.bits`` bits."""
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
