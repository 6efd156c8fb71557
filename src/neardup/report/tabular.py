"""Machine-readable output: JSON (schema in docs/json-schema.md) and CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from neardup.model import ScanResult

CSV_FIELDS = (
    "group",
    "path",
    "keeper",
    "distance_to_keeper",
    "within_threshold",
    "width",
    "height",
    "bytes",
    "hash",
)


def write_json(doc: dict[str, Any], stream: TextIO) -> None:
    json.dump(doc, stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def csv_rows(result: ScanResult) -> Iterator[dict[str, Any]]:
    """One row per group member, keeper first in each group."""
    spec = result.settings.spec
    for gid, g in enumerate(result.groups, start=1):
        for k, (row, dist) in enumerate(zip(g.members, g.distances, strict=True)):
            r = result.records[row]
            yield {
                "group": gid,
                "path": r.path,
                "keeper": k == 0,
                "distance_to_keeper": dist,
                "within_threshold": dist <= g.threshold,
                "width": r.width,
                "height": r.height,
                "bytes": r.size,
                "hash": spec.hex(r.hash),
            }


def write_csv(result: ScanResult, stream: TextIO) -> None:
    writer = csv.DictWriter(stream, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(result))
