"""A small sample library with planted near-duplicates, scanned with the default settings.

``neardup demo`` builds it so a new user sees neardup work before pointing it at their own
photos. The originals ship inside the package (``neardup/tools/samples``, see its
``PROVENANCE.md``); the copies are made here, the way copies appear in real collections:
re-encoded, resized, watermarked, rotated through an EXIF tag, mirrored.

The demo reports exactly what the scan finds, including what it cannot find: a mirrored
copy is not a near-duplicate to a perceptual hash (its DCT pattern is mirrored too).

>>> from pathlib import Path
>>> import tempfile
>>> outcome = run_demo(Path(tempfile.mkdtemp()) / "lib")  # doctest: +SKIP
>>> len(outcome.result.groups), len(outcome.missed)  # doctest: +SKIP
(3, 2)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont, ImageOps

from neardup.actions import Plan, plan_deletion
from neardup.api import scan
from neardup.bits import hamming
from neardup.errors import UsageError, install_hint
from neardup.model import ScanResult

#: A file in the library folder marks it as built by the demo, so it may be rebuilt in place.
MARKER = ".neardup-demo"

#: The originals shipped in ``neardup/tools/samples`` (public-domain and CC0 test photographs).
SAMPLES: tuple[str, ...] = (
    "astronaut.jpg",
    "chelsea.jpg",
    "coffee.jpg",
    "hubble.jpg",
    "rocket.jpg",
)

# Fixed modification times keep the keeper choice and the output reproducible.
_ORIGINAL_MTIME = 1_577_880_000  # 2020-01-01
_COPY_MTIME = 1_609_502_400  # 2021-01-01

_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True, slots=True)
class PlantedCopy:
    """A near-duplicate the demo makes of one original.

    ``path`` and ``original`` are relative to the library root (POSIX separators).
    ``findable`` says whether a pHash scan can be expected to find it at all.
    """

    path: str
    original: str
    kind: str
    description: str
    findable: bool = True


@dataclass(frozen=True, slots=True)
class DemoLibrary:
    """The built sample library: its root folder, originals and planted copies."""

    root: Path
    originals: tuple[str, ...]
    copies: tuple[PlantedCopy, ...]

    def abspath(self, rel: str) -> str:
        return str(self.root / rel)

    @property
    def planted_groups(self) -> int:
        """Originals that have at least one copy."""
        return len({c.original for c in self.copies})


@dataclass(slots=True)
class DemoOutcome:
    """The library, the scan of it with default settings, and how the scan did on the plants."""

    library: DemoLibrary
    result: ScanResult
    found: list[PlantedCopy]
    missed: list[PlantedCopy]
    unexpected_groups: int

    @property
    def found_groups(self) -> int:
        """Planted groups the scan found (an original grouped with at least one copy)."""
        return len({c.original for c in self.found})

    def distance(self, copy: PlantedCopy) -> int | None:
        """Hamming distance between a planted copy and its original (None if either was skipped)."""
        by_path = {r.path: r.hash for r in self.result.records}
        a = by_path.get(self.library.abspath(copy.path))
        b = by_path.get(self.library.abspath(copy.original))
        return None if a is None or b is None else hamming(a, b)

    def plan(self) -> Plan:
        """What ``neardup delete --dry-run`` would do with this scan (nothing is changed)."""
        return plan_deletion(self.result)

    def to_dict(self) -> dict[str, Any]:
        return {
            "library": str(self.library.root),
            "originals": list(self.library.originals),
            "planted_groups": self.library.planted_groups,
            "found_groups": self.found_groups,
            "unexpected_groups": self.unexpected_groups,
            "planted": [
                {
                    "path": c.path,
                    "original": c.original,
                    "kind": c.kind,
                    "description": c.description,
                    "found": c in self.found,
                    "distance": self.distance(c),
                }
                for c in self.library.copies
            ],
            "plan": self.plan().to_dict(),
            "scan": self.result.to_dict(),
        }


# --- making copies -------------------------------------------------------------------


def _save(img: Image.Image, dest: Path, **kw: Any) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    img.save(dest, **kw)


def _reencode(img: Image.Image, dest: Path) -> None:
    _save(img, dest, quality=35)


def _resize_png(img: Image.Image, dest: Path) -> None:
    half = img.resize((img.width // 2, img.height // 2), Image.Resampling.LANCZOS)
    _save(half, dest)


def _thumbnail(img: Image.Image, dest: Path) -> None:
    small = img.copy()
    small.thumbnail((160, 160), Image.Resampling.LANCZOS)
    _save(small, dest, quality=80)


def _watermark(img: Image.Image, dest: Path) -> None:
    base = img.convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    size = max(12, base.height // 14)
    font = ImageFont.load_default(size=size)
    text = "© 2021 demo"
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = base.width - (right - left) - size // 2
    y = base.height - (bottom - top) - size // 2
    draw.rectangle((x - 6, y - 4, x + right - left + 6, y + bottom + 4), fill=(0, 0, 0, 90))
    draw.text((x - left, y), text, font=font, fill=(255, 255, 255, 200))
    _save(Image.alpha_composite(base, overlay).convert("RGB"), dest, quality=75)


def _exif_rotate(img: Image.Image, dest: Path) -> None:
    # Pixels stored sideways, EXIF orientation 6 ("rotate 90° clockwise to display"): a
    # camera's portrait shot. Viewers show it upright; so does neardup.
    exif = Image.Exif()
    exif[_EXIF_ORIENTATION] = 6
    _save(img.transpose(Image.Transpose.ROTATE_90), dest, quality=80, exif=exif)


def _mirror(img: Image.Image, dest: Path) -> None:
    _save(ImageOps.mirror(img), dest, quality=85)


_Maker = Callable[[Image.Image, Path], None]

#: (copy path, original, kind, description, findable, maker): the demo's planted copies.
_PLAN: tuple[tuple[str, str, str, str, bool, _Maker], ...] = (
    (
        "backup/astronaut-q35.jpg",
        "astronaut.jpg",
        "re-encoded",
        "saved again as JPEG quality 35",
        True,
        _reencode,
    ),
    (
        "web/astronaut-half.png",
        "astronaut.jpg",
        "resized",
        "half size, converted to PNG",
        True,
        _resize_png,
    ),
    (
        "shared/chelsea-watermarked.jpg",
        "chelsea.jpg",
        "watermarked",
        "a copyright caption drawn in a corner",
        True,
        _watermark,
    ),
    (
        "phone/chelsea-sideways.jpg",
        "chelsea.jpg",
        "EXIF-rotated",
        "pixels stored sideways with EXIF orientation 6",
        True,
        _exif_rotate,
    ),
    (
        "web/coffee-thumb.jpg",
        "coffee.jpg",
        "resized",
        "160 px thumbnail",
        True,
        _thumbnail,
    ),
    (
        "edited/coffee-mirrored.jpg",
        "coffee.jpg",
        "mirrored",
        "flipped left to right",
        False,
        _mirror,
    ),
    (
        "edited/rocket-mirrored.jpg",
        "rocket.jpg",
        "mirrored",
        "flipped left to right",
        False,
        _mirror,
    ),
)


def sample_path(name: str) -> resources.abc.Traversable:
    """The shipped original ``name`` inside the installed package."""
    return resources.files("neardup.tools").joinpath("samples", name)


def _prepare_root(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a folder")
    if root.is_dir() and any(root.iterdir()):
        if not (root / MARKER).is_file():
            raise UsageError(
                f"{root} is not empty and was not made by 'neardup demo'",
                hint="give a new or empty folder with --output",
            )
        shutil.rmtree(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {root}: {exc.strerror or exc}") from None
    (root / MARKER).write_text("Made by 'neardup demo'; it may delete and rebuild this folder.\n")


def build_library(root: Path) -> DemoLibrary:
    """Write the originals to ``root/photos`` and the planted copies around them.

    ``root`` must be new, empty, or a folder an earlier demo built (it is then rebuilt).

    Raises:
        UsageError: ``root`` holds other files or cannot be created.
    """
    root = Path(root).expanduser().absolute()
    _prepare_root(root)
    originals: list[str] = []
    for name in SAMPLES:
        rel = f"photos/{name}"
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(sample_path(name).read_bytes())
        os.utime(dest, (_ORIGINAL_MTIME, _ORIGINAL_MTIME))
        originals.append(rel)
    copies: list[PlantedCopy] = []
    for path, original, kind, description, findable, maker in _PLAN:
        with Image.open(root / "photos" / original) as im:
            img = im.convert("RGB")
        maker(img, root / path)
        os.utime(root / path, (_COPY_MTIME, _COPY_MTIME))
        copies.append(PlantedCopy(path, f"photos/{original}", kind, description, findable))
    return DemoLibrary(root, tuple(originals), tuple(copies))


# --- scanning and judging ------------------------------------------------------------


def evaluate(library: DemoLibrary, result: ScanResult) -> DemoOutcome:
    """Compare the scan's groups with the planted copies."""
    group_of: dict[str, int] = {}
    for gid, grp in enumerate(result.groups):
        for row in grp.members:
            group_of[result.records[row].path] = gid
    found: list[PlantedCopy] = []
    missed: list[PlantedCopy] = []
    for copy in library.copies:
        copy_gid = group_of.get(library.abspath(copy.path))
        same = copy_gid is not None and copy_gid == group_of.get(library.abspath(copy.original))
        (found if same else missed).append(copy)
    origin = {library.abspath(o): o for o in library.originals}
    origin.update({library.abspath(c.path): c.original for c in library.copies})
    unexpected = 0
    for g in result.groups:
        sources = {origin.get(result.records[row].path) for row in g.members}
        if len(sources) != 1 or None in sources:
            unexpected += 1
    return DemoOutcome(library, result, found, missed, unexpected)


