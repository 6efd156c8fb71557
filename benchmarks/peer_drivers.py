"""Child-process drivers for ``benchmarks/peers.py``: one peer tool, one folder, one process.

    python benchmarks/peer_drivers.py TOOL FOLDER

runs TOOL on FOLDER in this process and prints one JSON line on stdout with what it found
(``hashed``: images hashed, when the tool says; ``groups`` and ``in_groups``: groups of
near-duplicates and the images in them). ``peers.py`` starts this script as a subprocess and
measures its wall and CPU time, so everything here (imports included) is part of the timing.
Only the standard library is imported at the top, so the dupeGuru driver also runs under the
system Python that Debian's dupeGuru package is built for.

    python benchmarks/peer_drivers.py versions

prints the versions of the Python peers that are installed (not timed).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import types
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
#: neardup's default threshold; used by the plain ImageHash loop so it finds the same pairs.
THRESHOLD = 8
#: where Debian's dupeguru package puts its Python code
DUPEGURU_DIR = Path("/usr/share/dupeguru")


def list_images(folder: str) -> list[str]:
    return sorted(
        e.path
        for e in os.scandir(folder)
        if e.is_file() and not e.name.startswith(".") and Path(e.name).suffix in IMAGE_SUFFIXES
    )


def _phash_file(path: str) -> str:
    import imagehash
    from PIL import Image

    with Image.open(path) as im:
        return str(imagehash.phash(im))


def _pairs(hashes: list[str], threshold: int) -> dict[str, int]:
    """Pairs within ``threshold`` bits, all against all with numpy (blocks of rows)."""
    import numpy as np

    h = np.array([int(x, 16) for x in hashes], dtype=np.uint64)
    pairs = 0
    members = np.zeros(len(h), dtype=bool)
    for start in range(0, len(h), 1024):
        block = h[start : start + 1024]
        d = np.bitwise_count(block[:, None] ^ h[None, :])
        rows, cols = np.nonzero(d <= threshold)
        keep = cols > rows + start
        pairs += int(keep.sum())
        members[rows[keep] + start] = True
        members[cols[keep]] = True
    return {"pairs": pairs, "in_groups": int(members.sum())}


def run_imagehash_pool(folder: str) -> dict[str, object]:
    """``imagehash.phash`` of every file in a ``multiprocessing.Pool`` over all cores, then
    every pair within the threshold with numpy."""
    from multiprocessing import Pool

    files = list_images(folder)
    pool = Pool(os.cpu_count())
    try:
        hashes = pool.map(_phash_file, files, chunksize=4)
    finally:
        pool.close()
        pool.join()
    return {"hashed": len(hashes), **_pairs(hashes, THRESHOLD)}


def run_imagehash_loop(folder: str) -> dict[str, object]:
    """``imagehash.phash`` of every file, one after the other in this one process."""
    hashes = [_phash_file(p) for p in list_images(folder)]
    return {"hashed": len(hashes), **_pairs(hashes, THRESHOLD)}


def run_reduced_decode(folder: str) -> dict[str, object]:
    """Decode every file as small as its format allows (a JPEG at libjpeg's 1/8 scale, in
    grey) and nothing else: what any tool that reads the pixels pays at least. Its time
    bounds how many times faster than the ImageHash loop such a tool can be."""
    from PIL import Image

    files = list_images(folder)
    for path in files:
        with Image.open(path) as im:
            im.draft("L", (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
    return {"decoded": len(files)}


def run_czkawka(folder: str) -> dict[str, object]:
    """Czkawka's Python bindings with their default similar-images settings."""
    from czkawka import ImageSimilarity

    finder = ImageSimilarity()
    finder.set_directories([folder])
    groups = finder.find_similar()
    return {"groups": len(groups), "in_groups": sum(len(g) for g in groups)}


class _Anything(type):
    """Stub classes: any attribute is another stub class, calling one gives an instance that
    is again anything (enough for what imagededup does with torch at import time)."""

    def __getattr__(cls, name: str) -> type:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(name, (), {"__init__": _Anything._init, "__getattr__": _Anything._get})

    @staticmethod
    def _init(self: object, *args: object, **kwargs: object) -> None:
        pass

    @staticmethod
    def _get(self: object, name: str) -> type:
        return getattr(type(self), name)  # type: ignore[no-any-return]


