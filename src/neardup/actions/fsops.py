"""Small file-system moves that never overwrite and keep the file's bytes and times."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile

#: Suffix of the temporary file a copy across file systems is written to.
PARTIAL_SUFFIX = ".neardup-partial"


def partial_name(dest: str) -> str:
    """The temporary name a copy to ``dest`` across file systems is written under (hidden,
    next to ``dest``), known in advance so it can be journaled before it exists.

    >>> partial_name("/t/a/x.jpg")
    '/t/a/.x.jpg.neardup-partial'
    """
    folder, name = os.path.split(dest)
    return os.path.join(folder, f".{name}{PARTIAL_SUFFIX}")


def remove_partial(path: str) -> bool:
    """Remove a leftover temporary copy (only a name :func:`partial_name` makes)."""
    if not os.path.basename(path).endswith(PARTIAL_SUFFIX) or not os.path.isfile(path):
        return False
    try:
        os.unlink(path)
    except OSError:
        return False
    return True


def move_no_clobber(src: str, dest: str, *, partial: str | None = None) -> None:
    """Move ``src`` to ``dest``, creating parent folders; never replace an existing ``dest``.

    On one file system this is ``link`` + ``unlink`` (the link fails atomically if ``dest``
    exists; a crash in between leaves both names on one inode, which undo recognises).
    Across file systems the bytes are copied (with times) to ``partial`` (default: a
    fresh temporary name next to ``dest``), fsync-ed, linked to ``dest``, then the source
    is removed.

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
            _copy_across(src, dest, partial)
        elif os.path.lexists(dest):
            raise FileExistsError(errno.EEXIST, "destination exists", dest) from None
        else:  # no hard links on this file system: rename after the check above
            os.rename(src, dest)
            return
    os.unlink(src)


def _copy_across(src: str, dest: str, partial: str | None) -> None:
    folder = os.path.dirname(dest) or "."
    if partial is None:
        fd, tmp = tempfile.mkstemp(prefix=".neardup-", dir=folder)
    else:
        tmp = partial
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
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
