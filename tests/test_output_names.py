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


@pytest.mark.parametrize("action", ["move", "trash"])
def test_delete_and_undo_json_with_an_undecodable_name(
    action: str, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    how = ["--move-to", str(tmp_path / "X")] if action == "move" else ["--trash"]
    out = neardup("delete", str(folder), *how, "--format", "json", "-q")
    assert out.returncode == 0, out.stderr
    run = json.loads(out.stdout.decode("utf-8"))["run"]
    assert run["summary"]["files_removed"] == 3
    assert any("path_bytes" in o for o in run["outcomes"])
    undo = neardup("undo", "--format", "json")
    assert undo.returncode == 0, undo.stderr
    assert json.loads(undo.stdout.decode("utf-8"))["summary"] == {"restored": 3}
    assert sorted(os.listdir(folder)) == sorted(["plain.jpg", *ODD.values()])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_reported_as_not_a_regular_file(folder: Path) -> None:
    fifo = folder / "pipe.jpg"
    os.mkfifo(fifo)
    out = neardup("scan", str(folder), "--format", "json", "-q")
    assert out.returncode == 0, out.stderr
    skipped = {s["path"]: s for s in json.loads(out.stdout)["skipped"]}
    assert skipped[str(fifo)]["reason"] == "not-a-file"
    assert skipped[str(fifo)]["detail"] == "not a regular file (a FIFO)"
    found = neardup("find", str(fifo), "--in", str(folder), "--format", "json")  # no blocking
    assert b"not a regular file (a FIFO)" in found.stdout + found.stderr, found
    assert b"Traceback" not in found.stderr


#: ``neardup ARGS`` with Pillow's decompression-bomb warning limit lowered to 1000 pixels,
#: so the small test images trigger the warning a 13000x13000 picture would.
LOW_PILLOW_LIMIT = """
import sys
from PIL import Image
Image.MAX_IMAGE_PIXELS = 1000
from neardup.cli import main
main(sys.argv[1:])
"""


def test_pillow_warnings_never_leak_raw(tmp_path: Path) -> None:
    small = photo_like(8, (400, 300)).resize((40, 40))  # 1600 pixels: over 1000, under 2000
    small.save(tmp_path / "a.png")
    small.save(tmp_path / "a.jpg", quality=80)
    for args in (("scan", str(tmp_path), "-q"), ("delete", "--dry-run", "-q")):
        out = subprocess.run(
            [sys.executable, "-c", LOW_PILLOW_LIMIT, *args], capture_output=True, timeout=300
        )
        err = out.stderr.decode("utf-8")
        assert out.returncode == 0, err
        assert "site-packages" not in err and "DecompressionBombWarning" not in err, err


def test_a_pillow_warning_becomes_one_neardup_line() -> None:
    code = (
        "import warnings; from PIL import Image; "
        "from neardup.cli.common import install_warning_printer; install_warning_printer(); "
        "[warnings.warn_explicit('Image size (9 pixels) exceeds limit\\n of 1 pixels', "
        "Image.DecompressionBombWarning, '/x/site-packages/PIL/Image.py', 3593) for _ in '12']"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert out.stderr.decode().splitlines() == [
        "neardup: warning: image library: Image size (9 pixels) exceeds limit of 1 pixels"
    ]
