"""Where neardup keeps its own files: the last scan, the journal, caches.

``NEARDUP_HOME`` overrides everything: when it is set, every file neardup writes for
itself lives below that one folder. Otherwise the platform's user folders are used
(via :mod:`platformdirs`).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "neardup"
HOME_ENV = "NEARDUP_HOME"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def state_dir() -> Path:
    """Folder for the last scan, the delete journal and other state."""
    home = _home()
    return home / "state" if home else platformdirs.user_state_path(APP)


def data_dir() -> Path:
    """Folder for durable data such as the hash catalog."""
    home = _home()
    return home / "data" if home else platformdirs.user_data_path(APP)


def cache_dir() -> Path:
    """Folder for caches that may be deleted at any time (thumbnails)."""
    home = _home()
    return home / "cache" if home else platformdirs.user_cache_path(APP)


def ensure(path: Path) -> Path:
    """Create ``path`` (a folder) if needed and return it."""
    path.mkdir(parents=True, exist_ok=True)
    return path
