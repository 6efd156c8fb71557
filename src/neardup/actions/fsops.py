"""Small file-system moves that never overwrite and keep the file's bytes and times."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile


def move_no_clobber(src: str, dest: str) -> None:
    """Move ``src`` to ``dest``, creating parent folders; never replace an existing ``dest``.

    On one file system this is ``link`` + ``unlink`` (the link fails atomically if ``dest``
    exists; a crash in between leaves both names on one inode, which undo recognises).
    Across file systems the bytes are copied (with times), fsync-ed, then the source is
    removed.

    Raises:
        FileExistsError: ``dest`` exists.
        OSError: the move failed; ``src`` is left in place.
    """
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    try:
        os.link(src, dest, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            _copy_across(src, dest)
        elif os.path.lexists(dest):
            raise FileExistsError(errno.EEXIST, "destination exists", dest) from None
        else:  # no hard links on this file system: rename after the check above
            os.rename(src, dest)
            return
    os.unlink(src)


def _copy_across(src: str, dest: str) -> None:
    folder = os.path.dirname(dest) or "."
    fd, tmp = tempfile.mkstemp(prefix=".neardup-", dir=folder)
    os.close(fd)
    try:
        shutil.copy2(src, tmp, follow_symlinks=False)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        try:
            os.link(tmp, dest)
        except FileExistsError:
            raise
        except OSError:
            if os.path.lexists(dest):
                raise FileExistsError(errno.EEXIST, "destination exists", dest) from None
            os.rename(tmp, dest)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def same_file(a: str, b: str) -> bool:
    """True when both names exist and are one inode (without following symlinks)."""
    try:
        sa, sb = os.lstat(a), os.lstat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def set_mtime_ns(path: str, mtime_ns: int) -> None:
    st = os.lstat(path)
    if st.st_mtime_ns != mtime_ns:
        os.utime(path, ns=(st.st_atime_ns, mtime_ns), follow_symlinks=False)


def prune_empty_dirs(start: str, stop: str) -> None:
    """Remove empty folders from ``start`` up to (not including) ``stop``."""
    stop = os.path.abspath(stop)
    d = os.path.abspath(start)
    while d != stop and d.startswith(stop + os.sep):
        try:
            os.rmdir(d)
        except OSError:
            return
        d = os.path.dirname(d)
