"""The result of a scan and its stable JSON form (``schema_version`` 1, see
docs/json-schema.md)."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from neardup import __version__
from neardup.model.records import Group, HashSpec, ImageRecord, Skipped

if TYPE_CHECKING:
    from neardup.bits import HashArray

SCHEMA_VERSION: Final = 1
#: What documents written before a setting existed used (read by :meth:`ScanSettings.from_dict`).
_LEGACY_KEEP: Final = ("highest-resolution", "largest", "first")
_LEGACY_MAX_PIXELS: Final = 2 * 89_478_485


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """The options a scan ran with (enough to repeat it): a record, with no defaults of its
    own. :meth:`neardup.api.ScanOptions.settings` makes one from the options of a scan."""

    paths: tuple[str, ...]
    hash: str
    hash_size: int
    threshold: int
    index: str
    index_options: tuple[tuple[str, Any], ...]
    recursive: bool
    exclude: tuple[str, ...]
    hidden: bool
    keep: tuple[str, ...]
    grouping: str
    trim: bool
    invariant: tuple[str, ...]
    crop: bool
    verify: bool
    verify_min: float
    #: ``"fast"`` (reduced-size decoding) or ``"compat"`` (bit-for-bit ImageHash).
    hash_mode: str
    max_pixels: int
    #: Each local root pinned at scan time: ``(path, resolved path, device, inode)``, so a
    #: delete can refuse a root that has since become a symlink or another folder (a
    #: recorded fact, not an option: empty for results made in memory).
    roots: tuple[tuple[str, str, int, int], ...] = ()

    @property
    def spec(self) -> HashSpec:
        return HashSpec(self.hash, self.hash_size, compat=self.hash_mode == "compat")

    def to_dict(self) -> dict[str, Any]:
        return {
            "paths": list(self.paths),
            "hash": self.hash,
            "hash_size": self.hash_size,
            "threshold": self.threshold,
            "index": self.index,
            "index_options": dict(self.index_options),
            "recursive": self.recursive,
            "exclude": list(self.exclude),
            "hidden": self.hidden,
            "keep": list(self.keep),
            "grouping": self.grouping,
            "trim": self.trim,
            "invariant": list(self.invariant),
            "crop": self.crop,
            "verify": self.verify,
            "verify_min": self.verify_min,
            "hash_mode": self.hash_mode,
            "max_pixels": self.max_pixels,
            "roots": [
                {"path": p, "resolved": r, "device": dev, "inode": ino}
                for p, r, dev, ino in self.roots
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScanSettings:
        """Read the settings of a saved document; a key that older versions did not write
        takes the value those versions used."""
        return cls(
            paths=tuple(d["paths"]),
            hash=d["hash"],
            hash_size=int(d["hash_size"]),
            threshold=int(d["threshold"]),
            index=d["index"],
            index_options=tuple(sorted(d.get("index_options", {}).items())),
            recursive=bool(d.get("recursive", True)),
            exclude=tuple(d.get("exclude", ())),
            hidden=bool(d.get("hidden", False)),
            keep=tuple(d.get("keep", _LEGACY_KEEP)),
            # Documents written before these settings existed grouped by components, untrimmed.
            grouping=d.get("grouping", "components"),
            trim=bool(d.get("trim", False)),
            invariant=tuple(d.get("invariant", ())),
            crop=bool(d.get("crop", False)),
            verify=bool(d.get("verify", False)),
            verify_min=float(d.get("verify_min", 0.9)),
            # documents written before hash_mode existed were hashed the ImageHash way
            hash_mode=str(d.get("hash_mode", "compat")),
            max_pixels=int(d.get("max_pixels", _LEGACY_MAX_PIXELS)),
            # scans saved before roots were pinned have none: nothing to compare
            roots=tuple(
                (str(r["path"]), str(r["resolved"]), int(r["device"]), int(r["inode"]))
                for r in d.get("roots", ())
            ),
        )


def pin_roots(paths: Sequence[str]) -> tuple[tuple[str, str, int, int], ...]:
    """``(path, resolved path, device, inode)`` of each local root that exists."""
    pins = []
    for p in paths:
        try:
            st = os.stat(p)
        except (OSError, ValueError):
            continue  # a URL, or gone: nothing to pin
        pins.append((p, os.path.realpath(p), st.st_dev, st.st_ino))
    return tuple(pins)


@dataclass(slots=True)
class ScanResult:
    """Everything a scan found: hashed images, skipped files and near-duplicate groups."""

    settings: ScanSettings
    records: list[ImageRecord]
    skipped: list[Skipped]
    groups: list[Group]
    files_seen: int = 0
    ignored: int = 0
    seconds: float = 0.0
    from_catalog: int = 0
    created: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    _hashes: HashArray | None = field(default=None, repr=False)

    @property
    def hashes(self) -> HashArray:
        """The ``(n, words)`` hash array aligned with :attr:`records`."""
        if self._hashes is None or self._hashes.shape[0] != len(self.records):
            from neardup.bits import to_array

            self._hashes = to_array([r.hash for r in self.records], self.settings.spec.words)
        return self._hashes

    @property
    def duplicates(self) -> int:
        """Files that are not the proposed keeper of their group."""
        return sum(len(g) - 1 for g in self.groups)

    @property
    def reclaimable_bytes(self) -> int:
        return sum(self.records[m].size for g in self.groups for m in g.members[1:])

    def skipped_by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(s.reason for s in self.skipped).items()))

    def summary(self) -> dict[str, Any]:
        return {
            "files_seen": self.files_seen,
            "images_hashed": len(self.records),
            "images_from_catalog": self.from_catalog,
            "ignored_not_images": self.ignored,
            "skipped": len(self.skipped),
            "skipped_by_reason": self.skipped_by_reason(),
            "groups": len(self.groups),
            "duplicates": self.duplicates,
            "chained_groups": sum(1 for g in self.groups if g.chained),
            "reclaimable_bytes": self.reclaimable_bytes,
            "seconds": round(self.seconds, 3),
        }

    def to_dict(self, *, include_images: bool = False) -> dict[str, Any]:
        """The documented JSON document. ``include_images`` adds every hashed image."""
        spec = self.settings.spec
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "neardup_version": __version__,
            "created": self.created,
            "settings": self.settings.to_dict(),
            "summary": self.summary(),
            "groups": [
                {
                    "id": gid,
                    "size": len(g),
                    "keeper": self.records[g.keeper].path,
                    "max_distance": g.max_distance,
                    "chained": g.chained,
                    "reclaimable_bytes": sum(self.records[m].size for m in g.members[1:]),
                    "members": [
                        _record_dict(self.records[m], spec)
                        | {
                            "distance_to_keeper": d,
                            "keeper": k == 0,
                            "within_threshold": d <= g.threshold,
                            "match": g.match(k) or None,
                        }
                        for k, (m, d) in enumerate(zip(g.members, g.distances, strict=True))
                    ],
                }
                for gid, g in enumerate(self.groups, start=1)
            ],
            "skipped": [
                {"path": s.path, "reason": s.reason, "detail": s.detail} for s in self.skipped
            ],
        }
        if include_images:
            doc["images"] = [_record_dict(r, spec) for r in self.records]
        return doc

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ScanResult:
        """Rebuild a result saved with ``include_images=True``."""
        settings = ScanSettings.from_dict(doc["settings"])
        records = [
            ImageRecord(
                path=i["path"],
                hash=int(i["hash"], 16),
                width=int(i["width"]),
                height=int(i["height"]),
                size=int(i["bytes"]),
                mtime_ns=int(i["mtime_ns"]),
                trim_hash=int(i["trim_hash"], 16) if i.get("trim_hash") else None,
                trim_box=tuple(i["trim_box"]) if i.get("trim_box") else None,
            )
            for i in doc["images"]
        ]
        row_of = {r.path: k for k, r in enumerate(records)}
        groups = [
            Group(
                members=tuple(row_of[m["path"]] for m in g["members"]),
                distances=tuple(int(m["distance_to_keeper"]) for m in g["members"]),
                max_distance=int(g["max_distance"]),
                threshold=settings.threshold,
                matches=tuple(m.get("match") or "" for m in g["members"]),
            )
            for g in doc["groups"]
        ]
        skipped = [Skipped(s["path"], s["reason"], s["detail"]) for s in doc["skipped"]]
        summary = doc.get("summary", {})
        return cls(
            settings=settings,
            records=records,
            skipped=skipped,
            groups=groups,
            files_seen=int(summary.get("files_seen", 0)),
            ignored=int(summary.get("ignored_not_images", 0)),
            seconds=float(summary.get("seconds", 0.0)),
            from_catalog=int(summary.get("images_from_catalog", 0)),
            created=doc.get("created", ""),
        )


def _record_dict(r: ImageRecord, spec: HashSpec) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "path": r.path,
        "hash": spec.hex(r.hash),
        "width": r.width,
        "height": r.height,
        "bytes": r.size,
        "mtime_ns": r.mtime_ns,
    }
    if r.trim_hash is not None:
        doc["trim_hash"] = spec.hex(r.trim_hash)
        doc["trim_box"] = None if r.trim_box is None else list(r.trim_box)
    return doc
