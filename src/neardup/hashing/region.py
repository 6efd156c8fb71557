"""Finding the picture inside a frame that is not one colour: an application window, a phone
screen, a web page, a card.

Trimming (:mod:`neardup.hashing.trim`) removes *uniform* margins. A screenshot of a photo
viewer has margins that are not uniform — a title bar with text, a sidebar of icons — but
the picture in it is still bounded by straight edges: long runs of strong steps in grey
level along rows and columns. :func:`picture_box` looks for the largest rectangle whose
sides are such edges (or the image's own border), inside which the picture lies.

A rectangle counts only when at least two opposite sides are real edges, so a horizon or
one straight line in a photo does not make a region. On a mostly plain screen (a phone
app's feed, a chat) a small picture counts too when all four of its sides are edges, and a
panel of text on a plain ground (a file list) is never taken for a picture.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray

from neardup.hashing.boxes import all_round, shared
from neardup.hashing.canvas import canvas_picture, tightest
from neardup.hashing.edge_lines import (
    candidate_lines,
    cover,
    edge_steps,
    framed_edges,
    line_prefix,
    quiet_pixels,
)
from neardup.hashing.fast import median
from neardup.hashing.panels import PANEL_TRIES, is_panel

#: Share of a side that must be edge pixels for the side to count as an edge.
EDGE_COVER: Final = 0.8
#: A side must also be an edge at both its ends: :data:`END_COVER` of the first and last
#: :data:`END_SHARE` of it (a side running on over a plain canvas is not the picture's).
END_SHARE: Final = 0.1
END_COVER: Final = 0.6
#: Smallest and largest share of the image's area a picture region may take.
MIN_AREA: Final = 0.08
MAX_AREA: Final = 0.86
#: Largest share of its frame's area a picture inside a frame may take.
MAX_FRAMED_AREA: Final = 0.95
#: Smallest share of the image's width (height) a region's width (height) may take.
MIN_SIDE: Final = 0.2
#: On a mostly plain image (at most :data:`SMALL_BUSY` of its pixels have a step to a
#: neighbour: a phone app's screen, a chat) a smaller picture counts too, when all four of
#: its sides are edges found here: down to this share of the image's area and of each side.
SMALL_AREA: Final = 0.02
SMALL_SIDE: Final = 0.1
SMALL_BUSY: Final = 0.5
#: Smallest share of a picture's pixels that have a step to a neighbour.
MIN_BUSY: Final = 0.15


def picture_box(
    grey: NDArray[np.uint8],
    framed: tuple[bool, bool, bool, bool] = (False,) * 4,
    *,
    in_panel: bool = False,
) -> tuple[int, int, int, int] | None:
    """The box ``(left, top, right, bottom)`` (pixels, right/bottom exclusive) of the largest
    picture bounded by straight edges in ``grey``, or ``None``.

    Of the rectangles whose sides are edges (:data:`EDGE_COVER`, with a quiet outside), the
    one with the most sides that are edges found here wins (then sides that are a frame's
    inside edge, then the largest area of detail), unless it is a panel of text
    (:func:`is_panel`); when all it tries are, the picture is looked for inside the first
    panel, among that panel's own lines (``in_panel``: a picture in a column of text). At
    least
    two opposite sides must be edges; a side of ``grey`` that is itself the inside edge of
    a frame (``framed``: left, top, right, bottom) counts as one.

    >>> canvas = np.full((120, 160), 90, np.uint8)
    >>> canvas[:14] = 200                                  # a title bar
    >>> rng = np.random.default_rng(0)
    >>> canvas[30:100, 40:140] = rng.integers(0, 255, (70, 100))  # the picture
    >>> box = picture_box(canvas)
    >>> bool(np.abs(np.subtract(box, (40, 30, 140, 100))).max() <= 1)
    True
    """
    h, w = grey.shape
    if h < 16 or w < 16:
        return None
    a = grey.astype(np.int16)
    row_steps = edge_steps(a, 0)  # (h-1, w): step between row k and k+1
    col_steps = edge_steps(a, 1).T  # (w-1, h): step between column k and k+1
    # a row's pixels are quiet when there is no step along the row (columns k, k+1 of it)
    quiet_rows = quiet_pixels(col_steps.T)  # (h, w)
    quiet_cols = quiet_pixels(row_steps.T)  # (w, h)
    top_edges, bottom_edges = framed_edges(row_steps, quiet_rows)
    left_edges, right_edges = framed_edges(col_steps, quiet_cols)
    busy = ~(quiet_rows & quiet_cols.T)
    # small pictures are looked for on a plain screen
    plain = np.count_nonzero(busy) <= SMALL_BUSY * busy.size
    side = SMALL_SIDE if plain else MIN_SIDE
    ys = candidate_lines(top_edges, bottom_edges, int(side * w * EDGE_COVER))
    xs = candidate_lines(left_edges, right_edges, int(side * h * EDGE_COVER))
    if ys.size == 0 and xs.size == 0:
        return None
    # -1 stands for the image's border on either side; a picture spans lines top+1 … bottom.
    ys_all = np.concatenate([[-1], ys, [h - 1]])
    xs_all = np.concatenate([[-1], xs, [w - 1]])
    t, b = np.meshgrid(ys_all, ys_all, indexing="ij")
    keep = b - t >= side * h
    t, b = t[keep], b[keep]
    left, right = np.meshgrid(xs_all, xs_all, indexing="ij")
    keep = right - left >= side * w
    left, right = left[keep], right[keep]
    if t.size == 0 or left.size == 0:
        return None
    # every (rows, columns) combination
    n_rows, n_cols = t.size, left.size
    t, b = np.repeat(t, n_cols), np.repeat(b, n_cols)
    left, right = np.tile(left, n_rows), np.tile(right, n_rows)
    area = (b - t) * (right - left) / (h * w)
    bottom_line = np.where(b >= h - 1, -1, b)
    right_line = np.where(right >= w - 1, -1, right)
    fl, ft, fr, fb = framed
    top_real = (t >= 0) | ((t < 0) & ft)
    bottom_real = (bottom_line >= 0) | ((bottom_line < 0) & fb)
    left_real = (left >= 0) | ((left < 0) & fl)
    right_real = (right_line >= 0) | ((right_line < 0) & fr)
    # edges found here count twice, a frame's inside edge (``framed``) once
    real = top_real.astype(np.int64) + bottom_real + left_real + right_real
    real += (t >= 0).astype(np.int64) + (bottom_line >= 0) + (left >= 0) + (right_line >= 0)
    largest = MAX_FRAMED_AREA if any(framed) else MAX_AREA
    found = (t >= 0) & (bottom_line >= 0) & (left >= 0) & (right_line >= 0)
    wide = (b - t >= MIN_SIDE * h) & (right - left >= MIN_SIDE * w) & (area >= MIN_AREA)
    fits = (wide | (plain & found & (area >= SMALL_AREA))) & (area <= largest)
    fits &= (top_real & bottom_real) | (left_real & right_real)
    if not fits.any():
        return None
    t, b, left, right = t[fits], b[fits], left[fits], right[fits]
    bottom_line, right_line, area, real = (
        bottom_line[fits],
        right_line[fits],
        area[fits],
        real[fits],
    )
    x0, x1 = left + 1, right + 1
    y0, y1 = t + 1, b + 1
    alive = np.arange(t.size)  # the rectangles still in the running, side after side
    for sharp, line, start, stop in (
        (top_edges, t, x0, x1),
        (bottom_edges, bottom_line, x0, x1),
        (left_edges, left, y0, y1),
        (right_edges, right_line, y0, y1),
    ):
        prefix, ln = line_prefix(sharp, line[alive])
        lo, hi = start[alive], stop[alive]
        end = np.maximum(1, ((hi - lo) * END_SHARE).astype(np.int64))
        ok = (
            (cover(prefix, ln, lo, hi) >= EDGE_COVER)
            & (cover(prefix, ln, lo, lo + end) >= END_COVER)
            & (cover(prefix, ln, hi - end, hi) >= END_COVER)
        )
        alive = alive[ok]
        if alive.size == 0:
            return None
    # a picture has detail: a rectangle of plain canvas or sky between edges is not one
    table = np.zeros((h + 1, w + 1), np.int64)
    table[1:, 1:] = busy.cumsum(0).cumsum(1)
    a0, a1, b0, b1 = x0[alive], x1[alive], y0[alive], y1[alive]
    detail = table[b1, a1] - table[b0, a1] - table[b1, a0] + table[b0, a0]
    share = detail / ((b1 - b0) * (a1 - a0))
    ok = share >= MIN_BUSY
    alive, share = alive[ok], share[ok]
    if alive.size == 0:
        return None
    # the most sides found, then the largest area of detail; a panel of text on a plain
    # ground (a file list, a caption) is not a picture
    order = alive[np.argsort(-(real[alive] + area[alive] * share), kind="stable")]
    # a rectangle that is most of a panel and mostly on it is that panel again; a smaller
    # one inside a panel (a picture in a column of text) is judged on its own
    panels: list[tuple[int, int, int, int]] = []
    for best in order:
        box = int(x0[best]), int(y0[best]), int(x1[best]), int(y1[best])
        if any(shared(box, p) > 0.5 and shared(p, box) > 0.5 for p in panels):
            continue
        if not is_panel(grey[box[1] : box[3], box[0] : box[2]]):
            return _sharpest(a, box)
        panels.append(box)
        if len(panels) == PANEL_TRIES:
            break
    if panels and not in_panel:  # a picture in a column of text: its lines, not the page's
        p0, p1, p2, p3 = panels[0]
        inner = picture_box(grey[p1:p3, p0:p2], in_panel=True)
        if inner is not None:
            return inner[0] + p0, inner[1] + p1, inner[2] + p0, inner[3] + p1
    return None


#: :func:`_sharpest` moves each side of a picture by at most this many pixels.
SHARPEST_REACH: Final = 2


def _sharpest(a: NDArray[np.int16], box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """``box`` with each side moved (by at most :data:`SHARPEST_REACH`) to where the step in
    grey level across it is largest on average: edges are found over two pixels, and a
    re-encoded copy blurs them differently, but its sharpest step stays where it was."""
    h, w = a.shape
    x0, y0, x1, y1 = box

    def best(lines: NDArray[np.int16], at: int, low: int, high: int) -> int:
        """The position in ``low``..``high`` of the largest mean step between line k-1 and
        line k of ``lines`` (axis 0), nearest ``at`` first."""
        ks = range(max(low, at - SHARPEST_REACH), min(high, at + SHARPEST_REACH) + 1)
        return max(ks, key=lambda k: (float(np.abs(lines[k] - lines[k - 1]).mean()), -abs(k - at)))

    rows, cols = a[:, x0:x1], a[y0:y1].T
    top = best(rows, y0, 1, y0 + (y1 - y0) // 4) if y0 > 0 else 0
    bottom = best(rows, y1, y1 - (y1 - y0) // 4, h - 1) if y1 < h else h
    left = best(cols, x0, 1, x0 + (x1 - x0) // 4) if x0 > 0 else 0
    right = best(cols, x1, x1 - (x1 - x0) // 4, w - 1) if x1 < w else w
    return left, top, right, bottom


#: A frame's content must keep this share of the image's area, and spread its grey levels
#: at least this much (standard deviation): a sliver or a plain field is not a picture.
MIN_CONTENT: Final = 0.02
MIN_CONTENT_SPREAD: Final = 4.0
#: A margin cut off one side counts as a frame when it takes this share of the image.
FRAME_CUT: Final = 0.1
#: :func:`_snapped` moves a side inwards by at most this share of the image's side, over
#: lines with :data:`SNAP_COVER` of their pixels within :data:`SNAP_TOLERANCE` of the margin.
SNAP_MAX: Final = 0.06
SNAP_COVER: Final = 0.9
SNAP_TOLERANCE: Final = 8


def _snapped(
    grey: NDArray[np.uint8], box: tuple[int, int, int, int] | None
) -> tuple[int, int, int, int] | None:
    """``box`` (a trimmed margin's inside, found on a reduced copy) with each cut side moved
    inwards past the lines at full resolution that are still the colour of the margin."""
    if box is None:
        return None
    h, w = grey.shape
    x0, y0, x1, y1 = box
    a = grey.astype(np.int16)

    def past(lines: NDArray[np.int16], level: float, limit: int) -> int:
        k = 0
        while k < min(limit, lines.shape[0] - 1):
            if (np.abs(lines[k] - level) <= SNAP_TOLERANCE).mean() < SNAP_COVER:
                break
            k += 1
        return k

    lim_x, lim_y = int(SNAP_MAX * w), int(SNAP_MAX * h)
    if y0 > 0:
        y0 += past(a[y0:y1, x0:x1], median(a[y0 - 1, x0:x1]).item(), lim_y)
    if y1 < h:
        y1 -= past(a[y0:y1, x0:x1][::-1], median(a[y1, x0:x1]).item(), lim_y)
    if x0 > 0:
        x0 += past(a[y0:y1, x0:x1].T, median(a[y0:y1, x0 - 1]).item(), lim_x)
    if x1 < w:
        x1 -= past(a[y0:y1, x0:x1].T[::-1], median(a[y0:y1, x1]).item(), lim_x)
    return x0, y0, x1, y1


def _cuts_own_strip(part: NDArray[np.uint8], box: tuple[int, int, int, int]) -> bool:
    """Whether ``box``, a picture found inside the picture ``part``, lies flush with one end
    of an axis and cuts off a strip at the other that is not a panel (:func:`is_panel`):
    a line across a photo with its own ground or sky beyond it (the foot of a building, a
    horizon) is not the side of a picture in it; a caption or a bar beside one is plain."""
    h, w = part.shape
    x0, y0, x1, y1 = box
    strips = []
    for lo, hi, n, axis in ((y0, y1, h, 0), (x0, x1, w, 1)):
        at_lo, at_hi = lo <= SHARPEST_REACH, hi >= n - SHARPEST_REACH
        if at_lo != at_hi:
            start, stop = (hi, n) if at_lo else (0, lo)
            strips.append(part[start:stop] if axis == 0 else part[:, start:stop])
    return any(s.size and not is_panel(s) for s in strips)


#: How many frames inside frames :func:`content_box` looks through.
NESTING: Final = 3


def content_box(
    grey: NDArray[np.uint8],
    uniform: Callable[[NDArray[np.uint8]], tuple[int, int, int, int] | None],
) -> tuple[int, int, int, int] | None:
    """The box of the content of ``grey`` without its frames: uniform margins (found by
    ``uniform``) and pictures framed by straight edges (:func:`picture_box`) or, where no
    such picture is, lying on a plain canvas (:func:`canvas_picture`), nested up to
    :data:`NESTING` deep (a card's border, then the picture inside it). ``None``: the whole
    image is content."""
    h, w = grey.shape
    x0, y0, x1, y1 = 0, 0, w, h
    framed = (False, False, False, False)  # which sides of the box are a frame's inside

    def inside(box: tuple[int, int, int, int] | None, checked: bool = True) -> bool:
        nonlocal x0, y0, x1, y1, framed
        if box is None:
            return False
        left, top, right, bottom = box
        new = (x0 + left, y0 + top, x0 + right, y0 + bottom)
        part = grey[new[1] : new[3], new[0] : new[2]]
        # what a frame leaves must be a picture: a share of the image, with structure in it
        # (uniform margins alone may leave a small moon in a dark sky: it is the content)
        small = part.size < MIN_CONTENT * h * w or float(part.std()) < MIN_CONTENT_SPREAD
        if checked and small:
            return False
        # a side cut by a wide margin is a frame's inside edge (a thin border is not)
        dx, dy = FRAME_CUT * (x1 - x0), FRAME_CUT * (y1 - y0)
        cut = (new[0] - x0 > dx, new[1] - y0 > dy, x1 - new[2] > dx, y1 - new[3] > dy)
        framed = (framed[0] or cut[0], framed[1] or cut[1], framed[2] or cut[2],
                  framed[3] or cut[3])  # fmt: skip
        x0, y0, x1, y1 = new
        return True

    # the uniform margins are looked for again only inside a part that something has cut
    cut = inside(_snapped(grey, uniform(grey)), checked=False)
    pictured = False  # the part is a picture found by its edges
    for _ in range(NESTING):
        part = grey[y0:y1, x0:x1]
        # a picture bounded by straight edges (moved in to one lying on a canvas inside
        # it, if any), else one lying on a plain canvas
        edged, laid = picture_box(part, framed), canvas_picture(part)
        if pictured and edged is not None and _cuts_own_strip(part, edged):
            edged = None
        if inside(tightest(edged, laid, SHARPEST_REACH)):
            framed = (True, True, True, True)  # a picture, or a frame inside a frame
            cut = pictured = True
            continue
        # no picture here: the part's own margins, if uniform
        margins = _snapped(part, uniform(part)) if cut else None
        # inside a picture, only a canvas all round is a frame's (the picture floats on
        # it); a plain sky or ground on some sides is the picture's own
        if pictured and margins is not None and not all_round(margins, *part.shape[::-1]):
            margins = None
        if not inside(margins):
            break
        pictured = False
    return None if (x0, y0, x1, y1) == (0, 0, w, h) else (x0, y0, x1, y1)
