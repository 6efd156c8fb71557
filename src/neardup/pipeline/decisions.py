"""Groups never hold a pair a person marked "not duplicates" in ``neardup review``.

The pairs are stored in the catalog (:mod:`neardup.catalog.decisions`);
:func:`split_not_duplicates` is the one filter. It runs on every scan result neardup hands
out, at the two places a result is produced: at the end of
:func:`neardup.pipeline.run.run_scan` (fresh scans: ``scan``, ``delete PATH``, ``show
PATH``, ``review PATH``) and in :func:`neardup.api.last_scan` (the saved last scan, which
may predate the decision: ``delete``, ``show`` and ``review`` without PATH). A group
holding such a pair is split: members are placed, keeper first, into the first part with
which they have no rejected pair; each part of two or more files becomes a group (its
keeper chosen again by the keep rules), single files drop out.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence

from neardup.bits import HashArray, distances_to
from neardup.model import DEFAULT_KEEP, Group, ImageRecord, ScanResult
from neardup.pipeline.grouping import max_internal_distance
from neardup.pipeline.keep import keeper_key

Pair = frozenset[str]


def split_not_duplicates(
    groups: Sequence[Group],
    records: Sequence[ImageRecord],
    hashes: HashArray,
    pairs: Collection[Pair],
    keep: Sequence[str],
) -> list[Group]:
    """The groups with no "not duplicates" pair left inside any of them (see the module doc)."""
    if not pairs:
        return list(groups)
    key = keeper_key(records, keep or DEFAULT_KEEP)
    out: list[Group] = []
    for g in groups:
        paths = {m: records[m].path for m in g.members}
        if not any(
            frozenset((paths[a], paths[b])) in pairs
            for a, b in itertools.combinations(g.members, 2)
        ):
            out.append(g)
            continue
        parts: list[list[int]] = []
        for m in g.members:
            for part in parts:
                if all(frozenset((paths[m], paths[o])) not in pairs for o in part):
                    part.append(m)
                    break
            else:
                parts.append([m])
        for part in parts:
            if len(part) < 2:
                continue
            rows = sorted(part, key=key)
            dist = distances_to(hashes[rows], hashes[rows[0]])
            out.append(
                Group(
                    members=tuple(rows),
                    distances=tuple(int(d) for d in dist),
                    max_distance=max_internal_distance(hashes, rows),
                    threshold=g.threshold,
                )
            )
    return out


def without_not_duplicates(result: ScanResult, pairs: Collection[Pair]) -> ScanResult:
    """``result`` with its groups split by ``pairs`` (in place; returned for chaining).

    The hash array is built only when there are pairs, so loading a large saved scan
    without decisions costs nothing more.
    """
    if pairs:
        result.groups = split_not_duplicates(
            result.groups, result.records, result.hashes, pairs, result.settings.keep
        )
    return result
