"""File-system edges of delete: a swapped root, a copy killed half-way, a full disk, and a
--move-to inside the scanned folder."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from neardup.actions import apply as applymod
from neardup.actions import apply_plan, plan_deletion
from neardup.actions.journal import find_run
from neardup.api import scan
from neardup.cli import main
from neardup.errors import UsageError
from tests.deletion import snapshot
from tests.imaging import photo_like


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two pictures, each with three lower-quality copies: six files to remove."""
    root = tmp_path_factory.mktemp("edges") / "lib"
    root.mkdir()
    for k in range(2):
        img = photo_like(300 + k, (160, 120))
        img.save(root / f"p{k}.jpg", quality=95)
        for q in (30, 50, 70):
            img.save(root / f"p{k}-q{q}.jpg", quality=q)
    return root


@pytest.fixture
def library(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "lib"))


@pytest.fixture(autouse=True)
def private_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.mark.parametrize("swap", ["symlink", "other-folder"])
def test_a_root_swapped_since_the_scan_is_not_acted_through(
    swap: str, library: Path, tmp_path: Path
) -> None:
    plan = plan_deletion(scan([library]))
    assert len(plan.removals) == 6
    elsewhere = tmp_path / "elsewhere"
    library.rename(elsewhere)
    if swap == "symlink":  # the same files, now reached through a link
        library.symlink_to(elsewhere, target_is_directory=True)
    else:  # an identical copy: same names, sizes and times, another folder
        shutil.copytree(elsewhere, library)
    before = snapshot(elsewhere)
    report = apply_plan(plan, "move", move_to=tmp_path / "X")
    assert not report.removed
    assert {o.reason for o in report.outcomes} == {"keeper-changed"}
    assert all("scanned folder" in o.detail for o in report.outcomes)
    assert snapshot(elsewhere) == before and not (tmp_path / "X").exists()


def test_move_to_inside_the_scanned_folder_is_refused(library: Path) -> None:
    before = snapshot(library)
    plan = plan_deletion(scan([library]))
    with pytest.raises(UsageError, match="inside the scanned folder"):
        apply_plan(plan, "move", move_to=library / "dupes")
    assert snapshot(library) == before


def test_a_full_disk_stops_the_run_at_once(
    library: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = applymod.move_no_clobber
    calls: list[str] = []

    def filling(src: str, dest: str, **kw: object) -> None:
        calls.append(src)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), dest)
        real(src, dest, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(applymod, "move_no_clobber", filling)
    with pytest.raises(SystemExit) as exc:
        main(["delete", str(library), "--move-to", str(tmp_path / "X"), "-q"])
    err = capsys.readouterr().err
    assert exc.value.code == 1 and len(calls) == 3  # two done, one failed, then no more
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "No space left on device" in lines[0], err
    assert "2 files were done before it, 4 not tried" in lines[0]
    run = find_run()
    assert run.status == "stopped" and len(run.done) == 2


#: ``neardup ARGS`` where every move crosses file systems and the process is killed
#: (SIGKILL) half-way through writing the first copy.
KILLED_MID_COPY = """
import errno, os, shutil, signal, sys
import neardup.actions.fsops as fsops
real_link = os.link
def link(src, dst, *a, **k):
    if not os.path.basename(src).startswith("."):  # the move itself: another device
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    return real_link(src, dst, *a, **k)
def copy2(src, dst, **k):
    with open(src, "rb") as fh, open(dst, "wb") as out:
        out.write(fh.read()[:100])
        out.flush()
    os.kill(os.getpid(), signal.SIGKILL)
fsops.os.link = link
fsops.shutil.copy2 = copy2
from neardup.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("then", ["undo", "delete"])
def test_a_copy_killed_half_way_leaves_no_temporary_file(
    then: str, library: Path, tmp_path: Path
) -> None:
    before = snapshot(library)
    target = tmp_path / "X"
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_MID_COPY, "delete", str(library), "--move-to", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    (partial,) = [p for p in target.rglob("*") if p.is_file()]
    assert partial.name.endswith(".neardup-partial")
    intents = [
        json.loads(line)
        for line in Path(find_run().path).read_text(encoding="utf-8").splitlines()
        if '"intent"' in line
    ]
    assert intents[-1]["partial"] == str(partial)  # journaled before it was written
    args = ["undo", "-q"] if then == "undo" else ["delete", "--move-to", str(tmp_path / "Y"), "-q"]
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 0
    assert not partial.exists()
    if then == "undo":
        assert snapshot(library) == before
