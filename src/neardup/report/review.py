"""What a reviewer needs to decide about each group: keeper, distances, bytes, delete command.

The groups of a scan are re-ordered by the keep rules in force for the review (they may
differ from the rules the scan ran with), and each gets the ``neardup delete`` command
that acts on exactly that group: the member files given as paths re-scan to the same
group (every link of a chain lies between members) and the same keep rules pick the same
keeper. Like ``neardup delete``, the review counts only members within the threshold of
the keeper as removable; chained members are kept.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from neardup.api import DEFAULT_THRESHOLD
from neardup.bits import distances_to
from neardup.model import DEFAULT_KEEP, ImageRecord, ScanResult, ScanSettings, parse_keep
from neardup.pipeline.keep import keeper_key, taken_ns


@dataclass(frozen=True, slots=True)
class ReviewMember:
    """One file of a group as the review shows it."""

    row: int
    record: ImageRecord
    distance: int
    keeper: bool
    within_threshold: bool
    taken_ns: int


@dataclass(frozen=True, slots=True)
class ReviewGroup:
    """A group ready for review: keeper first, then by distance to it."""

    number: int
    members: tuple[ReviewMember, ...]
    max_distance: int
    chained: bool
    reclaimable_bytes: int
    delete_command: str

    @property
    def keeper(self) -> ReviewMember:
        return self.members[0]

    @property
    def removable(self) -> tuple[ReviewMember, ...]:
        """The members ``neardup delete`` removes: within the threshold of the keeper.

        Chained members (further away) are kept by ``delete``, so they are not counted in
        :attr:`reclaimable_bytes` either.
        """
        return tuple(m for m in self.members[1:] if m.within_threshold)


def delete_command(
    paths: Sequence[str],
    keep: Sequence[str],
    settings: ScanSettings | None = None,
    *,
    dry_run: bool = False,
) -> str:
    """The shell command that deletes the non-keepers among ``paths`` (POSIX-quoted).

    Scan options that change what counts as a duplicate are repeated when they differ from
    the defaults, so the command finds the same group.

    >>> delete_command(["/p/a b.jpg", "/p/c.jpg"], ("largest", "first"))
    "neardup delete --keep largest,first '/p/a b.jpg' /p/c.jpg"
    """
    args = ["neardup", "delete"]
    if dry_run:
        args.append("--dry-run")
    args += ["--keep", ",".join(parse_keep(keep))]
    if settings is not None:
        if settings.hash != "phash" or settings.hash_size != 8:
            args += ["--hash", settings.hash, "--hash-size", str(settings.hash_size)]
        if settings.threshold != DEFAULT_THRESHOLD:
            args += ["--threshold", str(settings.threshold)]
    # Absolute paths never start with "-", so no path can be taken for an option.
    args += [os.path.abspath(p) for p in paths]
    return shlex.join(args)


def review_groups(result: ScanResult, keep: Sequence[str] | None = None) -> list[ReviewGroup]:
    """The scan's groups under the ``keep`` rules (default: the scan's), most bytes to gain first.

    Ties are broken by group size (larger first), then by the keeper's path, so the order is
    stable.
    """
    rules = parse_keep(keep if keep is not None else (result.settings.keep or DEFAULT_KEEP))
    key = keeper_key(result.records, rules)
    hashes = result.hashes
    reviewed: list[ReviewGroup] = []
    for g in result.groups:
        rows = sorted(g.members, key=key)
        dist = distances_to(hashes[rows], hashes[rows[0]])
        order = sorted(range(len(rows)), key=lambda k: (k != 0, int(dist[k]), key(rows[k])))
        members = tuple(
            ReviewMember(
                row=rows[k],
                record=result.records[rows[k]],
                distance=int(dist[k]),
                keeper=k == 0,
                within_threshold=int(dist[k]) <= g.threshold,
                taken_ns=taken_ns(result.records[rows[k]]),
            )
            for k in order
        )
        reviewed.append(
            ReviewGroup(
                number=0,
                members=members,
                max_distance=g.max_distance,
                chained=any(not m.within_threshold for m in members),
                reclaimable_bytes=sum(m.record.size for m in members[1:] if m.within_threshold),
                delete_command=delete_command(
                    [m.record.path for m in members], rules, result.settings
                ),
            )
        )
    reviewed.sort(key=lambda r: (-r.reclaimable_bytes, -len(r.members), r.keeper.record.path))
    return [
        ReviewGroup(n, r.members, r.max_distance, r.chained, r.reclaimable_bytes, r.delete_command)
        for n, r in enumerate(reviewed, start=1)
    ]
