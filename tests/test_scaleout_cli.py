"""``neardup scan --dask`` and fsspec URLs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from neardup.errors import UsageError
from neardup.pipeline.dask.cluster import parse_scheduler
from tests.conftest import PLANTED_COPIES, expected_planted_groups


def test_parse_scheduler() -> None:
    assert parse_scheduler("local:3").workers == 3
    assert parse_scheduler("local").workers == (os.cpu_count() or 1)
    assert parse_scheduler("tcp://127.0.0.1:8786").address == "tcp://127.0.0.1:8786"
    assert parse_scheduler("scheduler:8786").address == "scheduler:8786"
    for bad in ("", "local:x", "local:0", "http://"):
        with pytest.raises(UsageError):
            parse_scheduler(bad)


def test_dask_missing_gives_install_hint(
    run_cli: Any, tmp_path: Path, planted_folder: Path
) -> None:
    # Shadow dask/distributed with modules that fail to import, as on a machine without the extra.
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    for name in ("dask", "distributed"):
        (blocker / f"{name}.py").write_text(
            f"raise ImportError('No module named {name}', name='{name}')\n"
        )
    env = {"PYTHONPATH": os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")])}
    res = run_cli("scan", str(planted_folder), "--dask", "local:2", env=env)
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'neardup[dask]'" in lines[0]
    assert "Traceback" not in res.stderr


def test_without_dask_flag_dask_is_never_imported(run_cli: Any, planted_folder: Path) -> None:
    code = (
        "import sys, neardup; neardup.scan([sys.argv[1]]); "
        "print(any(m == 'dask' or m.startswith(('dask.', 'distributed')) for m in sys.modules))"
    )
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code, str(planted_folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("extra", [(), ("--crop", "--invariant", "flip")])
def test_file_url_scan_equals_path_scan(
    cli: Any, planted_folder: Path, extra: tuple[str, ...]
) -> None:
    """A URL scan hashes, trims and makes views and alternates as a path scan does (from
    one decode of each fetched file), so both find the same groups."""
    pytest.importorskip("fsspec")
    found = []
    for target in (str(planted_folder), planted_folder.as_uri()):
        res = cli("scan", target, "--format", "json", "--no-save", *extra)
        assert res.returncode == 0, res.stderr
        doc = json.loads(res.stdout)
        members = [[m["path"].removeprefix("file://") for m in g["members"]] for g in doc["groups"]]
        found.append({frozenset(m) for m in members})
    assert found[0] == found[1]
    if not extra:
        assert found[1] == expected_planted_groups(planted_folder)


def test_memory_url_scan(photo_paths: list[Path], tmp_path: Path) -> None:
    fsspec = pytest.importorskip("fsspec")
    import neardup
    from tests.imaging import make_variant

    fs = fsspec.filesystem("memory")
    root = "/neardup-test-library"
    copy = make_variant(photo_paths[3], tmp_path, "resize50")
    for src in [*photo_paths[:10], copy]:
        fs.pipe(f"{root}/{src.name}", src.read_bytes())
    fs.pipe(f"{root}/notes.txt", b"not an image")
    fs.pipe(f"{root}/broken.jpg", b"\xff\xd8\xff garbage")
    try:
        result = neardup.scan([f"memory://{root}"])
    finally:
        fs.rm(root, recursive=True)
    assert len(result.records) == 11
    assert [s.reason for s in result.skipped] == ["not-an-image"]
    assert result.ignored == 1
    (group,) = result.groups
    assert {result.records[m].path for m in group.members} == {
        f"memory://{root}/{photo_paths[3].name}",
        f"memory://{root}/{copy.name}",
    }


@pytest.mark.slow
def test_local_cluster_scan_equals_local_scan(
    run_cli: Any, planted_folder: Path, photo_paths: list[Path]
) -> None:
    pytest.importorskip("distributed")
    local = run_cli("scan", str(planted_folder), "--format", "json", "--no-save")
    assert local.returncode == 0, local.stderr
    dist = run_cli(
        "scan",
        str(planted_folder),
        "--format",
        "json",
        "--dask",
        "local:2",
        "--no-save",
        timeout=600,
    )
    assert dist.returncode == 0, dist.stderr
    a, b = json.loads(local.stdout), json.loads(dist.stdout)
    assert a["groups"] == b["groups"]
    assert (
        a["summary"]["images_hashed"]
        == b["summary"]["images_hashed"]
        == (len(photo_paths) + PLANTED_COPIES)
    )
    assert "dashboard" in dist.stderr
