"""The plugin-author example in docs/ really installs, passes the contract, and scans."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.test_plugins import pip_install_target

EXAMPLE = ROOT / "docs" / "examples" / "neardup-example-index"


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = pip_install_target(EXAMPLE, tmp_path_factory.mktemp("example-site"))
    assert (target / "neardup_example_index" / "__init__.py").is_file()
    return target


def with_site(site: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def test_docs_show_the_example() -> None:
    doc = (ROOT / "docs" / "backends.md").read_text(encoding="utf-8")
    assert "examples/neardup-example-index" in doc
    module = (EXAMPLE / "src" / "neardup_example_index" / "__init__.py").read_text()
    assert "class PrefixIndex(BaseIndex)" in doc and "class PrefixIndex(BaseIndex)" in module
    assert 'prefix = "neardup_example_index:PrefixIndex"' in doc


def test_example_passes_the_contract(example_site: Path, tmp_path: Path) -> None:
    env = dict(os.environ, **with_site(example_site))
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(EXAMPLE / "tests"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert " passed" in res.stdout and "failed" not in res.stdout


def test_example_backend_is_listed_and_scans(
    example_site: Path, run_cli: Any, cli: Any, planted_folder: Path
) -> None:
    env = with_site(example_site)
    res = run_cli("backends", "--format", "json", env=env)
    assert res.returncode == 0, res.stderr
    info = {b["name"]: b for b in json.loads(res.stdout)["backends"]}["prefix"]
    assert info["distribution"] == "neardup-example-index"
    assert info["exact"] is True and info["viable"] is True
    assert [o["name"] for o in info["options"]] == ["pieces"]

    args = ["scan", str(planted_folder / "copies"), "--format", "json", "--no-save"]
    res = run_cli(*args, "--index", "prefix", "--index-opt", "pieces=12", env=env)
    assert res.returncode == 0, res.stderr
    ref = cli(*args, "--index", "brute")
    assert json.loads(res.stdout)["groups"] == json.loads(ref.stdout)["groups"]
    assert len(json.loads(res.stdout)["groups"]) == 2  # two photos have two copies each
    bad = run_cli(*args, "--index", "prefix", "--index-opt", "pieces=0", env=env)
    assert bad.returncode == 2
    assert "option 'pieces' must be >= 1" in bad.stderr
