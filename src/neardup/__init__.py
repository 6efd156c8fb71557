"""neardup: find and safely remove near-duplicate images."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("neardup")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from neardup.api import find_pairs, group, scan
from neardup.catalog import Catalog
from neardup.errors import NeardupError
from neardup.find import find_similar
from neardup.grouping import Group
from neardup.hashing import HashSpec, hash_file, hash_image
from neardup.model import ImageRecord, Skipped
from neardup.result import ScanResult, ScanSettings

__all__ = [
    "Catalog",
    "Group",
    "HashSpec",
    "ImageRecord",
    "NeardupError",
    "ScanResult",
    "ScanSettings",
    "Skipped",
    "__version__",
    "find_pairs",
    "find_similar",
    "group",
    "hash_file",
    "hash_image",
    "scan",
]
