"""The test run stays away from the user's own state, and the check for that can fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from neardup.api import scan
from neardup.catalog import save_last_scan
from tests import isolation
from tests.conftest import PHOTOS, ROOT, _session


def test_snapshots_see_every_kind_of_change(tmp_path: Path) -> None:
    data, cache, absent = tmp_path / "data", tmp_path / "cache", tmp_path / "absent"
    (data / "sub").mkdir(parents=True)
    (data / "catalog.sqlite").write_bytes(b"x" * 10)
    (data / "sub" / "old.json").write_text("{}")
    (data / "touched").write_text("same size")
    cache.mkdir()
    before = isolation.snapshot([data, cache, absent])
    assert isolation.differences(before, isolation.snapshot([data, cache, absent])) == []

    (data / "catalog.sqlite").write_bytes(b"x" * 11)  # grown
    st = (data / "touched").stat()
    os.utime(data / "touched", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same size
    (data / "sub" / "old.json").unlink()
    (data / "sub" / "new.json").write_text("{}")
    cache.rmdir()
    absent.mkdir()
    after = isolation.snapshot([data, cache, absent])
    assert isolation.differences(before, after) == [
        f"{absent}: created",
        f"{cache}: removed",
        f"{data / 'catalog.sqlite'}: modified",
        f"{data / 'sub' / 'new.json'}: created",
        f"{data / 'sub' / 'old.json'}: removed",
        f"{data / 'touched'}: modified",
    ]


def test_the_session_runs_under_one_private_folder(neardup_home: Path) -> None:
    root = _session["root"]
    for name in isolation.PRIVATE_VARIABLES:
        if name != "NEARDUP_HOME":  # each test has its own, below pytest's temporary folder
            assert Path(os.environ[name]).is_relative_to(root), name
    assert os.environ["NEARDUP_HOME"] == str(neardup_home)
    # neardup's own folders, as platformdirs sees them now, are private too ...
    for location in isolation.user_locations():
        assert location.is_relative_to(root), location
    # ... and the user's real ones, recorded before the switch, are not.
    assert _session["locations"]
    for location in _session["locations"]:
        assert not location.is_relative_to(root), location


@pytest.fixture(scope="module")
def module_scan_home() -> str:
    """A module-scoped fixture runs outside any test's NEARDUP_HOME: where does it write?"""
    save_last_scan(scan([PHOTOS]))
    return os.environ["NEARDUP_HOME"]


def test_wider_scoped_fixtures_write_into_the_session_home(
    module_scan_home: str, neardup_home: Path
) -> None:
    assert Path(module_scan_home).is_relative_to(_session["root"])
    assert Path(module_scan_home) != neardup_home  # this test has its own home again
    assert list(Path(module_scan_home).rglob("catalog.sqlite"))


def test_a_run_that_changes_the_users_folders_fails(tmp_path: Path) -> None:
    """A run of this conftest whose test writes into the real neardup folder exits 1."""
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_configure, pytest_sessionfinish, pytest_unconfigure\n"
    )
    (tmp_path / "test_leak.py").write_text(
        "from tests.conftest import _session\n\n"
        "def test_leak():\n"
        "    real = _session['locations'][0]\n"
        "    real.mkdir(parents=True)\n"
        "    (real / 'catalog.sqlite').write_bytes(b'not yours')\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in isolation.PRIVATE_VARIABLES}
    env = {k: v for k, v in env.items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
         str(tmp_path), str(tmp_path / "test_leak.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert res.returncode == pytest.ExitCode.TESTS_FAILED, res.stdout + res.stderr
    assert "1 passed" in res.stdout  # the test itself passed: the check failed the run
    assert "the test run changed the user's own neardup folders:" in res.stdout
    real = home / ".local" / "share" / "neardup"
    assert f"{real}: created" in res.stdout
    assert (real / "catalog.sqlite").read_bytes() == b"not yours"
