"""``neardup delete``, ``undo`` and ``history`` end to end on real files: through ``main`` in
this process, and in real processes where killing, interrupting or a terminal is the point."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.deletion import lower_resolution_copies, make_small_library, slow_cli, snapshot


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_library(tmp_path_factory.mktemp("cli-template") / "lib")


@pytest.fixture
def library(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "lib"))


@pytest.fixture(autouse=True)
def private_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Subprocesses inherit this: the user's own trash is never used."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return tmp_path / "xdg-data"


def test_dry_run_changes_nothing_and_prints_the_plan(library: Path, cli) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(library)
    assert cli("scan", str(library), "-q")[0] == 0
    code, out, err = cli("delete", "--dry-run", "--keep", "highest-resolution", "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    removed = {f["path"] for g in plan["groups"] for f in g["files"] if f["decision"] == "remove"}
    assert removed == lower_resolution_copies(library)
    assert plan["summary"]["bytes_reclaimed"] == sum(os.path.getsize(p) for p in removed)
    assert all(f["reason"] == "duplicate" for g in plan["groups"] for f in g["files"][1:])
    code, out, _ = cli("delete", "--dry-run")
    assert code == 0 and "dry run, nothing changed" in out
    assert "remove" in out and "duplicate" in out
    assert snapshot(library) == before
    assert not (Path(os.environ["NEARDUP_HOME"]) / "state" / "journal").exists()


def test_move_to_keeps_highest_resolution_and_undo_restores(  # type: ignore[no-untyped-def]
    library: Path, tmp_path: Path, cli
) -> None:
    before = snapshot(library)
    expected = lower_resolution_copies(library)
    target = tmp_path / "X"
    code, out, err = cli(
        "delete",
        str(library),
        "--move-to",
        str(target),
        "--keep",
        "highest-resolution",
        "--format",
        "json",
    )
    assert code == 0, err
    moved = {str(library / p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
    assert moved == expected
    assert all(not Path(p).exists() for p in expected)
    run = json.loads(out)["run"]
    assert run["summary"]["files_removed"] == len(expected)
    history = json.loads(cli("history", "--format", "json")[1])["runs"]
    assert [r["run_id"] for r in history] == [run["run_id"]]
    assert history[0]["status"] == "completed" and history[0]["done"] == len(expected)

    code, out, err = cli("undo")
    assert code == 0, err
    assert f"restored {len(expected)}" in out
    assert snapshot(library) == before
    assert json.loads(cli("history", "--format", "json")[1])["runs"][0]["undone"] == "full"


def test_reference_folder_is_never_touched(  # type: ignore[no-untyped-def]
    library: Path, tmp_path: Path, cli
) -> None:
    refs = snapshot(library / "copies")
    for rule in ("highest-resolution", "smallest", "first"):
        code, _, err = cli(
            "delete",
            str(library),
            "--reference",
            str(library / "copies"),
            "--keep",
            rule,
            "--move-to",
            str(tmp_path / rule),
            "-q",
        )
        assert code == 0, err
        assert snapshot(library / "copies") == refs
        assert (tmp_path / rule / "photos").is_dir()  # the originals of those groups went
        assert cli("undo", "-q")[0] == 0


def test_file_modified_between_scan_and_delete_is_skipped(  # type: ignore[no-untyped-def]
    library: Path, tmp_path: Path, cli
) -> None:
    assert cli("scan", str(library), "-q")[0] == 0
    changed = sorted(lower_resolution_copies(library))[0]
    with open(changed, "ab") as fh:
        fh.write(b"edited")
    code, out, err = cli("delete", "--move-to", str(tmp_path / "X"), "--format", "json")
    assert code == 0, err
    outcomes = {o["path"]: o for o in json.loads(out)["run"]["outcomes"]}
    assert outcomes[changed]["status"] == "skipped"
    assert outcomes[changed]["reason"] == "changed"
    assert "size changed" in outcomes[changed]["detail"]
    assert Path(changed).exists()
    assert sum(o["status"] == "done" for o in outcomes.values()) == len(outcomes) - 1
    assert cli("undo", "-q")[0] == 0
    code, out, _ = cli("delete", "--move-to", str(tmp_path / "Y"))
    assert code == 0 and "not removed" in out and "changed" in out


def test_permanent_without_yes_and_no_terminal_refuses(  # type: ignore[no-untyped-def]
    library: Path, cli
) -> None:
    before = snapshot(library)
    assert cli("scan", str(library), "-q")[0] == 0
    out = cli("delete", "--permanent", input="y\n")
    assert out.returncode != 0
    assert "--yes" in out.stderr and "nothing was changed" in out.stderr
    assert "Traceback" not in out.stderr
    assert snapshot(library) == before
    assert json.loads(cli("history", "--format", "json")[1])["runs"] == []
    copies = lower_resolution_copies(library)
    code, _, err = cli("delete", "--permanent", "--yes", "-q")
    assert code == 0, err
    assert not any(Path(p).exists() for p in copies)
    assert len(snapshot(library)) == len(before) - len(copies)


def test_trash_without_a_usable_trash_fails_clearly(  # type: ignore[no-untyped-def]
    library: Path, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker / "share"))
    before = snapshot(library)
    code, _, err = cli("delete", str(library), "-q")
    assert code == 1
    assert "no usable trash" in err and "--move-to" in err
    assert "Traceback" not in err
    assert snapshot(library) == before


def test_trash_is_the_default_and_undoable(  # type: ignore[no-untyped-def]
    library: Path, private_trash: Path, cli
) -> None:
    before = snapshot(library)
    code, out, err = cli("delete", str(library))
    assert code == 0, err
    assert "trashed 4 files" in out and "neardup undo" in out
    assert len(list((private_trash / "Trash" / "files").iterdir())) == 4
    assert cli("undo", "-q")[0] == 0
    assert snapshot(library) == before


def test_usage_errors(library: Path, cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("delete", str(library), "--trash", "--permanent")
    assert code == 2 and "choose one action" in err
    code, _, err = cli("delete", str(library), "--keep", "prettiest", "--dry-run")
    assert code == 2 and "unknown keep rule" in err
    code, _, err = cli("undo")
    assert code == 1 and "no delete run" in err
    code, _, err = cli("delete", "--dry-run", "--format", "csv")
    assert code == 2 and "csv" in err


def test_sigkill_mid_run_then_undo_restores_every_moved_file(  # type: ignore[no-untyped-def]
    library: Path, tmp_path: Path, cli
) -> None:
    photo = sorted((library / "photos").iterdir())[1]
    for k in range(8):  # exact copies: one big group, many files to move
        shutil.copy2(photo, library / "copies" / f"copy{k}.jpg")
    before = snapshot(library)
    assert cli("scan", str(library), "-q")[0] == 0
    target = tmp_path / "X"
    # each action slowed down from the outside, so the kill lands mid-run
    proc = subprocess.Popen(
        slow_cli(0.25, "delete", "--move-to", str(target), "-q"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journal_dir = Path(os.environ["NEARDUP_HOME"]) / "state" / "journal"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            done = [
                line
                for j in journal_dir.glob("*.jsonl")
                for line in j.read_text(encoding="utf-8").splitlines()
                if '"type": "done"' in line
            ]
            if len(done) >= 3:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    moved = [p for p in target.rglob("*") if p.is_file()]
    missing = set(before) - set(snapshot(library))
    assert 3 <= len(moved) < 12 and len(missing) == len(moved)

    (journal,) = journal_dir.glob("*.jsonl")
    records = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    intents = {r["path"] for r in records if r["type"] == "intent"}
    assert {str(library / m) for m in missing} <= intents  # nothing moved unjournaled
    assert records[-1]["type"] != "end"

    history = json.loads(cli("history", "--format", "json")[1])["runs"]
    assert history[0]["status"] == "interrupted"
    code, out, err = cli("undo")
    assert code == 0, err + out
    assert snapshot(library) == before
    assert not target.exists()


def test_nothing_to_remove_records_no_run(library: Path, cli) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(library)
    code, out, err = cli("delete", str(library), "--reference", str(library))
    assert code == 0, err
    assert "nothing to remove" in out
    assert json.loads(cli("history", "--format", "json")[1])["runs"] == []
    assert snapshot(library) == before


def test_verify_stat_trusts_size_and_mtime(  # type: ignore[no-untyped-def]
    library: Path, tmp_path: Path, cli
) -> None:
    """Same size and mtime but other pixels: only --verify hash (the default) catches it."""
    assert cli("scan", str(library), "-q")[0] == 0
    victim = Path(sorted(lower_resolution_copies(library))[0])
    st = victim.stat()
    data = bytearray(victim.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # corrupt the middle of the scan
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    code, out, _ = cli("delete", "--move-to", str(tmp_path / "A"), "--format", "json")
    outcome = {o["path"]: o for o in json.loads(out)["run"]["outcomes"]}[str(victim)]
    assert code == 0 and outcome["status"] == "skipped" and victim.exists()
    assert cli("undo", "-q")[0] == 0
    code, out, _ = cli("delete", "--move-to", str(tmp_path / "B"), "--verify", "stat", "-f", "json")
    outcome = {o["path"]: o for o in json.loads(out)["run"]["outcomes"]}[str(victim)]
    assert code == 0 and outcome["status"] == "done" and not victim.exists()


def test_permanent_asks_on_a_terminal_stating_files_and_bytes(  # type: ignore[no-untyped-def]
    library: Path, cli
) -> None:
    pty = pytest.importorskip("pty")
    before = snapshot(library)
    assert cli("scan", str(library), "-q")[0] == 0
    copies = lower_resolution_copies(library)
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "neardup", "delete", "--permanent", "-q"],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(master, b"n\n")
        _out, err = proc.communicate(timeout=120)
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == 1
    assert f"Permanently delete {len(copies)} files (" in err and "KiB)?" in err
    assert "nothing deleted" in err
    assert snapshot(library) == before


@pytest.mark.slow
def test_ctrl_c_mid_run_exits_130_and_undo_restores(  # type: ignore[no-untyped-def]
    library: Path, tmp_path: Path, cli
) -> None:
    before = snapshot(library)
    assert cli("scan", str(library), "-q")[0] == 0
    proc = subprocess.Popen(
        slow_cli(0.5, "delete", "--move-to", str(tmp_path / "X"), "-q"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    journal_dir = Path(os.environ["NEARDUP_HOME"]) / "state" / "journal"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any('"type": "done"' in j.read_text(encoding="utf-8") for j in journal_dir.glob("*")):
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "neardup undo" in err and "Traceback" not in err
    history = json.loads(cli("history", "--format", "json")[1])["runs"]
    assert history[0]["status"] == "interrupted"
    assert cli("undo", "-q")[0] == 0
    assert snapshot(library) == before
