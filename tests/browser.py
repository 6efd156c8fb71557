"""Debian's Chromium driven by Playwright, for the tests of the HTML pages."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Headless, and quiet on a machine without a network (no background connections).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def unavailable(reason: str) -> None:
    """Skip on a developer machine without a browser; fail in CI, which must have one."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    candidates = [os.environ.get("NEARDUP_CHROMIUM"), shutil.which("chromium")]
    candidates += [shutil.which("chromium-browser"), "/usr/bin/chromium"]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def launch() -> Iterator[Any]:
    """A headless Chromium for the whole session (the body of the ``browser`` fixture)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    if executable is None:
        unavailable("Chromium was not found (apt-get install chromium, or set NEARDUP_CHROMIUM)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
