"""Scans in the catalog: the history of earlier scans and the full result of the newest
(what ``delete`` and ``show`` act on without rescanning)."""

from __future__ import annotations

import json
import zlib
from typing import Any, Final

from neardup.catalog.store import Store, now_iso, transaction
from neardup.errors import CatalogError, NoSavedScanError

#: How many scans keep their full result document (the newest ones).
KEEP_DOCUMENTS: Final = 1


class ScanTables(Store):
    """The ``scans`` table (a part of :class:`neardup.catalog.Catalog`)."""

    def save_scan(self, doc: dict[str, Any]) -> int:
        """Store a scan result document (``ScanResult.to_dict(include_images=True)``).

        Older scans keep their settings and summary (the history); only the newest
        :data:`KEEP_DOCUMENTS` keep the full document.
        """
        text = json.dumps(doc, ensure_ascii=False)
        blob = zlib.compress(text.encode("utf-8", "surrogateescape"), 6)
        settings = doc.get("settings", {})
        with self._errors("save the scan to"), transaction(self._conn):
            cur = self._conn.execute(
                "INSERT INTO scans (created, paths, settings, summary, document)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    doc.get("created") or now_iso(),
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
