"""The one exception tree of neardup. The library raises; only the CLI prints."""

from __future__ import annotations


class NeardupError(Exception):
    """Base class of every error neardup raises on purpose; the CLI prints it as one line."""

    exit_code: int = 1
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class UsageError(NeardupError):
    """The caller asked for something that cannot be: a bad option value or name (exit 2)."""

    exit_code = 2


class UnknownIndexError(UsageError):
    """No installed backend in the ``neardup.indexes`` entry-point group has that name."""


class IndexUnavailable(NeardupError):
    """The backend exists but cannot run here, usually because an optional dependency is missing."""


class IndexOptionError(UsageError):
    """A backend option (``--index-opt key=value``) is unknown or has a bad value."""


class NoSavedScanError(NeardupError):
    """A command needs the last scan, but none has been saved yet."""


class StateError(NeardupError):
    """The saved state (last scan) could not be read or written."""


class CatalogError(NeardupError):
    """The hash catalog could not be opened, read or written."""


class NeardupWarning(UserWarning):
    """Base class of the warnings neardup emits; the CLI prints them as one line."""


class CatalogRecoveredWarning(NeardupWarning):
    """The catalog file was damaged: it was moved aside and a new one started."""


class ActionError(NeardupError):
    """A delete action cannot be carried out as asked (nothing was changed by the failure)."""


class TrashUnavailable(ActionError):
    """There is no usable trash for a file (for example a headless box without a home trash)."""


class ConfirmationRequired(UsageError):
    """A destructive action needs ``--yes`` or an interactive confirmation."""


class JournalError(StateError):
    """The delete journal cannot be written or read, or names an unknown run."""


class RunInProgress(ActionError):
    """Another ``delete`` or ``undo`` holds the lock of this neardup home; nothing was changed."""


class DecodeError(NeardupError):
    """A file could not be decoded; ``reason`` is a short code (``corrupt``, ``too-large``,
    ...), ``detail`` a human sentence. A scan records it as a skipped file."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class WorkerError(NeardupError):
    """Worker processes for parallel hashing could not be started."""


class ExtraMissing(NeardupError):
    """A feature needs an optional extra (``neardup[name]``) that is not installed."""


class DaskUnavailable(ExtraMissing):
    """``--dask`` was given but the ``neardup[dask]`` extra is not installed."""


class ShowExtraMissing(ExtraMissing):
    """The map needs the optional ``show`` extra (openTSNE), which is not installed."""


class ReviewExtraMissing(ExtraMissing):
    """``neardup review`` needs the optional ``review`` extra (Starlette and uvicorn)."""


def installed_by_pipx(prefix: str | None = None) -> bool:
    """True when neardup runs from a virtual environment that pipx made.

    >>> installed_by_pipx("/home/me/.local/share/pipx/venvs/neardup")
    True
    >>> installed_by_pipx("/usr")
    False
    """
    import itertools
    import sys

    parts = (prefix if prefix is not None else sys.prefix).replace("\\", "/").split("/")
    return any(a.endswith("pipx") and b == "venvs" for a, b in itertools.pairwise(parts))


def install_hint(extra: str, *, prefix: str | None = None) -> str:
    """The command that installs ``neardup[extra]`` for the way neardup was installed.

    >>> install_hint("lsh", prefix="/usr")
    "pip install 'neardup[lsh]'"
    >>> install_hint("heic", prefix="/root/.local/pipx/venvs/neardup")
    "pipx inject neardup 'neardup[heic]'"
    """
    if installed_by_pipx(prefix):
        return f"pipx inject neardup 'neardup[{extra}]'"
    return f"pip install 'neardup[{extra}]'"
