"""Straight edges in a grey image, line by line: the edge pixels between neighbouring rows
(columns), which of them have a quiet outside, and the rows (columns) whose longest run of
such pixels makes them candidates for a picture's side (:mod:`neardup.hashing.region`)."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

#: Smallest step in grey level (0–255, over two pixels) an edge pixel has.
EDGE_STEP: Final = 6
#: How many candidate rows (columns) are tried: those with the longest runs of edge pixels.
CANDIDATES: Final = 16


def edge_steps(a: NDArray[np.int16], axis: int) -> NDArray[np.bool_]:
    """Edge pixels between line ``k`` and ``k + 1`` along ``axis`` (shape: one line fewer).

    The step is measured across two pixels (``k - 1`` to ``k + 1``, clipped at the ends), so
    an edge that re-encoding blurred over a pixel still counts.
    """
    b = a if axis == 0 else a.T
    near = np.abs(b[1:] - b[:-1])
    wide = np.empty_like(near)  # line k - 1 to line k + 2, clipped at the ends
    np.abs(b[3:] - b[:-3], out=wide[1:-1])
    np.abs(b[2] - b[0], out=wide[0])
    np.abs(b[-1] - b[-3], out=wide[-1])
    edges: NDArray[np.bool_] = np.maximum(near, wide, out=near) >= EDGE_STEP
    return edges if axis == 0 else edges.T


def quiet_pixels(steps: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Pixels with no step to either neighbour along their line (``steps`` are the steps
    between neighbours along axis 1; the result has one more column)."""
    pad = np.zeros((steps.shape[0], 1), dtype=bool)
    quiet: NDArray[np.bool_] = ~(
        np.concatenate([pad, steps], axis=1) | np.concatenate([steps, pad], axis=1)
    )
    return quiet


def framed_edges(edges: NDArray[np.bool_], quiet: NDArray[np.bool_]) -> tuple[
    NDArray[np.bool_], NDArray[np.bool_]
]:  # fmt: skip
    """Edge pixels between line ``k`` and ``k + 1`` whose outside is quiet: above/before
    (line ``k - 1``; the first side of a picture) and below/after (line ``k + 2``)."""
    n = edges.shape[0]
    first = np.empty_like(edges)  # line k - 1 (line 0 for the first)
    np.logical_and(edges[1:], quiet[: n - 1], out=first[1:])
    np.logical_and(edges[:1], quiet[:1], out=first[:1])
    second = np.empty_like(edges)  # line k + 2 (the last line for the last edge)
    np.logical_and(edges[:-1], quiet[2 : n + 1], out=second[:-1])
    np.logical_and(edges[-1:], quiet[n : n + 1], out=second[-1:])
    return first, second


#: ... chosen by their longest run of edge pixels among this many times as many lines with
#: the most edge pixels.
RUNS_OF: Final = 4


def longest_run(edges: NDArray[np.bool_]) -> NDArray[np.int64]:
    """The longest run of edge pixels along each line (axis 0), gaps of one pixel bridged:
    a picture's side is one long run, a line of text many short ones."""
    n, length = edges.shape
    padded = np.zeros((n, length + 2), np.int8)
    padded[:, 1:-1] = edges
    padded[:, 2:-2] |= edges[:, :-2] & edges[:, 2:]
    # a change where a run starts and after it ends: in each line they alternate
    change = np.flatnonzero(padded[:, 1:] != padded[:, :-1])
    starts, ends = change[0::2], change[1::2]
    out = np.zeros(n, np.int64)
    np.maximum.at(out, starts // (length + 1), ends - starts)
    return out


def line_counts(edges: NDArray[np.bool_]) -> NDArray[np.uint32]:
    """Edge pixels on each line (axis 0): summed as bytes, twice as fast as booleans."""
    counts: NDArray[np.uint32] = edges.view(np.uint8).sum(axis=1, dtype=np.uint32)
    return counts


def candidate_lines(
    first: NDArray[np.bool_], second: NDArray[np.bool_], minimum: int
) -> NDArray[np.int64]:
    """Line indices (axis 0) whose longest run of framed edge pixels on one side
    (:func:`longest_run`) is at least ``minimum``, longest first, without their direct
    neighbours."""
    counts = np.maximum(line_counts(first), line_counts(second)).astype(np.int64)
    # a run is never longer than the count: runs of the lines with the most edge pixels
    some = np.argsort(-counts, kind="stable")[: RUNS_OF * CANDIDATES]
    some = some[counts[some] >= minimum]
    if some.size == 0:  # no line has enough edge pixels, let alone a run of them
        return np.empty(0, np.int64)
    counts[some] = np.maximum(longest_run(first[some]), longest_run(second[some]))
    strong = np.flatnonzero(counts >= minimum)
    chosen: list[int] = []
    taken: set[int] = set()  # chosen lines and their direct neighbours
    # the strongest first, the first of equals first
    for k in strong[np.argsort(-counts[strong], kind="stable")].tolist():
        if k in taken:
            continue
        chosen.append(k)
        if len(chosen) == CANDIDATES:
            break
        taken.update((k - 1, k, k + 1))
    return np.asarray(sorted(chosen), dtype=np.int64)


def line_prefix(
    sharp: NDArray[np.bool_], line: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Prefix sums (one leading zero) of the edge pixels of the lines ``line`` asks for, an
    edge blurred over two lines counting on either, and ``line`` re-numbered to index them
    (-1, the image's border, stays)."""
    found = line >= 0
    asked = np.zeros(sharp.shape[0], bool)  # np.unique, without its sort
    asked[line[found]] = True
    wanted = np.flatnonzero(asked)
    last = sharp.shape[0] - 1
    edges = sharp[wanted] | sharp[np.maximum(wanted - 1, 0)] | sharp[np.minimum(wanted + 1, last)]
    prefix = np.zeros((max(1, wanted.size), sharp.shape[1] + 1), np.int64)
    np.cumsum(edges, axis=1, out=prefix[: wanted.size, 1:])
    number = np.cumsum(asked) - 1  # a line's row in ``prefix``
    return prefix, np.where(found, number[np.where(found, line, 0)], -1)


def cover(prefix: NDArray[np.int64], line: NDArray[np.int64], start: NDArray[np.int64],
           stop: NDArray[np.int64]) -> NDArray[np.float64]:  # fmt: skip
    """Share of edge pixels of ``line`` over ``start:stop`` (prefix sums along each line);
    1.0 where ``line`` is -1 (the image's border)."""
    border = line < 0
    safe = np.where(border, 0, line)
    got = prefix[safe, stop] - prefix[safe, start]
    share = got / np.maximum(stop - start, 1)
    return np.where(border, 1.0, share)
