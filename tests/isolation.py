"""Keeping a test run away from the user's own neardup state, and proving that it did.

The test session runs with ``HOME``, the XDG folders and ``NEARDUP_HOME`` pointing into one
temporary folder (see ``conftest.py``). Before switching, it records the user's real
locations (:func:`user_locations`) and a :func:`snapshot` of them; at the end it compares
(:func:`differences`) and fails the run if anything there changed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import platformdirs

APP = "neardup"

#: The environment variables the session replaces with private folders.
PRIVATE_VARIABLES = (
    "NEARDUP_HOME",
    "HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
)

#: One entry of a snapshot: ``None`` for a folder, else ``(size, mtime_ns)``.
Entry = tuple[int, int] | None
Snapshot = dict[str, dict[str, Entry] | None]


def user_locations() -> list[Path]:
    """neardup's per-user folders as platformdirs computes them from the current environment."""
    found = [
        platformdirs.user_data_path(APP),
        platformdirs.user_state_path(APP),
        platformdirs.user_cache_path(APP),
        platformdirs.user_config_path(APP),
        platformdirs.user_log_path(APP),
    ]
    return list(dict.fromkeys(found))  # some platforms share folders


def private_environment(root: Path) -> dict[str, str]:
    """Values for :data:`PRIVATE_VARIABLES`, all below ``root`` (the folders are created)."""
    env = {
        "NEARDUP_HOME": root / "neardup-home",
        "HOME": root / "home",
        "XDG_DATA_HOME": root / "home" / ".local" / "share",
        "XDG_STATE_HOME": root / "home" / ".local" / "state",
        "XDG_CACHE_HOME": root / "home" / ".cache",
        "XDG_CONFIG_HOME": root / "home" / ".config",
    }
    for folder in env.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {name: str(folder) for name, folder in env.items()}


def snapshot(paths: Iterable[Path]) -> Snapshot:
    """For each path: ``None`` when it does not exist, else every entry below it (recursive,
    symlinks not followed) with its size and mtime; the path itself is the entry ``"."``."""
    out: Snapshot = {}
    for path in paths:
        if not os.path.lexists(path):
            out[str(path)] = None
            continue
        entries: dict[str, Entry] = {".": _entry(path)}
        if path.is_dir() and not path.is_symlink():
            for dirpath, dirs, files in os.walk(path):
                for name in dirs + files:
                    p = Path(dirpath) / name
                    entries[str(p.relative_to(path))] = _entry(p)
        out[str(path)] = entries
    return out


def _entry(p: Path) -> Entry:
    try:
        st = p.lstat()
    except OSError:  # vanished while we looked
        return (-1, -1)
    if p.is_dir() and not p.is_symlink():
        return None
    return (st.st_size, st.st_mtime_ns)


def differences(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    """One line per change between two snapshots: created, removed or modified entries."""
    changes: list[str] = []
    for root in sorted(set(before) | set(after)):
        old, new = before.get(root), after.get(root)
        if old == new:
            continue
        if old is None:
            changes.append(f"{root}: created")
            continue
        if new is None:
            changes.append(f"{root}: removed")
            continue
        assert isinstance(old, Mapping) and isinstance(new, Mapping)
        for name in sorted(set(old) | set(new)):
            where = root if name == "." else os.path.join(root, name)
            if name not in old:
                changes.append(f"{where}: created")
            elif name not in new:
                changes.append(f"{where}: removed")
            elif old[name] != new[name]:
                changes.append(f"{where}: modified")
    return changes
