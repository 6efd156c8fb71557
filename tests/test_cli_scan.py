"""End-to-end tests of ``neardup scan`` through the console entry point (``main``, in this
process; one test runs ``python -m neardup`` for real)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ODD, PHOTOS, PLANTED_COPIES, expected_planted_groups


def groups_of(doc: dict[str, Any]) -> set[frozenset[str]]:
    return {frozenset(m["path"] for m in g["members"]) for g in doc["groups"]}


def test_planted_copies_are_exactly_the_groups(
    cli: Any, planted_folder: Path, photo_paths: list[Path]
) -> None:
    res = cli("scan", str(planted_folder), "--index", "bktree", "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)  # stdout holds the JSON document and nothing else
    assert doc["schema_version"] == 1
    assert groups_of(doc) == expected_planted_groups(planted_folder)
    s = doc["summary"]
    assert s["images_hashed"] == len(photo_paths) + PLANTED_COPIES and s["skipped"] == 0
    assert s["groups"] == 4 and s["duplicates"] == PLANTED_COPIES == 6
    for g in doc["groups"]:
        keeper = g["members"][0]
        assert keeper["keeper"] and keeper["path"] == g["keeper"]
        assert keeper["distance_to_keeper"] == 0
        # the proposed keeper has the most pixels
        assert keeper["width"] * keeper["height"] == max(
            m["width"] * m["height"] for m in g["members"]
        )
        assert all(m["within_threshold"] for m in g["members"])
        assert g["max_distance"] <= 10


def test_photos_alone_have_no_groups(cli: Any, photo_paths: list[Path]) -> None:
    res = cli("scan", str(PHOTOS), "--format", "json", "-t", "10", "--no-cache")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["groups"] == [] and doc["summary"]["images_hashed"] == len(photo_paths)


def test_brute_and_bktree_agree(cli: Any, planted_folder: Path) -> None:
    docs = []
    for name in ("brute", "bktree"):
        res = cli("scan", str(planted_folder), "--index", name, "-f", "json", "-t", "14")
        assert res.returncode == 0, res.stderr
        docs.append(json.loads(res.stdout))
    assert groups_of(docs[0]) == groups_of(docs[1])
    assert [g["members"] for g in docs[0]["groups"]] == [g["members"] for g in docs[1]["groups"]]


def test_odd_corpus_scan_completes_and_counts_skips(cli: Any, tmp_path: Path) -> None:
    odd = tmp_path / "odd"
    shutil.copytree(ODD, odd)
    res = cli("scan", str(odd), "--format", "json", "--verbose")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    manifest = list(csv.DictReader((odd / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"))
    must_error = {str(odd / r["file"]) for r in manifest if r["expected"] == "must_error_cleanly"}
    skipped = {s["path"] for s in doc["skipped"]}
    assert must_error <= skipped
    assert all(s["reason"] and s["detail"] for s in doc["skipped"])
    assert doc["summary"]["skipped"] == len(doc["skipped"])
    assert "Traceback" not in res.stderr
    assert "skipped" in res.stderr  # the verbose listing and the summary go to stderr


def test_table_and_csv_output(cli: Any, planted_folder: Path, tmp_path: Path) -> None:
    res = cli("scan", str(planted_folder))
    assert res.returncode == 0, res.stderr
    assert "keep" in res.stdout and "4 groups" in res.stdout
    out = tmp_path / "groups.csv"
    res = cli("scan", str(planted_folder), "--format", "csv", "--output", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 10 and {r["group"] for r in rows} == {"1", "2", "3", "4"}


def test_fail_on_duplicates_exit_code(cli: Any, planted_folder: Path) -> None:
    assert cli("scan", str(planted_folder), "-q", "--fail-on-duplicates").returncode == 3
    assert cli("scan", str(PHOTOS), "-q", "--fail-on-duplicates").returncode == 0


def test_scan_saves_last_scan(
    cli: Any, planted_folder: Path, neardup_home: Path, photo_paths: list[Path]
) -> None:
    from neardup.catalog import load_last_scan

    res = cli("scan", str(planted_folder), "-q", env={"NEARDUP_HOME": str(neardup_home)})
    assert res.returncode == 0, res.stderr
    last = load_last_scan()
    assert len(last.groups) == 4 and len(last.records) == len(photo_paths) + PLANTED_COPIES


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["scan", "/no/such/folder"], 2, "no such file or folder"),
        (["scan", ".", "--index", "nosuch"], 2, "installed: "),
        (["scan", ".", "--hash", "md5"], 2, "unknown hash"),
        (["scan", ".", "--hash-size", "12"], 2, "hash size"),
        (["scan", ".", "--index-opt", "oops"], 2, "key=value"),
        (["scan", ".", "--index", "brute", "--index-opt", "nope=1"], 2, "no option 'nope'"),
        (["scan", ".", "-t", "99"], 2, "threshold"),
    ],
)
def test_bad_input_is_one_line_error(
    cli: Any, tmp_path: Path, args: list[str], code: int, needle: str
) -> None:
    res = cli(*args)
    assert res.returncode == code
    assert needle in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) <= 2  # the error, and at most a hint


def test_console_script_is_installed_and_runs() -> None:
    """The ``neardup`` command itself (pip's console script), in a real process."""
    from importlib.metadata import entry_points

    from neardup import __version__

    assert [ep.value for ep in entry_points(group="console_scripts", name="neardup")] == [
        "neardup.cli:main"
    ]
    bindir = Path(sys.executable).parent
    script = shutil.which("neardup", path=str(bindir))
    assert script, f"no neardup console script in {bindir}: pip install -e '.[test]'"
    res = subprocess.run(
        [script, "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"neardup {__version__}"
    missing = subprocess.run(
        [script, "scan", "/no/such/folder"], capture_output=True, text=True, timeout=120
    )
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr


def test_version_and_help(run_cli: Any, cli: Any) -> None:
    from neardup import __version__

    res = run_cli("--version")  # the ``python -m neardup`` entry point, for real
    assert res.returncode == 0 and res.stdout.strip() == f"neardup {__version__}"
    top = cli("--help")
    assert top.returncode == 0 and "scan" in top.stdout
    import typer.main

    from neardup.cli import app

    group = typer.main.get_group(app)
    for name, command in group.commands.items():
        res = cli(name, "--help")
        assert res.returncode == 0, name
        assert command.help, f"{name} has no help text"
        for param in command.params:
            if getattr(param, "help", None) is None and param.param_type_name == "option":
                pytest.fail(f"{name} {param.name} has no help text")
