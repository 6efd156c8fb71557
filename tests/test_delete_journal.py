"""A damaged journal affects only its own run: history lists every run, undo of the intact
runs restores byte-identical files, and the damaged run restores what it can read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from neardup.actions.journal import journal_dir, read_journal
from neardup.cli import main
from tests.deletion import snapshot
from tests.imaging import photo_like

RUNS = ("a", "b", "c")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three folders, each one picture with three lower-quality copies."""
    root = tmp_path_factory.mktemp("journal-template") / "lib"
    for k, name in enumerate(RUNS):
        (root / name).mkdir(parents=True)
        img = photo_like(200 + k, (160, 120))
        img.save(root / name / "orig.jpg", quality=95)
        for q in (30, 50, 70):
            img.save(root / name / f"copy{q}.jpg", quality=q)
    return root


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        assert "Traceback" not in out.err + out.out
        return code, out.out, out.err

    return run


def _three_runs(template: Path, tmp_path: Path, cli) -> tuple[Path, list[Path]]:  # type: ignore[no-untyped-def]
    lib = Path(shutil.copytree(template, tmp_path / "lib"))
    for name in RUNS:
        code, _, err = cli("delete", str(lib / name), "--move-to", str(tmp_path / f"X{name}"), "-q")
        assert code == 0, err
    journals = sorted(journal_dir().glob("*.jsonl"))
    assert len(journals) == 3
    return lib, journals


def _damage(journal: Path, how: str) -> str | None:
    """Damage ``journal``; returns the path of the file whose intent became unreadable."""
    lines = journal.read_bytes().split(b"\n")[:-1]
    if how == "torn":
        journal.write_bytes(b"\n".join(lines[:-1]) + b"\n" + lines[-1][: len(lines[-1]) // 2])
        return None
    k = next(i for i, line in enumerate(lines) if b'"type": "intent"' in line)
    victim = json.loads(lines[k])["path"]
    if how == "middle":
        cut = lines[k].index(b'"info"')
        lines[k] = lines[k][:cut]  # ends after "dest": the destination can still be read
    else:  # invalid bytes inside the line
        at = lines[k].index(b'"hash": "') + 9
        lines[k] = lines[k][:at] + b"\xff\xfe\x80" + lines[k][at:]
    journal.write_bytes(b"\n".join(lines) + b"\n")
    return str(victim)


@pytest.mark.parametrize("how", ["torn", "middle", "invalid-bytes"])
def test_damage_stays_in_its_own_run(  # type: ignore[no-untyped-def]
    how: str, template: Path, tmp_path: Path, cli
) -> None:
    before = snapshot(template)
    lib, journals = _three_runs(template, tmp_path, cli)
    newest = journals[-1]
    lost = _damage(newest, how)
    run_ids = [read_journal(j).run_id for j in journals]

    code, out, _ = cli("history", "--format", "json")
    rows = {r["run_id"]: r for r in json.loads(out)["runs"]}
    assert code == 0 and set(rows) == set(run_ids)
    if how == "torn":
        assert rows[run_ids[-1]]["torn_line"] and rows[run_ids[-1]]["status"] != "damaged"
    else:
        assert rows[run_ids[-1]]["status"] == "damaged"
        assert rows[run_ids[-1]]["unreadable_lines"]
    assert cli("history")[0] == 0

    if how == "torn":  # tolerated: the run is undone as usual
        assert cli("undo", "-q")[0] == 0
        assert snapshot(lib / "c") == {k[2:]: v for k, v in before.items() if k.startswith("c/")}
    else:  # plain undo passes over the damaged run to the newest intact one
        code, out, _ = cli("undo")
        assert code == 0 and run_ids[1] in out and "passed over damaged run" in out
    code, _, err = cli("undo", "-q")
    assert code == 0, err
    if how == "torn":
        code, _, err = cli("undo", "-q")
        assert code == 0, err
        assert snapshot(lib) == before
        return
    code, _, err = cli("undo", "-q")  # a and b undone; only the damaged run remains
    assert code == 1 and "no intact run is left to undo" in err
    assert snapshot(lib / "a") == {k[2:]: v for k, v in before.items() if k.startswith("a/")}
    assert snapshot(lib / "b") == {k[2:]: v for k, v in before.items() if k.startswith("b/")}

    code, out, err = cli("undo", run_ids[-1], "--format", "json")
    report = json.loads(out)
    assert code == 1  # not everything could be read: the user has work left
    assert report["summary"] == {"restored": 2}
    (unreadable,) = report["unreadable"]
    assert unreadable["path"] == lost and unreadable["dest"]
    assert Path(unreadable["dest"]).exists() and not Path(lost).exists()
    Path(unreadable["dest"]).rename(lost)  # finishing by hand, as the report says
    assert snapshot(lib) == before


def test_an_unreadable_journal_file_is_a_damaged_run(  # type: ignore[no-untyped-def]
    template: Path, tmp_path: Path, cli
) -> None:
    _lib, journals = _three_runs(template, tmp_path, cli)
    journals[0].write_bytes(b"\x00\xff garbage\n")
    code, out, _ = cli("history", "--format", "json")
    assert code == 0 and len(json.loads(out)["runs"]) == 3
    assert cli("undo", "-q")[0] == 0
