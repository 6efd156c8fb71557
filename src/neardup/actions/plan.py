"""Which files a delete keeps and which it removes, and why: a pure, reviewable plan.

:func:`plan_deletion` reads a :class:`~neardup.model.ScanResult` and the file system
(``lstat`` only, to recognise hard links) and changes nothing. Per group:

* the keeper is chosen by the keep rules among the group's reference files when it has
  any, else among all members (the scan's proposed keeper is not reused: ``delete`` has
  its own ``--keep``);
* files under a reference folder are always kept (``reference``); a group made only of
  references is left alone (``untouched``);
* a member further than the threshold from the keeper (reachable only through a chain)
  is kept (``beyond-threshold``);
* a hard link to a kept file (same device and inode) is kept (``hard-link``): removing
  it would reclaim nothing;
* every other member is removed (``duplicate``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from neardup import __version__
from neardup.bits import hamming
from neardup.errors import UsageError
from neardup.model import DEFAULT_KEEP, HashSpec, ImageRecord, ScanResult, parse_keep
from neardup.pipeline.keep import OLD_DEFAULT_KEEP, group_key

PLAN_VERSION: Final = 1

Decision = Literal["keep", "remove"]

#: Reason codes, stable in the JSON form of a plan.
REASONS: Final[dict[str, str]] = {
    "keeper": "chosen by the keep rules",
    "reference": "in a reference folder",
    "beyond-threshold": "further than the threshold from the keeper (chained)",
    "hard-link": "a hard link to a kept file (removing it reclaims nothing)",
    "duplicate": "within the threshold of the keeper",
}


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One file of a group and what the plan does with it."""

    record: ImageRecord
    decision: Decision
    reason: str
    distance: int
    reference: bool

    @property
    def path(self) -> str:
        return self.record.path

    def to_dict(self, spec: HashSpec) -> dict[str, Any]:
        r = self.record
        return {
            "path": r.path,
            "decision": self.decision,
            "reason": self.reason,
            "distance_to_keeper": self.distance,
            "reference": self.reference,
            "bytes": r.size,
            "mtime_ns": r.mtime_ns,
            "hash": spec.hex(r.hash),
            "width": r.width,
            "height": r.height,
        }


@dataclass(frozen=True, slots=True)
class PlanGroup:
    """A group: its keeper first, then the other members by distance to the keeper."""

    id: int
    items: tuple[PlanItem, ...]

    @property
    def keeper(self) -> PlanItem:
        return self.items[0]

    @property
    def untouched(self) -> bool:
        """True when the plan removes nothing from this group."""
        return all(i.decision == "keep" for i in self.items)

    @property
    def removals(self) -> list[PlanItem]:
        return [i for i in self.items if i.decision == "remove"]


