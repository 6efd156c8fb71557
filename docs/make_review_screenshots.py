"""Take docs/img/review.png and docs/img/review-compare.png from a real ``neardup review``.

Run from a checkout with neardup, its ``review`` extra, Playwright and Chromium installed:

    python docs/make_review_screenshots.py [LIBRARY]

It builds the demo library (``neardup demo --output LIBRARY``; the photographs ship with
neardup, see src/neardup/tools/samples/PROVENANCE.md) in LIBRARY (default: a temporary
folder; its path shows in the screenshots), scans it with a private NEARDUP_HOME, starts
``neardup review --no-browser``, marks a few files in headless Chromium and saves the
screenshots. Nothing is applied.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).parent / "img"
CHROMIUM = os.environ.get("NEARDUP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def neardup(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "neardup", *args], env=env, stdout=subprocess.PIPE, text=True
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        library = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp) / "Pictures"
        env = dict(os.environ, NEARDUP_HOME=str(Path(tmp) / "home"))
        for args in (["demo", "--output", str(library), "-q", "--no-report"],
                     ["scan", str(library), "-q"]):  # fmt: skip
            assert neardup(*args, env=env).wait() == 0
        proc = neardup("review", "--no-browser", "--quiet", env=env)
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(url)

                def member(name: str) -> object:
                    return page.locator(f'.member:has(.name:text-is("{name}"))')

                member("astronaut-q35.jpg").locator(".name").click()
                page.keyboard.press("a")  # every duplicate of the group
                member("chelsea-watermarked.jpg").locator("button.mark-delete").click()
                page.locator(".member.role-delete").nth(2).wait_for()
                member("coffee-thumb.jpg").locator(".name").click()
                page.evaluate("window.scrollTo(0, 0)")
                page.wait_for_timeout(300)
                OUT.mkdir(exist_ok=True)
                page.screenshot(path=str(OUT / "review.png"), full_page=True)
                member("chelsea-watermarked.jpg").locator("a.thumb").click()
                page.wait_for_url("**/compare/**")
                page.wait_for_timeout(1000)
                page.screenshot(path=str(OUT / "review-compare.png"), full_page=True)
                browser.close()
        finally:
            proc.terminate()
            proc.wait()
    print(f"wrote {OUT / 'review.png'} and {OUT / 'review-compare.png'}")


if __name__ == "__main__":
    main()
