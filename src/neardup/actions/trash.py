"""Moving files to the trash so that a journal can say exactly where they went.

On Linux and the BSDs neardup implements the freedesktop.org Trash specification
itself instead of calling send2trash: send2trash does not say where it put a file,
and ``undo`` (and recovery after a crash) needs the destination written to the journal
*before* the file moves. The layout is the standard one, so desktop file managers see
and restore the files as usual:

* a file on the same device as ``$XDG_DATA_HOME`` (default ``~/.local/share``) goes to
  ``$XDG_DATA_HOME/Trash/files/NAME`` with ``Trash/info/NAME.trashinfo``;
* a file on another device goes to ``$topdir/.Trash/$uid`` (when that folder exists, is
  not a symlink and has the sticky bit) or ``$topdir/.Trash-$uid`` at its mount point.

If none of these can be created, :class:`~neardup.errors.TrashUnavailable` is raised
before anything is moved (a headless box or container often has no usable trash).

On macOS and Windows files go to the system trash through send2trash; the destination is
not known, so such a trash action cannot be undone by neardup (restore it from the
system trash instead).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from neardup.errors import TrashUnavailable

#: True where neardup writes the freedesktop.org trash itself (and can undo).
FREEDESKTOP = sys.platform not in ("darwin", "win32")

_HINT = "use --move-to DIR to move the duplicates to a folder instead"


@dataclass(frozen=True, slots=True)
class TrashSlot:
    """Where one file goes in a freedesktop trash: its new path and its .trashinfo file."""

    file: str
    info: str


def _data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME")
    if value and os.path.isabs(value):
        return Path(value)
    try:
        return Path.home() / ".local" / "share"
    except RuntimeError:  # no home folder at all
        raise TrashUnavailable("no usable trash: there is no home folder", hint=_HINT) from None


def _existing_ancestor(path: Path) -> Path:
    for p in (path, *path.parents):
        if os.path.lexists(p):
            return p
    return Path(path.anchor)


def _mount_point(path: Path) -> Path:
    p = path.resolve()
    while not os.path.ismount(p) and p != p.parent:
        p = p.parent
    return p


def _ensure_dirs(trash: Path) -> None:
    trash.parent.mkdir(parents=True, exist_ok=True)
    trash.mkdir(mode=0o700, exist_ok=True)  # the trash itself is private
    for sub in ("files", "info"):
        (trash / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        if not os.access(trash / sub, os.W_OK | os.X_OK):
            raise PermissionError(f"{trash / sub} is not writable")


def _topdir_trash(top: Path) -> Path:
    uid = str(os.getuid())
    shared = top / ".Trash"
    try:
        st = os.lstat(shared)
        if stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX:
            _ensure_dirs(shared / uid)
            return shared / uid
    except OSError:
        pass
    own = top / f".Trash-{uid}"
    _ensure_dirs(own)
    return own


class Trash:
    """The freedesktop trash folders for the devices of the files being trashed.

    Folders are found (and created) once per device; :meth:`check` does it up front so a
    run fails before it touches anything.
    """

    def __init__(self) -> None:
        self._by_dev: dict[int, Path] = {}

    def folder_for(self, path: str) -> Path:
        """The trash folder (holding ``files/`` and ``info/``) for ``path``.

        Raises:
            TrashUnavailable: no trash folder can be used for this file.
        """
        dev = os.lstat(path).st_dev
        found = self._by_dev.get(dev)
        if found is not None:
            return found
        home = _data_home() / "Trash"
        where = home
        try:
            if os.stat(_existing_ancestor(home)).st_dev == dev:
                _ensure_dirs(home)
                found = home
            else:
                where = _mount_point(Path(path).parent)
                found = _topdir_trash(where)
        except OSError as exc:
            raise TrashUnavailable(
                f"no usable trash for {path}: cannot use {where}: {exc.strerror or exc}",
                hint=_HINT,
            ) from None
        self._by_dev[dev] = found
        return found

    def check(self, paths: list[str]) -> None:
        """Make sure every file in ``paths`` has a usable trash (creating folders as needed)."""
        for path in paths:
            with contextlib.suppress(FileNotFoundError):  # gone: skipped when its turn comes
                self.folder_for(path)

    def reserve(self, path: str) -> TrashSlot:
        """Pick a free name in the trash for ``path`` (nothing is written yet)."""
        folder = self.folder_for(path)
        name = os.path.basename(path)
        stem, ext = os.path.splitext(name)
        counter = 0
        while True:
            candidate = name if counter == 0 else f"{stem}.{counter}{ext}"
            slot = TrashSlot(
                str(folder / "files" / candidate), str(folder / "info" / f"{candidate}.trashinfo")
            )
            if not os.path.lexists(slot.file) and not os.path.lexists(slot.info):
                return slot
            counter += 1


def write_info(slot: TrashSlot, original: str) -> None:
    """Create the .trashinfo file (exclusively: fails with ``FileExistsError`` if taken)."""
    when = dt.datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
    # the name's bytes, percent-encoded: also a name that is not UTF-8 (surrogate-escaped)
    text = f"[Trash Info]\nPath={quote(os.fsencode(original))}\nDeletionDate={when}\n"
    fd = os.open(slot.info, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def system_trash(path: str) -> None:
    """Send ``path`` to the macOS/Windows trash with send2trash (destination unknown)."""
    try:
        from send2trash import send2trash
        from send2trash.exceptions import TrashPermissionError
    except ImportError:  # pragma: no cover - a declared dependency
        raise TrashUnavailable("the trash needs send2trash: pip install send2trash") from None
    try:
        send2trash(path)
    except TrashPermissionError as exc:
        raise TrashUnavailable(f"no usable trash for {path}: {exc}", hint=_HINT) from None
