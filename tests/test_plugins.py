"""A backend from a separate, really installed package is usable with --index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

PLUGIN_PYPROJECT = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "neardup-testindex"
version = "0.0.1"

[project.entry-points."neardup.indexes"]
testlinear = "neardup_testindex:LinearIndex"

[tool.hatch.build.targets.wheel]
packages = ["neardup_testindex"]
"""

PLUGIN_MODULE = '''
"""A deliberately plain backend: one Python loop, exact."""
import numpy as np
from neardup.index.base import BaseIndex, Match, PairBlock


class LinearIndex(BaseIndex):
    name = "testlinear"
    exact = True

    def _setup(self):
        self.values = [int("".join(f"{w:016x}" for w in row), 16) for row in self.hashes.tolist()]

    def query(self, h, radius):
        q = int("".join(f"{int(w):016x}" for w in np.asarray(h).reshape(-1)), 16)
        return sorted(Match((q ^ v).bit_count(), i) for i, v in enumerate(self.values)
                      if (q ^ v).bit_count() <= radius)

    def pairs(self, radius):
        found = [(i, j, (a ^ b).bit_count()) for i, a in enumerate(self.values)
                 for j, b in enumerate(self.values) if i < j and (a ^ b).bit_count() <= radius]
        if found:
            left, right, dist = (np.array(c, dtype=np.int64) for c in zip(*found))
            yield PairBlock(left, right, dist)
'''


def pip_install_target(package: Path, target: Path) -> Path:
    """Install the package folder ``package`` into ``target`` with pip (no network, no deps)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(package),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return target


def install_plugin(tmp_path: Path) -> Path:
    src = tmp_path / "plugin-src"
    (src / "neardup_testindex").mkdir(parents=True)
    (src / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    (src / "neardup_testindex" / "__init__.py").write_text(textwrap.dedent(PLUGIN_MODULE))
    return pip_install_target(src, tmp_path / "site")


def test_third_party_backend_is_usable(
    run_cli: Any, cli: Any, tmp_path: Path, planted_folder: Path
) -> None:
    site = install_plugin(tmp_path)
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    res = run_cli(
        "scan",
        str(planted_folder / "copies"),
        str(planted_folder / "photos"),
        "--index",
        "testlinear",
        "--format",
        "json",
        env=env,
    )
    assert res.returncode == 0, res.stderr
    plugin_doc = json.loads(res.stdout)
    ref = cli(
        "scan",
        str(planted_folder / "copies"),
        str(planted_folder / "photos"),
        "--index",
        "brute",
        "--format",
        "json",
    )
    ref_doc = json.loads(ref.stdout)
    assert plugin_doc["groups"] == ref_doc["groups"]
    assert len(plugin_doc["groups"]) == 4
    # and without the package on the path, the name is unknown
    res = run_cli("scan", str(planted_folder), "--index", "testlinear")
    assert res.returncode == 2 and "unknown index 'testlinear'" in res.stderr
