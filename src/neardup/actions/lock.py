"""One delete or undo at a time: an exclusive lock on a file in the state folder.

:func:`apply_plan <neardup.actions.apply.apply_plan>` and :func:`undo_run
<neardup.actions.undo.undo_run>` hold it for their whole run, so two runs never act on
the same files at once (two deletes with opposite keep rules could otherwise each remove
the other's keeper). A second run does not wait: it stops at once with
:class:`~neardup.errors.RunInProgress`, before it touches anything. The lock is an
``flock`` (``msvcrt.locking`` on Windows), so the operating system releases it when the
holder exits, even after ``kill -9``: there are no stale locks to clean up.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from neardup.catalog.paths import ensure, state_dir
from neardup.errors import RunInProgress

LOCK_NAME = "delete.lock"


def lock_path() -> Path:
    return state_dir() / LOCK_NAME


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        text = os.pread(fd, 200, 0).decode("ascii", "replace").strip()
        if text:
            return f" (pid {text.split()[0]})"
    return ""


@contextlib.contextmanager
def exclusive(what: str = "delete") -> Iterator[Path]:
    """Hold the lock of this neardup home for the body of a ``with``.

    Raises:
        RunInProgress: another process holds it.
    """
    path = ensure(state_dir()) / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _try_lock(fd):
            raise RunInProgress(
                f"another neardup delete or undo is running{_holder(fd)}; "
                f"this {what} changed nothing",
                hint="wait for it to finish, then run this again",
            )
        with contextlib.suppress(OSError, AttributeError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock
