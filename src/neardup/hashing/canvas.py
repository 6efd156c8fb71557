"""A picture on a plain canvas among other things: a media player's black screen between its
title bar and its controls, a phone app's dark page between its bars, an editor's grey
canvas beside its panels.

Trimming (:mod:`neardup.hashing.trim`) cuts uniform margins only from the image's border
inwards, so a bar of controls along one side stops it there; and where the picture meets the
canvas along a dark part of its own (a night sky on a black screen), it has no straight
edge there for :func:`neardup.hashing.region.picture_box`. Cutting the image along lines
that are all canvas, then the blocks along lines that are all canvas across them, and so on
(recursive X–Y cuts on projection profiles), leaves the blocks of things on the canvas; the
largest block that has canvas all round it, is mostly not canvas and has detail is the
picture (a bar or a column that runs to the image's border is not).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from neardup.hashing.boxes import all_round, shared
from neardup.hashing.panels import main_level

#: The canvas is the grey level (± :data:`CANVAS_TOLERANCE`) that at least this share of
#: the image has.
CANVAS_SHARE: Final = 0.3
CANVAS_TOLERANCE: Final = 3
#: A line is canvas when at most this share of its pixels are not.
LINE_CANVAS: Final = 0.01
#: A picture block: at least this share of its pixels not canvas, at least this share of
#: them with a step to a neighbour, and at least these shares of the image's area and sides.
BLOCK_FILLED: Final = 0.7
BLOCK_BUSY: Final = 0.15
BLOCK_AREA: Final = 0.02
BLOCK_SIDE: Final = 0.1
#: A line's steps count from this difference in grey level between neighbours.
STEP: Final = 6


def _runs(content: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """The runs ``(start, stop)`` of ``True`` in a 1-D mask."""
    padded = np.concatenate(([False], content, [False]))
    change = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(change[0::2].tolist(), change[1::2].tolist(), strict=True))


def _blocks(stuff: NDArray[np.bool_], min_w: int, min_h: int) -> list[tuple[int, int, int, int]]:
    """The blocks ``(left, top, right, bottom)`` recursive X–Y cuts leave of ``stuff`` (the
    pixels that are not canvas): each is cut along lines that are all canvas (but for
    :data:`LINE_CANVAS` of them), first across rows, then columns, until none cuts it.
    A part narrower than ``min_w`` or lower than ``min_h`` is dropped, not cut further (its
    blocks would be as small): lines of dashes on a page make no thousands of blocks."""
    out: list[tuple[int, int, int, int]] = []
    pending = [(0, 0, stuff.shape[1], stuff.shape[0], 0)]
    while pending:
        x0, y0, x1, y1, axis = pending.pop()
        part = stuff[y0:y1, x0:x1]
        found = None
        for a in (axis, 1 - axis):
            lines = part.sum(axis=1 - a)  # a = 0: per row
            length = part.shape[1 - a]
            runs = _runs(lines > LINE_CANVAS * length)
            if len(runs) != 1 or runs[0] != (0, part.shape[a]):
                found = a, runs
                break
        if found is None:
            out.append((x0, y0, x1, y1))
            continue
        a, runs = found
        for start, stop in runs:
            if stop - start < (min_h if a == 0 else min_w):
                continue
            if a == 0:
                pending.append((x0, y0 + start, x1, y0 + stop, 1))
            else:
                pending.append((x0 + start, y0, x0 + stop, y1, 0))
    return out


def canvas_picture(grey: NDArray[np.uint8]) -> tuple[int, int, int, int] | None:
    """The box ``(left, top, right, bottom)`` of the largest picture lying on a plain canvas
    in ``grey``, with canvas all round it, or ``None``."""
    h, w = grey.shape
    if h < 16 or w < 16:
        return None
    sample = grey[::2, ::2]  # the canvas's share, from every fourth pixel
    level, count = main_level(sample, CANVAS_TOLERANCE)
    if count < CANVAS_SHARE * sample.size:
        return None
    a = grey.astype(np.int16)
    stuff = np.abs(a - level) > CANVAS_TOLERANCE
    best, best_area = None, 0
    for x0, y0, x1, y1 in _blocks(
        stuff, int(np.ceil(BLOCK_SIDE * w)), int(np.ceil(BLOCK_SIDE * h))
    ):
        bw, bh = x1 - x0, y1 - y0
        if bw * bh < BLOCK_AREA * h * w:
            continue
        if bw * bh <= best_area or not all_round((x0, y0, x1, y1), w, h):
            continue  # a picture lies on the canvas: canvas all round it
        if stuff[y0:y1, x0:x1].mean() < BLOCK_FILLED or _busy(a[y0:y1, x0:x1]) < BLOCK_BUSY:
            continue
        best, best_area = (x0, y0, x1, y1), bw * bh
    return best


def _busy(a: NDArray[np.int16]) -> float:
    """The share of pixels with a step (:data:`STEP`) to the next one along a row or column."""
    busy = np.zeros(a.shape, bool)
    busy[:, 1:] |= np.abs(a[:, 1:] - a[:, :-1]) >= STEP
    busy[1:, :] |= np.abs(a[1:] - a[:-1]) >= STEP
    return float(busy.mean())


def tightest(
    edged: tuple[int, int, int, int] | None, laid: tuple[int, int, int, int] | None, reach: int
) -> tuple[int, int, int, int] | None:
    """The picture bounded by edges (``edged``); where a picture lying on a canvas
    (``laid``) is inside it and a side of it lies more than ``reach`` pixels further in,
    that side was a container's (a bubble, a pane with a margin) and moves in to it."""
    if edged is None:
        return laid
    if laid is None or shared(laid, edged) < 0.98:
        return edged
    return (
        laid[0] if laid[0] - edged[0] > reach else edged[0],
        laid[1] if laid[1] - edged[1] > reach else edged[1],
        laid[2] if edged[2] - laid[2] > reach else edged[2],
        laid[3] if edged[3] - laid[3] > reach else edged[3],
    )