class _StubModule(types.ModuleType):
    """A module whose every attribute is a stub class."""

    __path__: list[str] = []  # noqa: RUF012 - a package, so submodules import too

    def __getattr__(self, name: str) -> type:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(_Anything(name, (), {}), name)
        setattr(self, name, value)
        return value


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    roots = ("torch", "torchvision")

    def find_spec(self, fullname, path=None, target=None):  # type: ignore[no-untyped-def]
        if fullname.split(".")[0] in self.roots:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):  # type: ignore[no-untyped-def]
        return _StubModule(spec.name)

    def exec_module(self, module):  # type: ignore[no-untyped-def]
        return None


def run_imagededup(folder: str) -> dict[str, object]:
    """imagededup's PHash ``find_duplicates`` with its defaults (distance 10, every core).

    imagededup imports torch at package import for its CNN method, which PHash never uses.
    Without torch installed, torch and torchvision are replaced by empty stub modules so
    that only the hashing code runs (and the start-up is lighter than with torch: this
    favours imagededup)."""
    stubbed = importlib.util.find_spec("torch") is None
    if stubbed:
        sys.meta_path.insert(0, _StubFinder())
    import logging

    logging.disable(logging.WARNING)
    from imagededup.methods.hashing import PHash

    dups = PHash(verbose=False).find_duplicates(image_dir=folder)
    return {
        "hashed": len(dups),
        "in_groups": sum(1 for v in dups.values() if v),
        "torch": "stubbed" if stubbed else "installed",
    }


def run_dupeguru(folder: str) -> dict[str, object]:
    """dupeGuru's picture mode ("Contents" scan) through its core, without its window: the
    defaults of its preferences (filter hardness 95, no scaled matching, SQLite picture cache
    in a fresh folder), Qt image loading as in the application."""
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(DUPEGURU_DIR))
    import core.pe.photo  # type: ignore[import-not-found]
    from core import fs  # type: ignore[import-not-found]
    from core.directories import Directories  # type: ignore[import-not-found]
    from core.exclude import ExcludeList  # type: ignore[import-not-found]
    from core.pe.scanner import ScannerPE  # type: ignore[import-not-found]
    from core.scanner import ScanType  # type: ignore[import-not-found]
    from qt.pe.photo import File  # type: ignore[import-not-found]

    core.pe.photo.PLAT_SPECIFIC_PHOTO_CLASS = File
    directories = Directories(ExcludeList())
    directories.add_path(Path(folder))
    scanner = ScannerPE()
    scanner.scan_type = ScanType.FUZZYBLOCK
    scanner.min_match_percentage = 95
    scanner.match_scaled = False
    with tempfile.TemporaryDirectory() as cache:
        fs.filesdb.connect(os.path.join(cache, "hash_cache.db"))
        scanner.cache_path = os.path.join(cache, "cached_pictures.db")
        files = list(directories.get_files(fileclasses=[File]))
        groups = scanner.get_dupe_groups(files)
    return {
        "hashed": len(files),
        "groups": len(groups),
        "in_groups": sum(len(g.dupes) + 1 for g in groups),
    }


def versions() -> dict[str, str | None]:
    from importlib import metadata

    found: dict[str, str | None] = {}
    for dist in ("neardup", "czkawka", "imagededup", "ImageHash", "Pillow", "numpy", "torch"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    return found


DRIVERS = {
    "czkawka": run_czkawka,
    "imagededup": run_imagededup,
    "imagehash-pool": run_imagehash_pool,
    "imagehash-loop": run_imagehash_loop,
    "reduced-decode": run_reduced_decode,
    "dupeguru": run_dupeguru,
}


def main(argv: list[str]) -> int:
    if argv[:1] == ["versions"]:
        print(json.dumps(versions()))
        return 0
    if len(argv) != 2 or argv[0] not in DRIVERS:
        print(f"usage: peer_drivers.py {{{','.join(DRIVERS)}}} FOLDER | versions", file=sys.stderr)
        return 2
    print(json.dumps(DRIVERS[argv[0]](argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
