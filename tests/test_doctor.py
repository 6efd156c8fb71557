"""``neardup doctor``: extras read from the installed metadata, smoke checks, folders."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest

from neardup.tools import doctor
from tests.conftest import ROOT


def test_json_lists_every_extra_of_pyproject_with_installed_flag(cli) -> None:
    proc = cli("doctor", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    extras = {e["name"]: e for e in doc["extras"]}
    assert set(extras) == set(declared), "reinstall neardup (pip install -e .) after editing extras"
    for e in extras.values():
        assert isinstance(e["installed"], bool)
        assert e["working"] in (True, False, None)
        assert (e["working"] is None) == (not e["installed"])
    # The test extra is what this very test run needs, so it is installed and working.
    assert extras["test"]["installed"] is True
    assert {"trash", "formats", "backends", "libraries", "locations"} <= set(doc)
    assert {b["name"] for b in doc["backends"]} >= {"brute", "bktree"}
    assert doc["libraries"]["Pillow"]


def _fake_dist(
    site: Path, name: str, extras: dict[str, list[str]], module: str | None = None
) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0"]
    for extra, reqs in extras.items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {r}; extra == "{extra}"' for r in reqs]
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    if module:
        (info / "top_level.txt").write_text(module + "\n")


def test_extras_come_from_metadata_and_are_smoke_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    _fake_dist(
        site,
        "fakeapp",
        {
            "fine": ["numpy>=1"],
            "absent": ["surely-not-installed-dist>=1", "numpy"],
            "broken": ["brokendep"],
            "all": ["fakeapp[fine,broken]"],
        },
    )
    _fake_dist(site, "brokendep", {}, module="brokendep_mod")
    (site / "brokendep_mod.py").write_text("raise RuntimeError('compiled for another CPU')\n")
    monkeypatch.syspath_prepend(str(site))

    declared = doctor.declared_extras("fakeapp")
    assert declared == {
        "absent": ("surely-not-installed-dist", "numpy"),
        "all": ("numpy", "brokendep"),
        "broken": ("brokendep",),
        "fine": ("numpy",),
    }
    status = {n: doctor._check_extra(n, reqs) for n, reqs in declared.items()}
    assert status["fine"].installed and status["fine"].working
    assert status["absent"].installed is False and status["absent"].working is None
    assert status["absent"].missing == ("surely-not-installed-dist",)
    assert status["broken"].installed is True and status["broken"].working is False
    assert "compiled for another CPU" in status["broken"].detail
    assert status["all"].working is False
    sys.modules.pop("brokendep_mod", None)


def test_locations_report_the_saved_scan_and_its_size(neardup_home: Path, tmp_path: Path) -> None:
    from PIL import Image

    from neardup.api import scan
    from neardup.catalog import save_last_scan

    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    saved = save_last_scan(scan([tmp_path]))  # the last scan lives in the hash catalog
    doc = doctor.diagnose().to_dict()
    folder = next(loc for loc in doc["locations"] if Path(loc["path"]) == saved.parent)
    assert folder["name"] == "data" and folder["exists"]
    entry = next(e for e in folder["entries"] if e["name"] == saved.name)
    assert entry["bytes"] == saved.stat().st_size > 0
    assert folder["bytes"] >= entry["bytes"]
    assert doc["home_override"] == str(neardup_home)


def test_table_and_csv() -> None:
    from typer.testing import CliRunner

    from neardup.cli import app

    runner = CliRunner()
    table = runner.invoke(app, ["doctor"], env={"NO_COLOR": "1"})
    assert table.exit_code in (0, 1)
    assert "optional extras" in table.stdout and "\x1b[" not in table.stdout
    csv_out = runner.invoke(app, ["doctor", "--format", "csv"]).stdout.splitlines()
    assert csv_out[0] == "section,name,ok,value,detail"
    assert any(line.startswith("backend,brute,True") for line in csv_out)


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="freedesktop trash only")
def test_trash_check_looks_without_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "data"
    home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    ok = doctor.check_trash()
    assert ok.available and "can be created" in ok.detail
    assert not (home / "Trash").exists()  # the check created nothing
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker / "share"))
    refused = doctor.check_trash()
    assert not refused.available and "--move-to" in refused.detail