@dataclass(slots=True)
class Plan:
    """What a delete would do; apply it with :func:`neardup.actions.apply_plan`."""

    spec: HashSpec
    threshold: int
    keep: tuple[str, ...]
    references: tuple[str, ...]
    roots: tuple[str, ...]
    groups: list[PlanGroup] = field(default_factory=list)
    scan_created: str = ""
    #: The scan's pinned roots ``(path, resolved, device, inode)``; see :func:`verify`.
    root_pins: tuple[tuple[str, str, int, int], ...] = ()

    @property
    def removals(self) -> list[tuple[PlanGroup, PlanItem]]:
        return [(g, i) for g in self.groups for i in g.removals]

    @property
    def bytes_reclaimed(self) -> int:
        return sum(i.record.size for _, i in self.removals)

    def summary(self) -> dict[str, int]:
        items = [i for g in self.groups for i in g.items]
        return {
            "groups": len(self.groups),
            "groups_untouched": sum(1 for g in self.groups if g.untouched),
            "keep": sum(1 for i in items if i.decision == "keep"),
            "remove": sum(1 for i in items if i.decision == "remove"),
            "bytes_reclaimed": self.bytes_reclaimed,
        }

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (``plan_version`` 1, documented in docs/delete.md)."""
        return {
            "plan_version": PLAN_VERSION,
            "neardup_version": __version__,
            "scan_created": self.scan_created,
            "settings": {
                "keep": list(self.keep),
                "references": list(self.references),
                "threshold": self.threshold,
                "hash": self.spec.algorithm,
                "hash_size": self.spec.size,
            },
            "summary": self.summary(),
            "groups": [
                {
                    "id": g.id,
                    "keeper": g.keeper.path,
                    "untouched": g.untouched,
                    "files": [i.to_dict(self.spec) for i in g.items],
                }
                for g in self.groups
            ],
        }


def normalize_folders(folders: Iterable[str | os.PathLike[str]]) -> tuple[str, ...]:
    """Absolute, normalised folder paths (symlinks resolved, so containment is real)."""
    out: list[str] = []
    for f in folders:
        path = os.path.realpath(os.path.expanduser(os.fspath(f)))
        if not os.path.isdir(path):
            raise UsageError(f"reference folder {os.fspath(f)!r} is not a folder")
        out.append(path)
    return tuple(dict.fromkeys(out))


def is_under(path: str, folders: Sequence[str]) -> bool:
    """True when ``path`` is one of ``folders`` or inside one of them.

    >>> is_under("/a/b/c.jpg", ["/a/b"]), is_under("/a/bc.jpg", ["/a/b"])
    (True, False)
    """
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def _inode(path: str) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _decide(
    records: list[ImageRecord],
    refs: tuple[str, ...],
    rules: tuple[str, ...],
    threshold: int,
) -> tuple[PlanItem, ...]:
    """One group's items, keeper first, then by distance to the keeper."""
    is_ref = {r.path: is_under(os.path.realpath(r.path), refs) for r in records}
    pool = [r for r in records if is_ref[r.path]] or records
    key = group_key(pool, rules)
    keeper = min(pool, key=key)
    dist = {r.path: hamming(r.hash, keeper.hash) for r in records}
    others = sorted((r for r in records if r is not keeper), key=lambda r: (dist[r.path], key(r)))
    inode = {r.path: _inode(r.path) for r in records}
    decided: list[tuple[ImageRecord, Decision, str]] = [
        (keeper, "keep", "reference" if is_ref[keeper.path] else "keeper")
    ]
    for r in others:
        if is_ref[r.path]:
            decided.append((r, "keep", "reference"))
        elif dist[r.path] > threshold:
            decided.append((r, "keep", "beyond-threshold"))
        else:
            decided.append((r, "remove", "duplicate"))
    kept = {inode[r.path] for r, d, _ in decided if d == "keep"} - {None}
    return tuple(
        PlanItem(
            record=r,
            decision="keep" if inode[r.path] in kept else d,
            reason="hard-link" if d == "remove" and inode[r.path] in kept else why,
            distance=dist[r.path],
            reference=is_ref[r.path],
        )
        for r, d, why in decided
    )


def plan_deletion(
    result: ScanResult,
    *,
    keep: str | Sequence[str] | None = None,
    references: Iterable[str | os.PathLike[str]] = (),
) -> Plan:
    """Decide, group by group, which files to keep and which to remove.

    Args:
        result: a scan (fresh or loaded with :func:`neardup.catalog.scans.load_last_scan`).
        keep: keep rules (:mod:`neardup.pipeline.keep`); ``None`` uses the scan's rules.
        references: folders whose files are always kept and never touched.

    Returns:
        A :class:`Plan`; nothing on disk is changed.

    Raises:
        UsageError: an unknown keep rule or a reference that is not a folder.
    """
    saved = tuple(result.settings.keep)
    # a scan saved with the former default gets the current one (it chose no rules)
    rules = parse_keep(
        keep if keep is not None else DEFAULT_KEEP if saved == OLD_DEFAULT_KEEP else saved
    )
    refs = normalize_folders(references)
    threshold = result.settings.threshold
    plan = Plan(
        spec=result.settings.spec,
        threshold=threshold,
        keep=rules,
        references=refs,
        roots=result.settings.paths,
        scan_created=result.created,
        root_pins=result.settings.roots,
    )
    for gid, group in enumerate(result.groups, start=1):
        records = [result.records[m] for m in group.members]
        plan.groups.append(PlanGroup(gid, _decide(records, refs, rules, threshold)))
    return plan
