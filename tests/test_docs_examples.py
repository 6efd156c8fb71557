"""Every shell example marked runnable in README.md and docs/ runs against the demo library.

Mark an example by putting ``<!-- runnable -->`` on the line just before its ```` ```sh ````
block. The blocks of one file run in order, in one fresh folder that holds the demo library
as ``neardup-demo/`` (built by ``neardup demo --output neardup-demo``), with a private
``NEARDUP_HOME``. Each block runs under ``bash -euo pipefail`` and must exit 0.

Running them starts a fresh ``neardup`` process per command (about half a minute per
document), so they run with the slow tests (``-m slow``, and ``nox -s docs``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from neardup.tools.demo import build_library
from tests.conftest import ROOT

MARKER = "<!-- runnable -->"
_BLOCK = re.compile(r"^<!-- runnable -->\n```sh\n(.*?)^```", re.M | re.S)


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def runnable_blocks(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    blocks = _BLOCK.findall(text)
    markers = len(re.findall(rf"^{re.escape(MARKER)}$", text, re.M))
    assert len(blocks) == markers, f"{path.name}: a {MARKER} marker is not followed by ```sh"
    return blocks


DOCS_WITH_EXAMPLES = [p for p in documents() if runnable_blocks(p)]


def test_examples_are_marked_in_several_documents() -> None:
    names = {p.name for p in DOCS_WITH_EXAMPLES}
    assert {"getting-started.md", "faq.md"} <= names
    assert sum(len(runnable_blocks(p)) for p in DOCS_WITH_EXAMPLES) >= 8


def test_a_failing_example_is_reported(tmp_path: Path) -> None:
    doc = tmp_path / "broken.md"
    doc.write_text(f"{MARKER}\n```sh\nneardup scan no-such-folder\n```\n")
    (block,) = runnable_blocks(doc)
    proc = _run(block, tmp_path)
    assert proc.returncode != 0


def _run(block: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "120"
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS_WITH_EXAMPLES, ids=lambda p: p.name)
def test_runnable_examples_succeed(doc: Path, tmp_path: Path) -> None:
    build_library(tmp_path / "neardup-demo")
    for block in runnable_blocks(doc):
        proc = _run(block, tmp_path)
        assert proc.returncode == 0, (
            f"{doc.name}: example failed with exit code {proc.returncode}\n$ {block}\n"
            f"stdout:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-2000:]}"
        )
