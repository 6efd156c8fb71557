"""Helpers for the delete tests: a small planted library and tree snapshots."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from tests.conftest import PHOTOS
from tests.imaging import make_variant

#: photo index -> variants planted in ``copies/`` (all lower resolution than the original).
SMALL_PLANTED = {0: ("resize50", "resize25"), 3: ("resize50",), 7: ("resize25",)}


def make_small_library(root: Path) -> Path:
    """Ten real photos in ``root/photos`` plus lower-resolution copies in ``root/copies``."""
    photos = sorted(p for p in PHOTOS.iterdir() if p.is_file())[:10]
    (root / "photos").mkdir(parents=True)
    (root / "copies").mkdir()
    for p in photos:
        shutil.copy2(p, root / "photos" / p.name)
        os.chmod(root / "photos" / p.name, 0o644)
    for idx, kinds in SMALL_PLANTED.items():
        for kind in kinds:
            make_variant(photos[idx], root / "copies", kind)
    return root


def lower_resolution_copies(root: Path) -> set[str]:
    return {str(p) for p in (root / "copies").iterdir()}


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every file under ``root``: relative path -> (sha256, size, mtime_ns)."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            st = p.lstat()
            out[str(p.relative_to(root))] = (
                hashlib.sha256(p.read_bytes()).hexdigest(),
                st.st_size,
                st.st_mtime_ns,
            )
    return out


#: Runs ``neardup ARGS`` with every file action slowed down from the outside, so a test can
#: kill or interrupt the run part-way: ``python -c SLOW_CLI SECONDS ARGS...``.
SLOW_CLI = """
import sys, time
import neardup.actions.apply as apply
from neardup.cli import main
delay, real = float(sys.argv[1]), apply._act
def slow(*args, **kwargs):
    time.sleep(delay)
    return real(*args, **kwargs)
apply._act = slow
main(sys.argv[2:])
"""


def slow_cli(delay: float, *args: str) -> list[str]:
    """The command line of ``neardup ARGS`` waiting ``delay`` seconds before each action."""
    import sys

    return [sys.executable, "-c", SLOW_CLI, str(delay), *args]
