"""apply_plan and undo_run on real files: verification, journal, every action, undo."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from neardup.actions import apply_plan, find_run, plan_deletion, undo_run
from neardup.actions.journal import journal_dir
from neardup.api import scan
from neardup.errors import ActionError, JournalError, TrashUnavailable, UsageError
from neardup.model import ScanResult
from tests.deletion import lower_resolution_copies, make_small_library, snapshot


@pytest.fixture(autouse=True)
def private_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the user's trash: XDG_DATA_HOME lives in the test's tmp_path."""
    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return data


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_library(tmp_path_factory.mktemp("template") / "lib")


@pytest.fixture(scope="module")
def template_scan(template: Path) -> ScanResult:
    return scan([template])


@pytest.fixture
def library(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "lib"))


@pytest.fixture
def scanned(template: Path, template_scan: ScanResult, library: Path) -> ScanResult:
    """The template's scan moved onto this test's copy (copytree keeps sizes and mtimes)."""
    old, new = str(template), str(library)
    return ScanResult(
        dataclasses.replace(template_scan.settings, paths=(new,)),
        [dataclasses.replace(r, path=new + r.path[len(old) :]) for r in template_scan.records],
        [],
        template_scan.groups,
    )


def test_move_then_undo_restores_the_tree_exactly(
    scanned: ScanResult, library: Path, tmp_path: Path
) -> None:
    before = snapshot(library)
    expected = lower_resolution_copies(library)
    plan = plan_deletion(scanned, keep="highest-resolution")
    target = tmp_path / "moved"
    report = apply_plan(plan, "move", move_to=target)
    assert {o.path for o in report.removed} == expected
    for o in report.removed:
        rel = Path(o.path).relative_to(library)
        assert o.destination == str(target / rel)
        assert (target / rel).is_file() and not Path(o.path).exists()
    assert report.bytes_reclaimed == plan.bytes_reclaimed
    undo = undo_run()
    assert undo.ok and undo.counts() == {"restored": len(report.removed)}
    assert snapshot(library) == before
    assert not target.exists()  # created by the run, removed again once empty


def test_trash_writes_a_freedesktop_trash_and_undoes(
    scanned: ScanResult, library: Path, private_trash: Path
) -> None:
    before = snapshot(library)
    report = apply_plan(plan_deletion(scanned), "trash")
    assert report.removed
    trash = private_trash / "Trash"
    for o in report.removed:
        assert o.destination is not None and Path(o.destination).parent == trash / "files"
        info = trash / "info" / (Path(o.destination).name + ".trashinfo")
        text = info.read_text(encoding="utf-8")
        assert text.startswith("[Trash Info]\n") and "DeletionDate=" in text
        assert f"Path={o.path}" in text.replace("%20", " ")
    undo_run(report.run_id)
    assert snapshot(library) == before
    assert list((trash / "files").iterdir()) == [] and list((trash / "info").iterdir()) == []


def test_no_usable_trash_fails_before_touching_anything(
    scanned: ScanResult, library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker / "share"))
    before = snapshot(library)
    plan = plan_deletion(scanned)
    with pytest.raises(TrashUnavailable) as err:
        apply_plan(plan, "trash")
    assert "--move-to" in (err.value.hint or "")
    assert snapshot(library) == before
    assert not journal_dir().exists() or not list(journal_dir().iterdir())


def test_hardlink_replaces_duplicates_and_undo_brings_them_back(
    scanned: ScanResult, library: Path
) -> None:
    before = snapshot(library)
    plan = plan_deletion(scanned, keep="highest-resolution")
    report = apply_plan(plan, "hardlink")
    assert len(report.removed) == len(plan.removals)
    for group, item in plan.removals:
        assert os.path.samefile(item.path, group.keeper.path)
    undo_run()
    assert snapshot(library) == before
    assert all(os.stat(p).st_nlink == 1 for p in lower_resolution_copies(library))


def test_hardlink_can_stash_into_a_folder(
    scanned: ScanResult, library: Path, tmp_path: Path
) -> None:
    before = snapshot(library)
    plan = plan_deletion(scanned, keep="highest-resolution")
    report = apply_plan(plan, "hardlink", move_to=tmp_path / "stash")
    assert {Path(o.destination or "").parent.name for o in report.removed} == {"copies"}
    undo_run()
    assert snapshot(library) == before


