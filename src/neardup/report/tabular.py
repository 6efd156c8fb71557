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


def _raw_bytes(text: str) -> bytes | None:
    """The bytes of a string that is not valid Unicode text (a file name read with
    ``surrogateescape``), else ``None``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return text.encode("utf-8", "surrogatepass")
    return None


def _escaped(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def json_safe(value: Any) -> Any:
    """``value`` with every string made valid UTF-8 text.

    A string holding bytes that are not UTF-8 (a file name on a POSIX system, read with
    ``surrogateescape``) is written with each such byte as the four characters ``\\xHH``;
    in an object, a sibling key ``<key>_bytes`` then carries the exact bytes in hex, so
    ``bytes.fromhex(doc["path_bytes"])`` gives the name to open. Valid text is unchanged.

    >>> json_safe({"path": "/a/caf\\udce9.jpg", "n": ["x\\udcff"]})
    {'path': '/a/caf\\\\xe9.jpg', 'path_bytes': '2f612f636166e92e6a7067', 'n': ['x\\\\xff']}
    """
    if isinstance(value, str):
        raw = _raw_bytes(value)
        return value if raw is None else _escaped(raw)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            raw = _raw_bytes(v) if isinstance(v, str) else None
            if raw is None:
                out[k] = json_safe(v)
            else:
                out[k] = _escaped(raw)
                out[f"{k}_bytes"] = raw.hex()
        return out
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def write_json(doc: dict[str, Any], stream: TextIO) -> None:
    """``doc`` as indented JSON, always valid UTF-8 (see :func:`json_safe`)."""
    json.dump(json_safe(doc), stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def csv_rows(result: ScanResult) -> Iterator[dict[str, Any]]:
    """One row per group member, keeper first in each group."""
    spec = result.settings.spec
    for gid, g in enumerate(result.groups, start=1):
        for k, (row, dist) in enumerate(zip(g.members, g.distances, strict=True)):
            r = result.records[row]
            yield {
                "group": gid,
                "path": json_safe(r.path),
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
