"""Output never breaks on odd file names: JSON stays valid UTF-8, terminals see escapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.imaging import photo_like

ODD = {
    "undecodable": os.fsdecode(b"caf\xe9.jpg"),
    "escape": "evil\x1b[2J.jpg",
    "newline": "two\nlines.jpg",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """One picture under three odd names (exact copies: one group) and a plain original."""
    root = tmp_path / "odd"
    root.mkdir()
    img = photo_like(7, (160, 120))
    img.save(root / "plain.jpg", quality=95)
    for name in ODD.values():
        img.save(root / name, quality=60)
    return root


def neardup(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI and keep its output as bytes, to check the encoding itself."""
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "neardup", *args], capture_output=True, env=env, timeout=300
    )


def test_scan_json_is_valid_utf8_with_the_exact_bytes(folder: Path) -> None:
    out = neardup("scan", str(folder), "--format", "json", "-q")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout.decode("utf-8"))  # strict: any invalid byte fails
    members = [m for g in doc["groups"] for m in g["members"]]
    odd = [m for m in members if "path_bytes" in m]
    assert len(odd) == 1
    assert bytes.fromhex(odd[0]["path_bytes"]) == os.fsencode(folder / ODD["undecodable"])
    assert odd[0]["path"].endswith("caf\\xe9.jpg")
    assert {m["path"] for m in members} >= {
        str(folder / ODD["escape"]),
        str(folder / ODD["newline"]),
    }


def test_tables_show_control_characters_escaped(folder: Path) -> None:
    for args in (("scan", str(folder)), ("delete", "--dry-run")):
        out = neardup(*args)
        assert out.returncode == 0, out.stderr
        text = out.stdout.decode("utf-8")
        assert "\x1b" not in text and "evil\\x1b[2J.jpg" in text
        assert "two\\nlines.jpg" in text and "caf\\xe9.jpg" in text


def test_delete_and_undo_json_with_an_undecodable_name(folder: Path, tmp_path: Path) -> None:
    out = neardup("delete", str(folder), "--move-to", str(tmp_path / "X"), "--format", "json", "-q")
    assert out.returncode == 0, out.stderr
    run = json.loads(out.stdout.decode("utf-8"))["run"]
    assert run["summary"]["files_removed"] == 3
    assert any("path_bytes" in o for o in run["outcomes"])
    undo = neardup("undo", "--format", "json")
    assert undo.returncode == 0, undo.stderr
    assert json.loads(undo.stdout.decode("utf-8"))["summary"] == {"restored": 3}
    assert sorted(os.listdir(folder)) == sorted(["plain.jpg", *ODD.values()])
