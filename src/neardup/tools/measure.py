"""Measuring an evaluation's images: every original, variant, stress image and distractor
hashed once per algorithm and size, with the features the options need (in worker
processes)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from PIL import Image

from neardup.errors import DecodeError, UsageError
from neardup.hashing.alternates import centre_hashes, dihedral_hashes
from neardup.hashing.decode import open_image
from neardup.hashing.spec import hash_image
from neardup.hashing.trim import crop_relative, relative_box, working_image
from neardup.hashing.views import views_of
from neardup.model import ALGORITHMS, DEFAULT_VERIFY_MIN, HASH_SIZES, HashSpec
from neardup.pipeline.discover import discover
from neardup.tools import stress, transforms
from neardup.tools.scoring import DISTRACTORS, ORIGINAL, PHOTOS, STRESS, ItemFeatures

_ALL_FLIPS: Final = frozenset({"flip", "rotate"})
#: Originals are box-reduced to a short side of at least this before variants are made.
WORKING_SIDE: Final = 512


@dataclass(frozen=True, slots=True)
class EvalConfig:
    """What to measure."""

    transforms: tuple[str, ...] = tuple(transforms.TRANSFORMS)
    algorithms: tuple[str, ...] = ALGORITHMS
    sizes: tuple[int, ...] = HASH_SIZES
    thresholds: tuple[int, ...] = tuple(range(33))
    stress_per_family: int = 25
    families: tuple[str, ...] = stress.ALL_FAMILIES
    verify_min: float = DEFAULT_VERIFY_MIN
    jobs: int = 0
    extras: bool = True

    def specs(self) -> list[HashSpec]:
        return [HashSpec(a, s) for a in self.algorithms for s in self.sizes]


def spec_key(spec: HashSpec) -> str:
    return f"{spec.algorithm}-{spec.size}"


def reduce_for_hashing(img: Image.Image, short_side: int = 256) -> Image.Image:
    """Box-reduce by an integer factor to a short side of ``short_side``…``2·short_side-1``."""
    factor = min(img.size) // short_side
    return img.reduce(factor) if factor > 1 else img


def imagededup_phash(img: Image.Image) -> int:
    """imagededup's PHash: RGB resized to 32×32, greyscale, 2-D DCT, 8×8 block, bits >= the
    median of the block without its DC term."""
    small = img.convert("RGB").resize((32, 32), Image.Resampling.LANCZOS).convert("L")
    import scipy.fft  # imported on first use: it costs start-up time

    dct = scipy.fft.dct(scipy.fft.dct(np.asarray(small, dtype=np.float64), axis=0), axis=1)
    low = dct[:8, :8]
    bits = low >= np.median(low.ravel()[1:])
    packed = np.packbits(bits.ravel())
    return int.from_bytes(packed.tobytes(), "big")


def measure(
    img: Image.Image,
    specs: Sequence[HashSpec],
    identity: int,
    kind: str,
    source: str,
    extras: bool,
) -> ItemFeatures:
    """Hash one (decoded, RGB) image every way the evaluation compares."""
    small = reduce_for_hashing(img)
    grey = small.convert("L")
    plain = {spec_key(s): hash_image(grey, s) for s in specs}
    item = ItemFeatures(identity, kind, source, plain, plain)
    if extras:  # what a scan computes, on the working image a scan makes
        working = working_image(grey)
        box = relative_box(working)
        item.trimmed = {"phash-8": hash_image(crop_relative(working, box), HashSpec())}
        tgrey = crop_relative(grey, box)
        item.dihedral = dihedral_hashes(tgrey, _ALL_FLIPS)
        item.centre = centre_hashes(tgrey, HashSpec())
        item.views = views_of(working, box, small)
    item.imagededup = imagededup_phash(small)
    return item


#: The variant the picture, flat and rotated families get (they are there as negatives;
#: a re-save checks that their copies are still found).
GENERATED_VARIANTS: Final = ("jpeg70",)


@dataclass(frozen=True, slots=True)
class _Task:
    source: str
    identity: int
    path: str | None
    stress_family: str | None
    stress_number: int
    stress_photos: tuple[str, ...]
    transforms: tuple[str, ...]
    specs: tuple[HashSpec, ...]
    extras: bool
    half: int = 0
    #: Which quadrant of the photo a picture family shows (-1: the whole photo).
    quadrant: int = -1


def _run_task(task: _Task) -> list[ItemFeatures]:
    if task.path is not None:
        try:
            img = open_image(task.path).convert("RGB")
        except (DecodeError, OSError):
            return []
        name = Path(task.path).name
        family = task.source
    else:
        assert task.stress_family is not None
        photos = [reduce_for_hashing(open_image(p), WORKING_SIDE) for p in task.stress_photos]
        if task.quadrant >= 0:
            photos = [stress.tile(p, task.quadrant) for p in photos]
        img = stress.generate(task.stress_family, task.stress_number, photos)
        family = task.stress_family
        name = f"{task.stress_family}-{task.stress_number}"
    img = reduce_for_hashing(img, WORKING_SIDE)
    out = [measure(img, task.specs, task.identity, ORIGINAL, task.source, task.extras)]
    seed = transforms.seed_for(name)
    for t in task.transforms:
        variant = transforms.apply(img, t, seed, task.half)
        out.append(measure(variant, task.specs, task.identity, t, task.source, task.extras))
    for item in out:
        item.family, item.half = family, task.half
    return out


def _halves(paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """The photos of each half (a half with none borrows all: a folder of one photo)."""
    halves: tuple[list[str], list[str]] = ([], [])
    for p in paths:
        halves[stress.photo_half(Path(p).name)].append(p)
    return (halves[0] or list(paths), halves[1] or list(paths))


def _images_in(folder: str | os.PathLike[str]) -> list[str]:
    if not Path(folder).is_dir():
        raise UsageError(f"not a folder: {folder}")
    return sorted(discover([os.fspath(folder)]).images)


def first_tiles(per_family: int) -> dict[str, list[int]]:
    """The number of the first tile each picture family shows in each half: the tiles
    the picture families before it (in :data:`~neardup.tools.stress.ALL_FAMILIES` order)
    show there, so that ``--families`` reproduces a family's images of a whole run."""
    out: dict[str, list[int]] = {}
    shown = [0, 0]
    for fam in stress.ALL_FAMILIES:
        if fam not in stress.PICTURE_FAMILIES:
            continue
        out[fam] = list(shown)
        for n in range(per_family):
            shown[stress.family_half(fam, n)] += 1
    return out


