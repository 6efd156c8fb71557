"""Why a group's members are there: by which of their hashes each matched the keeper.

A member matches its keeper by their whole images' hashes (``whole``), by one's hash
without margins or frame (``trimmed``: a padded copy, a screenshot), by a flipped or
rotated thumbnail (``flipped``, ``--invariant``), by a centred crop or an aligned crop
found by verification (``cropped``, ``--crop``), or as two flat images of one colour
(``flat``). The distance reported is the one of that match.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from neardup.bits import hamming
from neardup.hashing.alternates import FeatureOptions, Features, dihedral_count
from neardup.hashing.flat import is_flat
from neardup.hashing.views import Views
from neardup.model import Group, ImageRecord


def how_matched(
    a: int,
    b: int,
    records: Sequence[ImageRecord],
    features: Sequence[Features],
    options: FeatureOptions,
    threshold: int,
    views: Sequence[Views | None] = (),
) -> str:
    """How images ``a`` and ``b`` matched (one of :data:`neardup.model.MATCHES`); on equal
    distances the plainest explanation wins (whole, then trimmed, flipped, cropped)."""
    va, vb = (views[a], views[b]) if views else (None, None)
    if va is not None and vb is not None and is_flat(va) and is_flat(vb):
        return "flat"
    ra, rb = records[a], records[b]
    best, kind = hamming(ra.hash, rb.hash), "whole"

    def own(r: ImageRecord) -> list[tuple[int, str]]:
        out = [(r.hash, "whole")]
        if options.trim and r.trim_hash is not None:
            out.append((r.trim_hash, "trimmed"))
        return out

    for x, kx in own(ra):
        for y, ky in own(rb):
            d = hamming(x, y)
            if d < best:
                best, kind = d, "trimmed" if "trimmed" in (kx, ky) else "whole"
    flips = dihedral_count(options.invariant)
    for one, other in ((a, rb), (b, ra)):
        alternates = features[one].alternates if one < len(features) else ()
        for i, alt in enumerate(alternates):
            d = min(hamming(alt, y) for y, _ in own(other))
            if d < best:
                best, kind = d, "flipped" if i < flips else "cropped"
    if best > threshold and options.crop:
        return "cropped"  # confirmed by an aligned crop beyond the threshold
    return kind


def with_matches(
    groups: Sequence[Group],
    records: Sequence[ImageRecord],
    features: Sequence[Features],
    options: FeatureOptions,
    threshold: int,
    views: Sequence[Views | None] = (),
) -> list[Group]:
    """``groups`` with :attr:`~neardup.model.Group.matches` filled in (member vs keeper)."""
    out = []
    for g in groups:
        kinds = [""]
        for m in g.members[1:]:
            kinds.append(how_matched(g.keeper, m, records, features, options, threshold, views))
        out.append(dataclasses.replace(g, matches=tuple(kinds)))
    return out
