"""The map: a 2-D t-SNE embedding of the hashes, drawn as thumbnails into one PNG.

The hashes are embedded with openTSNE under the Hamming metric (the fraction of differing
bits, so neighbours in the map are neighbours in the index): affinities from the exact
Hamming nearest neighbours, the start from the PCA of the 0/1 bit vectors.

t-SNE puts near-duplicates almost on top of each other, so each group is drawn last as a
tile of its members side by side, on a block of the group's own colour, at the members'
mean position.

Large collections stay usable through two budgets, both seeded:

* ``max_points`` caps how many images are embedded: every group member always is, the
  rest is a uniform random sample of the other images;
* ``max_thumbnails`` caps how many embedded images are drawn as thumbnails (group members
  first, largest groups first); the others are drawn as small dots.

openTSNE is imported only here, and only when a map is made (extra ``neardup[show]``).
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from neardup.bits import HashArray
from neardup.errors import ShowExtraMissing, install_hint
from neardup.model import ScanResult
from neardup.report import DEFAULT_MAX_POINTS, DEFAULT_MAX_THUMBNAILS, DEFAULT_SEED
from neardup.report.review import ReviewGroup
from neardup.report.thumbs import ThumbnailCache, load_thumbnail

#: Side of one thumbnail on the map, in pixels.
MAP_THUMB = 64
#: Most members of one group drawn in its tile on the map.
GROUP_TILE_MAX = 16
_GAP = 4
_MIN_SIDE, _MAX_SIDE = 900, 6000
_MARGIN = 48
_HEADER = 40
_BACKGROUND = (250, 250, 250)
_DOT = (150, 150, 150)
_TEXT = (40, 40, 40)


def require_show_extra() -> None:
    """Raise :class:`ShowExtraMissing` unless openTSNE can be imported."""
    try:
        import openTSNE  # noqa: F401
    except ImportError:
        raise ShowExtraMissing(
            "the map needs openTSNE, which is not installed",
            hint=install_hint("show") + "  (the HTML report works without it: --no-map)",
        ) from None


def map_available() -> bool:
    try:
        require_show_extra()
    except ShowExtraMissing:
        return False
    return True


@dataclass(frozen=True, slots=True)
class MapInfo:
    """What :func:`write_map` drew."""

    path: Path
    width: int
    height: int
    images: int  # images in the scan
    embedded: int  # images placed by t-SNE (all group members plus a sample)
    thumbnails: int  # of those, drawn as thumbnails
    groups: int


def hash_bits(hashes: HashArray, bits: int) -> NDArray[np.float32]:
    """Unpack ``(n, words)`` uint64 hashes into ``(n, bits)`` 0/1 vectors, first bit first.

    >>> hash_bits(np.array([[0x8000000000000001]], dtype=np.uint64), 64)[0, [0, 1, 63]]
    array([1., 0., 1.], dtype=float32)
    """
    big_endian = np.ascontiguousarray(hashes, dtype=">u8")
    unpacked = np.unpackbits(big_endian.view(np.uint8), axis=1)[:, :bits]
    return unpacked.astype(np.float32)


def choose_points(
    n: int, keep_rows: Sequence[int], max_points: int, seed: int
) -> NDArray[np.int64]:
    """Rows to embed: all of ``keep_rows`` plus a seeded sample of the others, sorted.

    >>> choose_points(10, [3, 4], 4, seed=1).size, set(choose_points(10, [3, 4], 4, 1)) >= {3, 4}
    (4, True)
    """
    must = np.unique(np.asarray(keep_rows, dtype=np.int64))
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    others = np.setdiff1d(np.arange(n, dtype=np.int64), must, assume_unique=True)
    room = max(0, max_points - must.size)
    rng = np.random.default_rng(seed)
    sample = rng.choice(others, size=min(room, others.size), replace=False)
    return np.sort(np.concatenate([must, sample.astype(np.int64)]))


def hamming_knn(hashes: HashArray, k: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Exact ``k`` nearest neighbours of every row of ``hashes`` (itself excluded).

    Distances are Hamming distances in bits (XOR + popcount, in blocks of bounded memory);
    each row's neighbours are ordered by distance, then by row number, so the result is
    deterministic.

    >>> idx, dist = hamming_knn(np.array([[0b0000], [0b0001], [0b0111]], dtype=np.uint64), 1)
    >>> idx.ravel().tolist(), dist.ravel().tolist()
    ([1, 0, 1], [1.0, 1.0, 2.0])
    """
    arr = np.ascontiguousarray(hashes, dtype=np.uint64)
    n = arr.shape[0]
    k = min(k, n - 1)
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float64)
    step = max(1, 4_000_000 // max(1, n))
    far = np.int32(arr.shape[1] * 64 + 1)
    for start in range(0, n, step):
        block = arr[start : start + step]
        m = block.shape[0]
        d = np.zeros((m, n), dtype=np.int32)
        for w in range(arr.shape[1]):
            d += np.bitwise_count(block[:, w, None] ^ arr[None, :, w])
        own = np.arange(m)
        d[own, start + own] = far
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        part_d = np.take_along_axis(d, part, axis=1).astype(np.int64)
        order = np.argsort(part_d * n + part, axis=1)
        idx[start : start + m] = np.take_along_axis(part, order, axis=1)
        dist[start : start + m] = np.take_along_axis(part_d, order, axis=1)
    return idx, dist


def embed(hashes: HashArray, bits: int, seed: int = DEFAULT_SEED) -> NDArray[np.float64]:
    """2-D t-SNE coordinates of ``(n, words)`` hashes under the Hamming metric (deterministic).

    The affinities come from the exact Hamming nearest neighbours (:func:`hamming_knn`,
    normalised to the fraction of differing bits, as the ``hamming`` metric of openTSNE
    and SciPy), which is faster than an approximate index on bit vectors; the start is the
    PCA of the 0/1 bit vectors. Fewer than four distinct hashes cannot be embedded
    meaningfully; they are laid out on a circle instead, copies of one hash together.
    """
    n = hashes.shape[0]
    distinct, inverse = np.unique(hashes, axis=0, return_inverse=True)
    if distinct.shape[0] < 4:
        angle = 2 * math.pi * inverse.reshape(-1) / max(1, distinct.shape[0])
        jitter = np.random.default_rng(seed).normal(0, 0.02, size=(n, 2))
        return np.column_stack([np.cos(angle), np.sin(angle)]) + jitter
    from openTSNE import TSNE, affinity, initialization
    from openTSNE.nearest_neighbors import PrecomputedNeighbors

    perplexity = float(min(30.0, max(2.0, (n - 1) / 3.0)))
    neighbours, distances = hamming_knn(hashes, int(3 * perplexity))
    affinities: Any = affinity.PerplexityBasedNN(
        knn_index=PrecomputedNeighbors(neighbours, distances / bits),
        perplexity=perplexity,
        n_jobs=1,
        random_state=seed,
        verbose=False,
    )
    start: Any = initialization.pca(hash_bits(hashes, bits), random_state=seed)
    tsne: Any = TSNE(n_components=2, random_state=seed, n_jobs=1, verbose=False)
    return np.asarray(tsne.fit(affinities=affinities, initialization=start), dtype=np.float64)


def group_colour(k: int) -> tuple[int, int, int]:
    """A distinct, saturated colour for group ``k`` (golden-angle hue steps).

    >>> group_colour(0) != group_colour(1)
    True
    """
    hue = (k * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.85)
    return round(r * 255), round(g * 255), round(b * 255)


def _font(size: int) -> Any:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow built without FreeType
        return ImageFont.load_default()


def _canvas_side(drawn: int) -> int:
    side = int(MAP_THUMB * math.sqrt(max(1, drawn)) * 1.6) + 2 * _MARGIN
    return max(_MIN_SIDE, min(_MAX_SIDE, side))


def _to_pixels(coords: NDArray[np.float64], side: int) -> NDArray[np.int64]:
    lo = coords.min(axis=0)
    span = np.maximum(coords.max(axis=0) - lo, 1e-9)
    inner = side - 2 * _MARGIN - MAP_THUMB
    unit = (coords - lo) / span
    out: NDArray[np.int64] = np.rint(_MARGIN + MAP_THUMB / 2 + unit * inner).astype(np.int64)
    return out


def _draw_group(
    canvas: Image.Image,
    draw: ImageDraw.ImageDraw,
    group: ReviewGroup,
    colour: tuple[int, int, int],
    thumbs: dict[int, Path | None],
    at: Callable[[int], tuple[int, int]],
    font: Any,
) -> int:
    """Draw one group as a tile of its members' thumbnails at their mean map position.

    t-SNE puts near-duplicates almost on top of each other, so the members are laid out
    side by side (keeper first, at most :data:`GROUP_TILE_MAX` of them) on a block of the
    group's colour, labelled with the group number. Returns the thumbnails drawn.
    """
    members = group.members[:GROUP_TILE_MAX]
    cols = math.ceil(math.sqrt(len(members)))
    rows = math.ceil(len(members) / cols)
    cell = MAP_THUMB + _GAP
    centre = np.mean([at(m.row) for m in group.members], axis=0)
    pad = 4
    left = int(centre[0] - cols * cell / 2)
    left = max(pad, min(canvas.width - cols * cell - pad, left))
    top = int(centre[1] - rows * cell / 2)
    top = max(_HEADER + 18 + pad, min(canvas.height - rows * cell - pad, top))
    draw.rectangle(
        (left - pad, top - pad, left + cols * cell + pad - _GAP, top + rows * cell + pad - _GAP),
        fill=colour,
    )
    drawn = 0
    for i, m in enumerate(members):
        cx = left + (i % cols) * cell + MAP_THUMB // 2
        cy = top + (i // cols) * cell + MAP_THUMB // 2
        path = thumbs.get(m.row)
        if path is None:
            h = MAP_THUMB // 2
            draw.rectangle((cx - h, cy - h, cx + h, cy + h), fill=_BACKGROUND)
            continue
        im = load_thumbnail(path, MAP_THUMB)
        canvas.paste(im, (cx - im.width // 2, cy - im.height // 2))
        drawn += 1
    extra = len(group.members) - len(members)
    label = f"#{group.number}" + (f" (+{extra} more)" if extra else "")
    draw.text((left - pad, top - pad - 18), label, fill=colour, font=font)
    return drawn


def write_map(
    result: ScanResult,
    groups: Sequence[ReviewGroup],
    out_path: Path,
    *,
    seed: int = DEFAULT_SEED,
    max_points: int = DEFAULT_MAX_POINTS,
    max_thumbnails: int = DEFAULT_MAX_THUMBNAILS,
    cache: ThumbnailCache | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MapInfo:
    """Embed the scan's hashes and draw the map PNG at ``out_path``.

    Raises:
        ShowExtraMissing: openTSNE is not installed.
    """
    require_show_extra()
    n = len(result.records)
    group_rows = [m.row for g in groups for m in g.members]
    rows = choose_points(n, group_rows, max(1, max_points), seed)
    spec = result.settings.spec
    coords = embed(result.hashes[rows], spec.bits, seed) if rows.size else np.zeros((0, 2))

    # Thumbnail budget: group members first (groups in review order), then a seeded sample.
    position = {int(r): k for k, r in enumerate(rows)}
    chosen: list[int] = list(dict.fromkeys(group_rows))[:max_thumbnails]
    room = max_thumbnails - len(chosen)
    if room > 0:
        taken = set(chosen)
        rest = np.array([r for r in rows.tolist() if r not in taken], dtype=np.int64)
        rng = np.random.default_rng(seed + 1)
        chosen += rng.permutation(rest)[:room].tolist()
    cache = cache or ThumbnailCache()
    thumb_paths = cache.get_many([result.records[r] for r in chosen], progress=progress)
    thumbs = dict(zip(chosen, thumb_paths, strict=True))

    side = _canvas_side(len(chosen))
    canvas = Image.new("RGB", (side, side + _HEADER), _BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    pix = _to_pixels(coords, side) + np.array([0, _HEADER]) if rows.size else coords
    member_of = {m.row for g in groups for m in g.members}

    def at(row: int) -> tuple[int, int]:
        x, y = pix[position[row]]
        return int(x), int(y)

    for r in rows.tolist():  # every embedded image: a dot underneath
        x, y = at(r)
        draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=_DOT)
    drawn = 0
    for r in reversed(chosen):  # others first, then groups, so groups end on top
        if r in member_of:
            continue
        path = thumbs.get(r)
        if path is not None:
            x, y = at(r)
            im = load_thumbnail(path, MAP_THUMB)
            canvas.paste(im, (x - im.width // 2, y - im.height // 2))
            drawn += 1
    label_font = _font(14)
    for k in reversed(range(len(groups))):  # the first groups end on top
        drawn += _draw_group(canvas, draw, groups[k], group_colour(k), thumbs, at, label_font)
    title = (
        f"neardup map: {n} images, {rows.size} placed by t-SNE (Hamming), "
        f"{drawn} as thumbnails, {len(groups)} groups outlined; seed {seed}"
    )
    draw.text((_MARGIN, 12), title, fill=_TEXT, font=_font(16))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(out_path, "PNG", optimize=False)
    return MapInfo(
        path=out_path,
        width=canvas.width,
        height=canvas.height,
        images=n,
        embedded=int(rows.size),
        thumbnails=drawn,
        groups=len(groups),
    )
