"""Keeping the catalog small and readable: statistics, pruning, vacuuming, export."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from neardup.catalog.hashes import _outcome, hash_mode
from neardup.catalog.store import Store, transaction
from neardup.model import HashOutcome, HashSpec


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
    #: Images whose alternates of ``--invariant``/``--crop`` are stored, per kind (e.g.
    #: ``crop/trim``; see :func:`neardup.catalog.extras.alternates_kind`).
    alternates: dict[str, int] = dataclasses.field(default_factory=dict)
    #: Pairs whose verification verdict is kept (compared one by one).
    verdicts: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Maintenance(Store):
    """Statistics and upkeep (a part of :class:`neardup.catalog.Catalog`)."""

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
            alternates = dict(
                c.execute("SELECT kind, COUNT(*) FROM alternates GROUP BY kind ORDER BY kind")
            )
            verdicts = c.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]
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
            alternates=alternates,
            verdicts=verdicts,
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
        """Remove the entries of files that are gone (marked vanished or missing now), and
        the kept verdicts of verification (they are not tied to files; the next scan
        decides its pairs again and keeps those).

        Returns the removed paths (or those that would be removed with ``dry_run``).
        """
        with self._errors("read"):
            rows = self._conn.execute("SELECT path, vanished_at FROM files").fetchall()
        gone = sorted(p for p, vanished in rows if vanished is not None or not os.path.lexists(p))
        if gone and not dry_run:
            with self._errors("update"):
                for start in range(0, len(gone), 5000):
                    with transaction(self._conn):
                        self._conn.executemany(
                            "DELETE FROM files WHERE path = ?",
                            [(p,) for p in gone[start : start + 5000]],
                        )
        if not dry_run:
            with self._errors("update"), transaction(self._conn):
                self._conn.execute("DELETE FROM verdicts")
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


def _kind_name(algorithm: str, size: int, mode: str) -> str:
    name = f"{algorithm}/{size * size}"
    return f"{name} ({mode})" if mode and mode != "fast" else name


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def _iso_ns(ns: int | None) -> str | None:
    if ns is None:
        return None
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).replace(tzinfo=None).isoformat()


class KindRows(Store):
    """Every stored outcome of one hash kind (a part of :class:`neardup.catalog.Catalog`),
    for moving hashes to and from a Parquet hash store."""

    def hash_kinds(self) -> list[HashSpec]:
        """The hash kinds (algorithm, size, mode) the catalog holds."""
        with self._errors("read"):
            rows = self._conn.execute(
                "SELECT DISTINCT algorithm, hash_size, mode FROM hashes ORDER BY 1, 2, 3"
            ).fetchall()
        kinds = [HashSpec(alg, size, compat=mode == "compat") for alg, size, mode in rows]
        return [k for k, (_, _, mode) in zip(kinds, rows, strict=True) if hash_mode(k) == mode]

    def kind_outcomes(self, spec: HashSpec) -> list[HashOutcome]:
        """The stored outcome of every file with a hash (or remembered failure) of ``spec``."""
        sql = (
            "SELECT f.path, h.size, h.mtime_ns, h.hash, h.width, h.height, h.error_reason,"
            " h.error_detail, h.max_pixels, h.trim_hash, h.trim_box"
            " FROM hashes h JOIN files f ON f.id = h.file_id"
            " WHERE h.algorithm = ? AND h.hash_size = ? AND h.mode = ? ORDER BY f.path"
        )
        with self._errors("read"):
            rows = self._conn.execute(sql, (spec.algorithm, spec.size, hash_mode(spec)))
            found = [_outcome(r[0], r[1], r[2], r[3:9], 0, r[9:11]) for r in rows]
        return [o for o in found if o is not None]
