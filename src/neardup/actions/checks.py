"""What must still be true before a file is touched: the file is the one the scan saw,
below the folder the scan saw, and the action's target makes sense."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from enum import StrEnum

from neardup.actions.plan import PlanGroup, PlanItem, is_under
from neardup.bits import hamming
from neardup.errors import ActionError, UsageError
from neardup.hashing.core import hash_file
from neardup.model import HashSpec, ImageRecord


class Action(StrEnum):
    """What happens to a file the plan removes."""

    trash = "trash"
    move = "move"
    hardlink = "hardlink"
    permanent = "permanent"


def verify(
    record: ImageRecord,
    spec: HashSpec,
    *,
    roots: Sequence[str] = (),
    check_hash: bool = True,
    pins: Sequence[tuple[str, str, int, int]] = (),
) -> tuple[str, str] | None:
    """Check that ``record`` still describes the file on disk.

    ``pins`` are the scan's roots as ``(path, resolved path, device, inode)``: a file below
    a root that now resolves elsewhere or is another folder is not acted on.

    Returns:
        ``None`` when it does, else ``(reason, detail)`` with reason ``missing``,
        ``symlink``, ``root-changed``, ``not-a-file``, ``changed`` or ``unreadable``.
    """
    path = record.path
    moved = root_problem(path, pins)
    if moved is not None:
        return ("root-changed", moved)
    if os.path.realpath(path) != _resolved_below_root(path, roots):
        return ("symlink", "a folder on its path is now a symbolic link")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return ("missing", "no longer exists")
    except OSError as exc:
        return ("unreadable", exc.strerror or str(exc))
    if stat.S_ISLNK(st.st_mode):
        return ("symlink", "is now a symbolic link")
    if not stat.S_ISREG(st.st_mode):
        return ("not-a-file", "is no longer a regular file")
    if st.st_size != record.size:
        return ("changed", f"size changed since the scan ({record.size} -> {st.st_size} bytes)")
    if st.st_mtime_ns != record.mtime_ns:
        return ("changed", "modified since the scan (mtime differs)")
    if check_hash:
        fresh = hash_file(path, spec)
        if not isinstance(fresh, ImageRecord):
            return ("unreadable", fresh.detail)
        if fresh.hash != record.hash:
            d = hamming(fresh.hash, record.hash)
            return ("changed", f"content changed since the scan (hash distance {d})")
    return None


def root_problem(path: str, pins: Sequence[tuple[str, str, int, int]]) -> str | None:
    """Why the scanned folder holding ``path`` is no longer the one the scan saw, or
    ``None`` (also when ``path`` is under no pinned folder)."""
    path = os.path.abspath(path)
    for root, resolved, dev, ino in sorted(pins, key=lambda p: len(p[0]), reverse=True):
        if path == root or not is_under(path, [root]):
            continue
        if os.path.realpath(root) != resolved:
            return f"the scanned folder {root} now leads elsewhere (a symbolic link?)"
        try:
            st = os.stat(root)
        except OSError:
            return f"the scanned folder {root} is gone"
        if (st.st_dev, st.st_ino) != (dev, ino):
            return f"the scanned folder {root} was replaced by another folder since the scan"
        return None
    return None


def _resolved_below_root(path: str, roots: Sequence[str]) -> str:
    """``path`` with only its scanned root resolved: a root given through a symlink is
    fine, a symlink below it is not."""
    path = os.path.abspath(path)
    for root in sorted(roots, key=len, reverse=True):
        folder = os.path.dirname(root) if os.path.isfile(root) else root
        if is_under(path, [folder]):
            return os.path.join(os.path.realpath(folder), os.path.relpath(path, folder))
    return path


def move_destination(path: str, roots: tuple[str, ...], target: str) -> str:
    """Where ``--move-to target`` puts ``path``: its path relative to the scanned roots.

    >>> move_destination("/p/a/x.jpg", ("/p/a", "/p/b"), "/t")
    '/t/a/x.jpg'
    >>> move_destination("/p/a/x.jpg", ("/p/a",), "/t")
    '/t/x.jpg'
    """
    folders = [r if not os.path.isfile(r) else os.path.dirname(r) for r in roots] or ["/"]
    base = os.path.commonpath([os.path.abspath(f) for f in folders])
    try:
        rel = os.path.relpath(path, base)
    except ValueError:
        rel = ".."
    if rel.startswith(".."):
        rel = os.path.splitdrive(os.path.abspath(path))[1].lstrip(os.sep)
    return os.path.join(target, rel)


def check_target(
    action: Action, move_to: str | os.PathLike[str] | None, roots: Sequence[str] = ()
) -> str | None:
    if move_to is None:
        if action is Action.move:
            raise UsageError("--move-to needs a folder")
        return None
    if action not in (Action.move, Action.hardlink):
        raise UsageError("a target folder only goes with move or hardlink")
    target = os.path.abspath(os.path.expanduser(os.fspath(move_to)))
    if os.path.exists(target) and not os.path.isdir(target):
        raise UsageError(f"--move-to {target} is not a folder")
    real = os.path.realpath(target)
    for root in roots:
        if os.path.isdir(root) and is_under(real, [os.path.realpath(root)]):
            raise UsageError(
                f"--move-to {target} is inside the scanned folder {root}: the next scan "
                "would find the moved files again; nothing was changed",
                hint="choose a folder outside the scanned folders",
            )
    return target


def check_same_device(removals: list[tuple[PlanGroup, PlanItem]]) -> None:
    for group, item in removals:
        try:
            a, b = os.lstat(item.path).st_dev, os.lstat(group.keeper.path).st_dev
        except OSError:
            continue  # verification will skip it with a reason
        if a != b:
            raise ActionError(
                f"cannot hard-link {item.path} to {group.keeper.path}: "
                "they are on different file systems",
                hint="hard links only work within one file system; use --trash or --move-to",
            )
