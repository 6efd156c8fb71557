"""Two deletes at once never leave a group without a copy: the lock, and the keeper
re-checked before every removal."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.actions.apply import _Runner, apply_plan
from neardup.actions.checks import Action
from neardup.actions.journal import JournalWriter
from neardup.actions.lock import exclusive
from neardup.actions.plan import Plan, PlanGroup, PlanItem
from neardup.api import scan
from neardup.catalog import save_last_scan
from neardup.errors import RunInProgress
from neardup.model import HashSpec, ImageRecord, ScanResult
from tests.imaging import photo_like


@pytest.fixture(autouse=True)
def private_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return tmp_path / "xdg-data"


def _library(root: Path, groups: int = 4) -> list[set[str]]:
    """``groups`` pictures, each as three copies of different sizes (JPEG quality)."""
    root.mkdir(parents=True)
    out = []
    for k in range(groups):
        img = photo_like(100 + k, (160, 120))
        members = set()
        for q in (40, 70, 95):
            p = root / f"g{k}-q{q}.jpg"
            img.save(p, quality=q)
            members.add(str(p))
        out.append(members)
    return out


def test_a_second_run_stops_while_the_lock_is_held(tmp_path: Path) -> None:
    with exclusive(), pytest.raises(RunInProgress, match="another neardup delete or undo"):
        apply_plan(Plan(HashSpec(), 10, ("first",), (), (str(tmp_path),)))
    apply_plan(Plan(HashSpec(), 10, ("first",), (), (str(tmp_path),)))  # free again


@pytest.mark.parametrize("trials", [3, pytest.param(20, marks=pytest.mark.slow)])
def test_two_deletes_with_opposite_rules_leave_every_group_a_copy(
    trials: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "template"
    groups = _library(template)
    result = scan([template])
    assert len(result.groups) == len(groups)
    stops = 0
    for trial in range(trials):
        lib = tmp_path / f"lib{trial}"
        shutil.copytree(template, lib)  # keeps sizes and mtimes: the scan stays valid
        old, new = str(template), str(lib)
        monkeypatch.setenv("NEARDUP_HOME", str(tmp_path / f"home{trial}"))
        save_last_scan(
            ScanResult(
                dataclasses.replace(result.settings, paths=(new,)),
                [dataclasses.replace(r, path=new + r.path[len(old) :]) for r in result.records],
                [],
                result.groups,
            )
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "neardup", "delete", "--keep", rule, "-q"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for rule in ("largest", "smallest")
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert "Traceback" not in err, err
            assert proc.returncode == 0 or "another neardup delete or undo" in err, err
            stops += proc.returncode != 0
        for members in groups:
            left = [m for m in members if os.path.exists(new + m[len(old) :])]
            assert left, f"trial {trial}: a group lost every copy"
    print(f"{trials} trials, {stops} runs stopped by the lock")


def _records(root: str, sizes: list[list[int]]) -> list[list[ImageRecord]]:
    out = []
    for g, group in enumerate(sizes):
        recs = []
        for m, size in enumerate(group):
            p = os.path.join(root, f"g{g}m{m}.bin")
            with open(p, "wb") as fh:
                fh.write(b"x" * size)
            st_ = os.lstat(p)
            recs.append(ImageRecord(p, 0, 1, 1, st_.st_size, st_.st_mtime_ns))
        out.append(recs)
    return out


def _plan(root: str, groups: list[list[ImageRecord]], keeper: int) -> Plan:
    plan = Plan(HashSpec(), 10, ("first",), (), (root,))
    for gid, recs in enumerate(groups, 1):
        keep = recs[keeper]
        items = [PlanItem(keep, "keep", "keeper", 0, False)] + [
            PlanItem(r, "remove", "duplicate", 0, False) for r in recs if r is not keep
        ]
        plan.groups.append(PlanGroup(gid, tuple(items)))
    return plan


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.lists(st.integers(1, 50), min_size=2, max_size=4), min_size=1, max_size=3),
    order=st.lists(st.booleans(), max_size=40),
    keepers=st.tuples(st.integers(0, 3), st.integers(0, 3)),
)
def test_any_interleaving_of_two_plans_keeps_a_copy_per_group(
    sizes: list[list[int]], order: list[bool], keepers: tuple[int, int]
) -> None:
    """Two plans with (usually) different keepers, stepped file by file in a random order
    without the lock: the keeper re-check alone leaves every group at least one file."""
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "lib")
        os.mkdir(root)
        groups = _records(root, sizes)
        plans = [_plan(root, groups, min(k, len(min(groups, key=len)) - 1)) for k in keepers]
        steps = [list(p.removals) for p in plans]
        with JournalWriter("a") as ja, JournalWriter("b") as jb:
            runners = [
                _Runner(p, Action.move, os.path.join(tmp, name), None, j, False)
                for p, name, j in zip(plans, ("A", "B"), (ja, jb), strict=True)
            ]
            seqs = [0, 0]
            picks = [int(b) for b in order] + [0] * len(steps[0]) + [1] * len(steps[1])
            for who in picks:
                if seqs[who] < len(steps[who]):
                    group, item = steps[who][seqs[who]]
                    runners[who].one(seqs[who], group, item)
                    seqs[who] += 1
        for recs in groups:
            assert any(os.path.exists(r.path) for r in recs)


def test_cli_says_another_run_holds_the_lock(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    lib = tmp_path / "lib"
    _library(lib, groups=1)
    assert run_cli("scan", str(lib), "-q").returncode == 0
    with exclusive():
        for args in (("delete", "-q"), ("undo",)):
            out = run_cli(*args)
            assert out.returncode == 1 and "Traceback" not in out.stderr
            assert "another neardup delete or undo is running (pid " in out.stderr
            assert len(out.stderr.strip().splitlines()) <= 2  # the message and its hint
    assert all(os.path.exists(p) for p in map(str, lib.iterdir()))