def run_demo(root: Path) -> DemoOutcome:
    """Build the sample library in ``root`` and scan it with the library's default settings.

    The detection settings are the defaults; the scan runs in this process (twelve small
    files do not pay for worker processes) and leaves the hash catalog alone, so the demo
    adds nothing to the user's catalog or scan history.
    """
    library = build_library(root)
    result = scan([library.root], jobs=1, use_cache=False)
    return evaluate(library, result)


# --- the review page -------------------------------------------------------------------

#: Inside the library but hidden, so later scans of the library do not see its images.
REPORT_FOLDER = ".neardup-report"


@dataclass(frozen=True, slots=True)
class ShowOutput:
    """What :func:`write_show` wrote: the review page, and the map when it could be drawn."""

    report: Path
    map: Path | None
    map_missing_reason: str | None = None


def write_show(result: ScanResult, folder: Path) -> ShowOutput:
    """Write ``neardup show``'s review page (thumbnails embedded) and map into ``folder``.

    The map needs the ``show`` extra (openTSNE); without it only the page is written and
    ``map_missing_reason`` says why.
    """
    from neardup.errors import ShowExtraMissing
    from neardup.report import MAP_NAME
    from neardup.report.html import write_report
    from neardup.report.review import review_groups
    from neardup.report.thumbs import ThumbnailCache
    from neardup.report.visual import require_show_extra, write_map

    cache = ThumbnailCache()
    map_path: Path | None = None
    reason: str | None = None
    try:
        require_show_extra()
    except ShowExtraMissing as exc:
        reason = f"{exc}; {install_hint('show')}"
    else:
        map_path = write_map(result, review_groups(result), folder / MAP_NAME, cache=cache).path
    report = write_report(
        result, folder, cache=cache, embed=True, map_src=MAP_NAME if map_path else None
    )
    return ShowOutput(report, map_path, reason)
