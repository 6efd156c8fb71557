"""The saved "last scan", so ``delete`` and ``show`` can act without rescanning."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from neardup.errors import NoSavedScanError, StateError
from neardup.paths import ensure, state_dir
from neardup.result import SCHEMA_VERSION, ScanResult

LAST_SCAN = "last-scan.json"


def last_scan_path() -> Path:
    return state_dir() / LAST_SCAN


def save_last_scan(result: ScanResult) -> Path:
    """Atomically write ``result`` (with every image) as the last scan."""
    folder = ensure(state_dir())
    target = folder / LAST_SCAN
    fd, tmp = tempfile.mkstemp(prefix=".last-scan-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(result.to_dict(include_images=True), fh, ensure_ascii=False)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StateError(f"cannot save the last scan to {target}: {exc.strerror or exc}") from None
    return target


def load_last_scan() -> ScanResult:
    """Load the last saved scan.

    Raises:
        NoSavedScanError: no scan was saved yet.
        StateError: the file is unreadable or from an incompatible version.
    """
    path = last_scan_path()
    try:
        with path.open(encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise NoSavedScanError(
            "no saved scan yet", hint="run 'neardup scan PATH' first or give PATH"
        ) from None
    except (OSError, ValueError) as exc:
        raise StateError(f"cannot read the last scan {path}: {exc}") from None
    if doc.get("schema_version") != SCHEMA_VERSION or "images" not in doc:
        raise StateError(f"the last scan {path} is from an incompatible version; scan again")
    try:
        return ScanResult.from_dict(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"the last scan {path} is damaged ({exc}); scan again") from None
