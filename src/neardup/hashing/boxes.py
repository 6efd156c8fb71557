"""Boxes ``(left, top, right, bottom)``, relative or in pixels: their area and how much of
one another covers."""

from __future__ import annotations


def area(box: tuple[float, ...]) -> float:
    """The area of ``box`` (0 when it is empty or inside out).

    >>> area((0.25, 0.0, 0.75, 0.5))
    0.25
    """
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The area two boxes have in common.

    >>> overlap((0.0, 0.0, 0.5, 0.5), (0.25, 0.25, 1.0, 1.0))
    0.0625
    """
    return area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def shared(box: tuple[int, ...], other: tuple[int, ...]) -> float:
    """The share of ``box``'s area (pixels) that ``other`` covers."""
    return overlap(box, other) / max(1, area(box))


def all_round(box: tuple[int, ...], width: int, height: int) -> bool:
    """Whether ``box`` (pixels) leaves something of a ``width`` × ``height`` image on every
    side.

    >>> all_round((1, 1, 9, 9), 10, 10), all_round((0, 1, 9, 9), 10, 10)
    (True, False)
    """
    return box[0] > 0 and box[1] > 0 and box[2] < width and box[3] < height
