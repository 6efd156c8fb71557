"""The state of one ``neardup review`` run: the groups, paging, and what was decided.

Groups are indexed once at start-up without opening any file; pages are selected on the
server (sort, filter, status), and only the files on a page are looked at. Decisions
(keeper swaps, files marked for deletion, "not duplicates") are saved in the catalog as
they are made (:mod:`neardup.catalog.decisions`), so a later review resumes. The client
names files only by id: the row of a group member in the served scan.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from neardup.actions import Action
from neardup.bits import distances_to, hamming
from neardup.catalog import Catalog, default_path
from neardup.model import ImageRecord, ScanResult, natural_key, parse_keep
from neardup.pipeline.keep import keeper_key
from neardup.report.text import format_bytes
from neardup.report.thumbs import ThumbnailCache
from neardup.report.webapp.images import file_info

#: Groups per page unless asked otherwise, and the most a page shows.
PER_PAGE: Final = 20
MAX_PER_PAGE: Final = 200
SORTS: Final = {
    "reclaimable": "most bytes to free first",
    "files": "most files first",
    "similar": "most similar first",
    "path": "by keeper path",
}
STATUSES: Final = {
    "all": "all groups",
    "undecided": "undecided",
    "marked": "marked for deletion",
    "not-duplicates": "not duplicates",
}


@dataclass(slots=True)
class GroupState:
    """One group: its members (file ids, proposed keeper first) and what was decided."""

    gid: int
    members: tuple[int, ...]
    proposed: int
    max_distance: int
    reclaimable: int
    keeper: int
    marked: set[int] = field(default_factory=set)
    not_duplicates: bool = False

    @property
    def status(self) -> str:
        if self.not_duplicates:
            return "not-duplicates"
        return "marked" if self.marked else "undecided"


class ReviewSession:
    """The state of one ``neardup review`` run: the scan, the decisions, the runs applied."""

    def __init__(
        self,
        result: ScanResult,
        *,
        keep: Sequence[str] | None = None,
        action: Action = Action.trash,
        move_to: str | os.PathLike[str] | None = None,
        check_hash: bool = True,
        catalog: str | os.PathLike[str] | None = None,
        cache: ThumbnailCache | None = None,
        per_page: int = PER_PAGE,
    ) -> None:
        self.result = result
        self.records = result.records
        self.rules = parse_keep(keep if keep is not None else (result.settings.keep or "first"))
        self.action = Action(action)
        self.move_to = os.fspath(move_to) if move_to is not None else None
        self.check_hash = check_hash
        self.catalog_path = catalog
        self.cache = cache or ThumbnailCache()
        self.per_page = per_page
        self.token = secrets.token_urlsafe(24)
        self.port = 0
        self.server: Any = None
        self.runs: list[dict[str, Any]] = []
        self.removed: dict[int, str] = {}  # file id -> run id that removed it
        self._catalog: Catalog | None = None
        self.running = False  # an apply or undo is in progress (event-loop thread only)
        #: Held while decisions change (event-loop thread) and while pages read them
        #: (worker threads), so a page never sees a half-made change.
        self.lock = threading.Lock()
        self._sorted: dict[str, list[int]] = {}
        self._search: dict[int, str] | None = None
        self.groups: dict[int, GroupState] = {}
        self.group_of: dict[int, int] = {}
        self._index()
        self._resume()

    # -- start-up ------------------------------------------------------------------------------

    def _index(self) -> None:
        """One :class:`GroupState` per group, without opening any file.

        Under the scan's own keep rules the scan's order (keeper first) and distances are
        used as they are; other rules choose the keepers again.
        """
        records = self.records
        threshold = self.result.settings.threshold
        same_rules = parse_keep(self.result.settings.keep or "first") == self.rules
        key = keeper_key(records, self.rules)
        for gid, g in enumerate(self.result.groups, start=1):
            if same_rules:
                rows, dist = list(g.members), [int(d) for d in g.distances]
            else:
                rows = sorted(g.members, key=key)
                hashes = self.result.hashes
                dist = [int(d) for d in distances_to(hashes[rows], hashes[rows[0]])]
            order = [0, *sorted(range(1, len(rows)), key=dist.__getitem__)]
            members = tuple(rows[k] for k in order)
            reclaimable = sum(records[rows[k]].size for k in order[1:] if dist[k] <= threshold)
            self.groups[gid] = GroupState(
                gid=gid,
                members=members,
                proposed=members[0],
                max_distance=g.max_distance,
                reclaimable=reclaimable,
                keeper=members[0],
            )
            for m in members:
                self.group_of[m] = gid

    def _resume(self) -> None:
        """Take up the marks saved by an earlier review of the same files."""
        path = self.catalog_path
        if path is None:
            path = default_path()
        if not os.path.exists(path):
            return
        with Catalog(path) as cat:
            marks = cat.load_marks(self.records[m] for m in self.group_of)
        if not marks:
            return
        for g in self.groups.values():
            keepers = [m for m in g.members if marks.get(self.records[m].path) == "keeper"]
            if keepers:
                g.keeper = keepers[0]
            g.marked = {
                m
                for m in g.members
                if m != g.keeper and marks.get(self.records[m].path) == "delete"
            }

    @property
    def catalog(self) -> Catalog:
        """The catalog, opened on first use by the thread that serves requests."""
        if self._catalog is None:
            self._catalog = Catalog(self.catalog_path)
        return self._catalog

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None

    @property
    def base(self) -> str:
        return f"/{self.token}/"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base}"

    # -- queries ---------------------------------------------------------------------------------

    def order(self, sort: str) -> list[int]:
        if sort not in self._sorted:
            groups = list(self.groups.values())
            rec = self.records
            if sort == "files":
                groups.sort(key=lambda g: (-len(g.members), -g.reclaimable, g.gid))
            elif sort == "similar":
                groups.sort(key=lambda g: (g.max_distance, -g.reclaimable, g.gid))
            elif sort == "path":
                groups.sort(key=lambda g: (natural_key(rec[g.proposed].path), g.gid))
            else:
                groups.sort(key=lambda g: (-g.reclaimable, -len(g.members), rec[g.proposed].path))
            self._sorted[sort] = [g.gid for g in groups]
        return self._sorted[sort]

    def select(self, sort: str, query: str, status: str) -> list[int]:
        gids = self.order(sort)
        q = query.strip().lower()
        if q:
            if self._search is None:  # built on the first filter, not at start-up
                rec = self.records
                self._search = {
                    gid: "\n".join(rec[m].path for m in g.members).lower()
                    for gid, g in self.groups.items()
                }
            gids = [gid for gid in gids if q in self._search[gid]]
        if status != "all":
            gids = [gid for gid in gids if self.groups[gid].status == status]
        return gids

    def pending(self) -> list[int]:
        """File ids marked for deletion and not removed yet."""
        return [
            m
            for g in self.groups.values()
            if not g.not_duplicates
            for m in sorted(g.marked)
            if m not in self.removed
        ]

    def totals(self) -> dict[str, Any]:
        pending = self.pending()
        to_free = sum(self.records[m].size for m in pending)
        freed = sum(self.records[m].size for m in self.removed)
        decided = sum(1 for g in self.groups.values() if g.status != "undecided")
        return {
            "files": len(pending),
            "bytes": to_free,
            "human": format_bytes(to_free),
            "freed_files": len(self.removed),
            "freed_human": format_bytes(freed),
            "decided": decided,
            "groups": len(self.groups),
        }

    def group_json(self, g: GroupState) -> dict[str, Any]:
        return {
            "gid": g.gid,
            "status": g.status,
            "keeper": g.keeper,
            "members": [
                {
                    "id": m,
                    "role": self.role(g, m),
                    "distance": hamming(self.records[m].hash, self.records[g.keeper].hash),
                }
                for m in g.members
            ],
        }

    def role(self, g: GroupState, m: int) -> str:
        if m in self.removed:
            return "removed"
        if m == g.keeper:
            return "keeper"
        if g.not_duplicates:
            return "keep"
        return "delete" if m in g.marked else "keep"

    def member_view(self, g: GroupState, m: int) -> dict[str, Any]:
        r = self.records[m]
        info = file_info(r.path, r.size, r.mtime_ns)
        keeper = self.records[g.keeper]
        return {
            "id": m,
            "path": r.path,
            "name": os.path.basename(r.path),
            "folder": os.path.dirname(r.path),
            "bytes": r.size,
            "bytes_human": format_bytes(r.size),
            "width": r.width,
            "height": r.height,
            "distance": hamming(r.hash, keeper.hash),
            "within": hamming(r.hash, keeper.hash) <= self.result.settings.threshold,
            "role": self.role(g, m),
            "proposed": m == g.proposed,
            "exists": os.path.lexists(r.path),
            **info,
        }

    def prefetch(self, gids: Sequence[int]) -> None:
        """Read the headers of the files of ``gids`` (slow on first view) outside the lock."""
        for gid in gids:
            for m in self.groups[gid].members:
                r = self.records[m]
                file_info(r.path, r.size, r.mtime_ns)

    def group_view(self, gid: int) -> dict[str, Any]:
        g = self.groups[gid]
        return {
            "gid": gid,
            "status": g.status,
            "keeper": g.keeper,
            "size": len(g.members),
            "reclaimable_human": format_bytes(g.reclaimable),
            "max_distance": g.max_distance,
            "members": [self.member_view(g, m) for m in g.members],
        }

    # -- decisions (called on the event-loop thread) ------------------------------------------

    def _group(self, gid: Any) -> GroupState:
        if not isinstance(gid, int) or isinstance(gid, bool) or gid not in self.groups:
            raise LookupError("no such group")
        return self.groups[gid]

    def _member(self, g: GroupState, fid: Any) -> int:
        if not isinstance(fid, int) or isinstance(fid, bool) or fid not in g.members:
            raise LookupError("no such file in this group")
        return fid

    def save(self, g: GroupState) -> None:
        """Write the group's marks to the catalog (the keeper only when it was changed)."""
        rows: list[tuple[ImageRecord, str | None]] = []
        for m in g.members:
            mark: str | None = None
            if m == g.keeper and g.keeper != g.proposed:
                mark = "keeper"
            elif m in g.marked and m not in self.removed:
                mark = "delete"
            rows.append((self.records[m], mark))
        self.catalog.save_marks(rows)

    def mark(self, gid: Any, fid: Any, mark: Any) -> GroupState:
        g = self._group(gid)
        m = self._member(g, fid)
        if m in self.removed:
            raise ValueError("this file was removed; undo the run first")
        if mark not in ("delete", "keep", "keeper", "toggle"):
            raise ValueError("mark must be delete, keep, keeper or toggle")
        if g.not_duplicates:
            g.not_duplicates = False
            self.catalog.remove_not_duplicates(self._paths(g))
        if mark == "keeper":
            if m != g.keeper:
                old = g.keeper
                was_marked = m in g.marked
                g.marked.discard(m)
                g.keeper = m
                if was_marked and old not in self.removed:
                    g.marked.add(old)  # the two files swap roles
        elif m == g.keeper:
            if mark in ("delete", "toggle"):
                raise ValueError("the keeper cannot be deleted; make another file the keeper")
        elif mark == "delete" or (mark == "toggle" and m not in g.marked):
            g.marked.add(m)
        else:
            g.marked.discard(m)
        self.save(g)
        return g

    def group_action(self, gid: Any, action: Any) -> GroupState:
        g = self._group(gid)
        if action == "delete-duplicates":
            if g.not_duplicates:
                g.not_duplicates = False
                self.catalog.remove_not_duplicates(self._paths(g))
            keeper = self.records[g.keeper]
            limit = self.result.settings.threshold
            g.marked = {
                m
                for m in g.members
                if m != g.keeper
                and m not in self.removed
                and hamming(self.records[m].hash, keeper.hash) <= limit
            }
        elif action == "clear":
            if g.not_duplicates:
                self.catalog.remove_not_duplicates(self._paths(g))
            g.not_duplicates = False
            g.marked = set()
            g.keeper = g.proposed
        elif action == "not-duplicates":
            if g.not_duplicates:  # a second press takes it back
                g.not_duplicates = False
                self.catalog.remove_not_duplicates(self._paths(g))
            else:
                g.not_duplicates = True
                g.marked = set()
                g.keeper = g.proposed
                self.catalog.add_not_duplicates(self._paths(g))
        else:
            raise ValueError("action must be delete-duplicates, clear or not-duplicates")
        self.save(g)
        return g

    def _paths(self, g: GroupState) -> list[str]:
        return [self.records[m].path for m in g.members]

    def affected_groups(self, fids: Sequence[int]) -> list[dict[str, Any]]:
        gids = sorted({self.group_of[m] for m in fids if m in self.group_of})
        return [self.group_json(self.groups[gid]) for gid in gids]
