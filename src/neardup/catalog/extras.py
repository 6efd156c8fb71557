"""What the catalog keeps of an image besides its hashes: its verification views and the
alternate hashes of ``--invariant`` and ``--crop``, both made from the decode that hashed it.

Each is valid while the file keeps the size and ``mtime_ns`` the image's record has.
Alternates are stored per *kind* (:func:`alternates_kind`: which flips and turns, whether
centred crops, whether of the trimmed image), so a scan with other options computes its
own.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence

from neardup.catalog.hashes import hash_mode
from neardup.catalog.store import Store, storable, transaction
from neardup.model import HashSpec, ImageRecord


def alternates_kind(trim: bool, invariant: frozenset[str], crop: bool) -> str:
    """The key alternates are stored under, e.g. ``"flip,rotate+crop/trim"``.

    >>> alternates_kind(True, frozenset({"rotate", "flip"}), True)
    'flip,rotate+crop/trim'
    >>> alternates_kind(False, frozenset(), True)
    'crop'
    """
    parts = [",".join(sorted(invariant))] if invariant else []
    if crop:
        parts.append("crop")
    return "+".join(parts) + ("/trim" if trim else "")


def alternates_to_bytes(values: Sequence[int], spec: HashSpec) -> bytes:
    """Alternate hashes, each ``spec.words`` big-endian 64-bit words, one after the other."""
    width = 8 * spec.words
    return b"".join(v.to_bytes(width, "big") for v in values)


def alternates_from_bytes(data: bytes, spec: HashSpec) -> tuple[int, ...]:
    """:func:`alternates_to_bytes` undone (``ValueError`` for a length that does not fit)."""
    width = 8 * spec.words
    if len(data) % width:
        raise ValueError(f"not alternates of {spec.bits}-bit hashes ({len(data)} bytes)")
    return tuple(int.from_bytes(data[k : k + width], "big") for k in range(0, len(data), width))


class ExtraTables(Store):
    """The ``views``, ``alternates`` and ``verdicts`` tables (a part of
    :class:`neardup.catalog.Catalog`)."""

    # -- verdicts of verification ------------------------------------------------------------

    def load_verdicts(self, keys: Iterable[bytes]) -> dict[bytes, bool]:
        """The stored verdicts of those of ``keys`` the catalog has."""
        wanted = list(dict.fromkeys(keys))
        out: dict[bytes, bool] = {}
        with self._errors("read"):
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, ok FROM verdicts WHERE key IN ({marks})", chunk
                ).fetchall()
                out.update((bytes(k), bool(ok)) for k, ok in rows)
        return out

    def store_verdicts(self, verdicts: Mapping[bytes, bool]) -> None:
        """Remember ``verdicts`` (key → whether the pair was confirmed)."""
        if not verdicts:
            return
        now = time.time()
        with self._errors("write to"), transaction(self._conn):
            self._conn.executemany(
                "INSERT OR REPLACE INTO verdicts (key, ok, made_at) VALUES (?, ?, ?)",
                [(k, int(ok), now) for k, ok in verdicts.items()],
            )

    # -- verification views ------------------------------------------------------------------

    def load_views(self, records: Iterable[ImageRecord]) -> dict[str, bytes]:
        """Stored verification views (:class:`neardup.hashing.views.Views` bytes) of ``records``,
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
        with self._errors("write to"), transaction(conn):
            conn.executemany(
                "INSERT OR REPLACE INTO views (file_id, size, mtime_ns, data)"
                " SELECT id, ?, ?, ? FROM files WHERE path = ?",
                rows,
            )
        return len(rows)

    # -- alternates of --invariant and --crop -------------------------------------------------

    def load_alternates(
        self,
        records: Iterable[ImageRecord],
        spec: HashSpec,
        kind: str,
        moved_from: Mapping[str, str] | None = None,
    ) -> dict[str, tuple[int, ...]]:
        """Stored alternates of ``kind`` (:func:`alternates_kind`) of ``records``, by path,
        where the file still has the size and mtime the record has; a moved file's are
        read under the path it was catalogued under (``moved_from``: new → old)."""
        out: dict[str, tuple[int, ...]] = {}
        sql = (
            "SELECT a.size, a.mtime_ns, a.data FROM alternates a JOIN files f"
            " ON f.id = a.file_id WHERE f.path = ? AND a.algorithm = ? AND a.hash_size = ?"
            " AND a.mode = ? AND a.kind = ?"
        )
        mode = hash_mode(spec)
        with self._errors("read"):
            for r in records:
                if not storable(r.path):
                    continue
                where = moved_from.get(r.path, r.path) if moved_from else r.path
                params = (where, spec.algorithm, spec.size, mode, kind)
                row = self._conn.execute(sql, params).fetchone()
                if row is not None and row[0] == r.size and row[1] == r.mtime_ns:
                    try:
                        out[r.path] = alternates_from_bytes(row[2], spec)
                    except ValueError:  # damaged: computed again
                        continue
        return out