def test_file_modified_after_the_scan_is_skipped(scanned: ScanResult, library: Path) -> None:
    plan = plan_deletion(scanned, keep="highest-resolution")
    victim, touched, resized = (Path(i.path) for _, i in plan.removals[:3])
    with victim.open("ab") as fh:  # same pixels, more bytes
        fh.write(b"\0" * 16)
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    resized.unlink()
    report = apply_plan(plan, "move", move_to=library.parent / "moved")
    by_path = {o.path: o for o in report.outcomes}
    assert by_path[str(victim)].status == "skipped"
    assert by_path[str(victim)].reason == "changed" and "size" in by_path[str(victim)].detail
    assert (by_path[str(touched)].status, by_path[str(touched)].reason) == ("skipped", "changed")
    assert by_path[str(resized)].reason == "missing"
    assert victim.exists() and touched.exists()
    assert report.summary()["skipped"] == 3


def test_same_size_and_mtime_but_new_content_is_caught_by_the_hash(
    scanned: ScanResult, library: Path, tmp_path: Path
) -> None:
    plan = plan_deletion(scanned, keep="highest-resolution")
    _, item = plan.removals[0]
    path = Path(item.path)
    st = path.stat()
    other = sorted((library / "photos").iterdir())[-1].read_bytes()[: st.st_size]
    path.write_bytes(other.ljust(st.st_size, b"\0"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    report = apply_plan(plan, "move", move_to=tmp_path / "moved")
    outcome = next(o for o in report.outcomes if o.path == str(path))
    assert outcome.status == "skipped" and outcome.reason in {"changed", "unreadable"}
    assert path.exists()


def test_changed_keeper_protects_its_whole_group(
    scanned: ScanResult, library: Path, tmp_path: Path
) -> None:
    plan = plan_deletion(scanned, keep="highest-resolution")
    group = plan.groups[0]
    Path(group.keeper.path).unlink()
    report = apply_plan(plan, "move", move_to=tmp_path / "moved")
    for item in group.removals:
        o = next(o for o in report.outcomes if o.path == item.path)
        assert (o.status, o.reason) == ("skipped", "keeper-changed")
        assert Path(item.path).exists()


def test_folder_replaced_by_symlink_is_not_followed(
    scanned: ScanResult, library: Path, tmp_path: Path
) -> None:
    plan = plan_deletion(scanned, keep="highest-resolution")
    outside = tmp_path / "outside"
    (library / "copies").rename(outside)
    (library / "copies").symlink_to(outside, target_is_directory=True)
    report = apply_plan(plan, "move", move_to=tmp_path / "moved")
    assert report.removed == []
    assert {o.reason for o in report.outcomes} == {"symlink"}
    assert len(list(outside.iterdir())) == len(plan.removals)


def test_root_below_a_symlinked_folder_is_fine(library: Path, tmp_path: Path) -> None:
    """Like macOS's /var -> /private/var: only links below the scanned root are refused."""
    alias = tmp_path / "alias"
    alias.symlink_to(tmp_path, target_is_directory=True)
    link = alias / "lib"
    names = {Path(p).name for p in lower_resolution_copies(library)}
    plan = plan_deletion(scan([link]), keep="highest-resolution")
    report = apply_plan(plan, "move", move_to=tmp_path / "moved")
    assert report.outcomes and all(o.status == "done" for o in report.outcomes)
    assert {p.name for p in (tmp_path / "moved" / "copies").iterdir()} == names


def test_move_never_overwrites(scanned: ScanResult, library: Path, tmp_path: Path) -> None:
    plan = plan_deletion(scanned, keep="highest-resolution")
    target = tmp_path / "moved"
    _, item = plan.removals[0]
    dest = target / Path(item.path).relative_to(library)
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"precious")
    report = apply_plan(plan, "move", move_to=target)
    o = next(o for o in report.outcomes if o.path == item.path)
    assert (o.status, o.reason) == ("skipped", "destination-exists")
    assert dest.read_bytes() == b"precious" and Path(item.path).exists()


def test_undo_refuses_to_overwrite_and_retries_later(
    scanned: ScanResult, library: Path, tmp_path: Path
) -> None:
    plan = plan_deletion(scanned, keep="highest-resolution")
    report = apply_plan(plan, "move", move_to=tmp_path / "moved")
    squatter = Path(report.removed[0].path)
    squatter.write_bytes(b"new file")
    first = undo_run()
    assert not first.ok and first.counts()["conflict"] == 1
    assert squatter.read_bytes() == b"new file"
    squatter.unlink()
    second = undo_run(report.run_id)
    assert second.ok and second.counts() == {"restored": 1}
    assert set(map(str, (library / "copies").iterdir())) == {o.path for o in report.removed}
    assert find_run(report.run_id[:12]).undo_state == "full"
    with pytest.raises(JournalError, match="already been undone"):
        undo_run()


def test_undo_handles_intents_without_done_records(
    scanned: ScanResult, library: Path, tmp_path: Path
) -> None:
    """A crash after the action but before its ``done`` line: undo still restores."""
    before = snapshot(library)
    plan = plan_deletion(scanned, keep="highest-resolution")
    report = apply_plan(plan, "move", move_to=tmp_path / "moved")
    journal = Path(report.journal)
    kept = [
        line
        for line in journal.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["type"] not in ("done", "end")
    ]
    journal.write_text("\n".join(kept) + '\n{"type": "do', encoding="utf-8")  # torn last line
    run = find_run(report.run_id)
    assert run.status == "interrupted" and not run.done
    assert undo_run().counts() == {"restored": len(report.removed)}
    assert snapshot(library) == before


def test_permanent_delete_is_journaled_and_cannot_be_undone(
    scanned: ScanResult, library: Path
) -> None:
    plan = plan_deletion(scanned, keep="highest-resolution")
    report = apply_plan(plan, "permanent")
    assert all(not Path(o.path).exists() for o in report.removed)
    assert len(find_run(report.run_id).intents) == len(report.removed)
    undo = undo_run()
    assert not undo.ok and set(undo.counts()) == {"cannot-undo"}


def test_bad_action_arguments(scanned: ScanResult, library: Path, tmp_path: Path) -> None:
    plan = plan_deletion(scanned)
    with pytest.raises(UsageError):
        apply_plan(plan, "move")
    with pytest.raises(ValueError):
        apply_plan(plan, "shred")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        apply_plan(plan, "move", move_to=tmp_path / "file")


def test_hardlink_across_file_systems_is_refused(library: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(library).st_dev:
        pytest.skip("needs a second file system (/dev/shm)")
    with tempfile.TemporaryDirectory(dir=shm) as other:
        original = sorted((library / "photos").iterdir())[0]
        shutil.copy2(original, Path(other) / original.name)
        plan = plan_deletion(scan([library, other]), references=[other])
        assert plan.groups[0].keeper.path.startswith(other)
        before = snapshot(library)
        with pytest.raises(ActionError, match="different file systems"):
            apply_plan(plan, "hardlink")
        assert snapshot(library) == before


def test_ctrl_c_mid_run_then_rerun_and_undo_everything(
    scanned: ScanResult, library: Path, tmp_path: Path
) -> None:
    before = snapshot(library)
    plan = plan_deletion(scanned, keep="highest-resolution")
    target = tmp_path / "moved"

    def interrupt_after_two(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        apply_plan(plan, "move", move_to=target, progress=interrupt_after_two)
    first = find_run(None)
    assert first.status == "interrupted" and len(first.done) == 2

    rerun = apply_plan(plan, "move", move_to=target)  # the same (now stale) plan
    reasons = [o.reason for o in rerun.outcomes if o.status != "done"]
    assert reasons == ["missing", "missing"]
    assert len(rerun.removed) == len(plan.removals) - 2
    assert all(not os.path.exists(i.path) for _, i in plan.removals)

    assert undo_run().run_id == rerun.run_id
    assert undo_run().run_id == first.run_id
    assert snapshot(library) == before