def collect(
    originals: str | os.PathLike[str],
    config: EvalConfig,
    distractors: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ItemFeatures]:
    """Decode, transform and hash everything, in parallel processes."""
    paths = _images_in(originals)
    if not paths:
        raise UsageError(f"no images in {originals}")
    specs = tuple(config.specs())
    tasks: list[_Task] = []
    for k, p in enumerate(paths):
        half = stress.photo_half(Path(p).name)
        tasks.append(
            _Task(PHOTOS, k, p, None, 0, (), config.transforms, specs, config.extras, half)
        )
    ident = len(paths)
    by_half = _halves(paths)
    # Picture families show tiles of their half's photos, each tile once (cycled when the
    # half has too few photos): quadrant 0 of every photo, then quadrant 1, ... A family's
    # tiles are the same whichever other families are asked for.
    next_tile = first_tiles(config.stress_per_family)
    variants = tuple(t for t in config.transforms if t in GENERATED_VARIANTS)
    # no screenshots of generated images: their frames' wrong pairs belong to the frames
    composition = tuple(t for t in config.transforms if t != "screenshot")
    for fam in config.families:
        for n in range(config.stress_per_family):
            half = stress.family_half(fam, n)
            mine = by_half[half]
            quadrant = -1
            if fam in stress.PICTURE_FAMILIES:
                k = next_tile[fam][half]
                next_tile[fam][half] += 1
                objects: tuple[str, ...] = (mine[k % len(mine)],)
                quadrant = k // len(mine) % 4
            elif fam == "flat":
                objects = ()
            else:
                objects = (mine[(n // 2 * 7) % len(mine)],)
            todo = composition if fam in stress.FAMILIES else variants
            tasks.append(
                _Task(
                    STRESS, ident, None, fam, n, objects, todo, specs, config.extras, half, quadrant
                )
            )
            ident += 1
    for p in _images_in(distractors) if distractors else []:
        half = stress.photo_half(Path(p).name)
        tasks.append(_Task(DISTRACTORS, ident, p, None, 0, (), (), specs, config.extras, half))
        ident += 1
    jobs = config.jobs or os.cpu_count() or 1
    items: list[ItemFeatures] = []
    if jobs == 1:
        results: Iterable[list[ItemFeatures]] = map(_run_task, tasks)
        for done, r in enumerate(results, 1):
            items.extend(r)
            if progress:
                progress(done, len(tasks))
        return items
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for done, r in enumerate(pool.map(_run_task, tasks, chunksize=2), 1):
            items.extend(r)
            if progress:
                progress(done, len(tasks))
    return items
