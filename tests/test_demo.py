"""``neardup demo``: the sample library, its planted copies, and what the scan finds."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from neardup.errors import UsageError
from neardup.report.visual import map_available
from neardup.tools.demo import MARKER, REPORT_FOLDER, SAMPLES, build_library, run_demo
from tests.conftest import ROOT

#: What the default scan finds in the demo library: astronaut, chelsea and coffee with their
#: copies; the mirrored copies (coffee's second, rocket's only one) are not near-duplicates
#: to pHash, so rocket's planted group is not found.
EXPECTED_GROUPS = 3


def _normalise(text: str) -> list[str]:
    """Output lines with sizes and timings blanked (they vary with the JPEG encoder build)."""
    text = re.sub(r"\d+(\.\d+)? (B|KiB|MiB)\b", "N KiB", text)
    text = re.sub(r" in \d+\.\d s$", " in T s", text, flags=re.M)
    return [line.rstrip() for line in text.splitlines()]


def test_demo_prints_the_exact_group_count(run_cli, neardup_home: Path) -> None:
    # a real process: the console reads its width from COLUMNS when it is created
    proc = run_cli("demo", env={"NO_COLOR": "1", "COLUMNS": "100"})
    assert proc.returncode == 0, proc.stderr
    assert (
        f"Found {EXPECTED_GROUPS} groups of near-duplicates "
        f"({EXPECTED_GROUPS} of 4 planted groups, 5 of 7 planted copies)."
    ) in proc.stdout
    assert "not found: edited/rocket-mirrored.jpg (mirrored, 32 bits from" in proc.stdout
    assert "dry run, nothing changed; plan: remove 5 files" in proc.stdout
    page = re.search(r"Review page \(it stays when the library is removed\): (\S+)", proc.stdout)
    assert page is not None and Path(page.group(1)).is_relative_to(neardup_home)
    assert Path(page.group(1)).is_file()
    # The temporary library is gone and the user's last scan was not replaced.
    library = re.search(r"Sample library: (\S+)", proc.stdout)
    assert library is not None
    assert not Path(library.group(1)).exists()
    assert not (neardup_home / "data").exists() and not (neardup_home / "state").exists()
    # The README's example is an excerpt of this very output.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"`neardup demo` \(excerpt\):\n\n```text\n(.*?)\n```", readme, re.S)
    assert example is not None
    excerpt, output = _normalise(example.group(1)), _normalise(proc.stdout)
    start = output.index(excerpt[0])
    assert output[start : start + len(excerpt)] == excerpt


def test_groups_are_exactly_the_planted_ones(tmp_path: Path) -> None:
    outcome = run_demo(tmp_path / "lib")
    lib, result = outcome.library, outcome.result
    found = {
        frozenset(Path(result.records[m].path).relative_to(lib.root).as_posix() for m in g.members)
        for g in result.groups
    }
    assert found == {
        frozenset({"photos/astronaut.jpg", "backup/astronaut-q35.jpg", "web/astronaut-half.png"}),
        frozenset(
            {"photos/chelsea.jpg", "phone/chelsea-sideways.jpg", "shared/chelsea-watermarked.jpg"}
        ),
        frozenset({"photos/coffee.jpg", "web/coffee-thumb.jpg"}),
    }
    assert len(result.groups) == outcome.found_groups == EXPECTED_GROUPS
    assert outcome.unexpected_groups == 0
    assert {c.path for c in outcome.missed} == {c.path for c in lib.copies if not c.findable}
    # delete's own plan keeps every original photo and removes exactly the found copies.
    plan = outcome.plan()
    kept = {Path(g.keeper.path).relative_to(lib.root).as_posix() for g in plan.groups}
    assert kept == {"photos/astronaut.jpg", "photos/chelsea.jpg", "photos/coffee.jpg"}
    removed = {Path(i.path).relative_to(lib.root).as_posix() for _, i in plan.removals}
    assert removed == {c.path for c in outcome.found}


def test_exif_rotated_copy_is_stored_sideways(tmp_path: Path) -> None:
    lib = build_library(tmp_path / "lib")
    with Image.open(lib.root / "phone/chelsea-sideways.jpg") as sideways:
        assert sideways.getexif()[0x0112] == 6
        stored = sideways.size
    with Image.open(lib.root / "photos/chelsea.jpg") as original:
        assert stored == (original.height, original.width)


def test_output_dir_is_kept_and_rebuilt_but_foreign_folders_are_refused(
    cli, tmp_path: Path, neardup_home: Path
) -> None:
    out = tmp_path / "demo"
    build_library(out)
    (out / "photos" / "extra.jpg").write_bytes(b"left over")
    proc = cli("demo", "--output", str(out), "--quiet", "--no-report")  # rebuilds it
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"Found {EXPECTED_GROUPS} groups")
    assert (out / MARKER).is_file()
    assert sorted(p.name for p in (out / "photos").iterdir()) == sorted(SAMPLES)
    # No catalog, scan history or last scan: the demo leaves neardup's own state alone.
    assert list(neardup_home.rglob("*")) == []

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "precious.jpg").write_bytes(b"x")
    proc = cli("demo", "--output", str(foreign))
    assert proc.returncode == 2
    assert proc.stderr.startswith("neardup: error: ")
    assert "Traceback" not in proc.stderr
    assert (foreign / "precious.jpg").read_bytes() == b"x"
    with pytest.raises(UsageError):
        build_library(foreign)


def test_demo_json(cli, tmp_path: Path) -> None:
    proc = cli("demo", "--format", "json", "--output", str(tmp_path / "lib"))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["found_groups"] == EXPECTED_GROUPS
    assert doc["planted_groups"] == 4
    # show's review page (thumbnails embedded) lists the groups; hidden from later scans.
    report = Path(doc["report"])
    assert report.parent == tmp_path / "lib" / REPORT_FOLDER
    assert report.read_text(encoding="utf-8").count('<section class="group"') == EXPECTED_GROUPS
    assert (doc["map"] is not None) == map_available()
    if doc["map"]:
        with Image.open(doc["map"]) as im:
            assert im.width > 100 and im.height > 100
    assert doc["scan"]["summary"]["groups"] == EXPECTED_GROUPS
    assert [p["path"] for p in doc["planted"] if not p["found"]] == [
        "edited/coffee-mirrored.jpg",
        "edited/rocket-mirrored.jpg",
    ]
    assert doc["plan"]["summary"]["remove"] == 5
    assert doc["plan"]["summary"]["groups"] == EXPECTED_GROUPS
    # The plan the demo prints is exactly what 'neardup delete --dry-run' makes of the library.
    dry = cli("delete", "--dry-run", "--format", "json", str(tmp_path / "lib"))
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["groups"] == doc["plan"]["groups"]


def _build_wheel(dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(dest)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = dest.glob("neardup-*.whl")
    return wheel


def test_wheel_ships_the_samples_small_and_with_provenance(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        samples = {
            Path(i.filename).name: i.file_size
            for i in zf.infolist()
            if i.filename.startswith("neardup/tools/samples/")
        }
    assert set(SAMPLES) <= set(samples)
    assert "PROVENANCE.md" in samples
    assert sum(samples.values()) <= 2 * 1024 * 1024


@pytest.mark.slow
def test_fresh_venv_install_runs_the_demo_offline(tmp_path: Path) -> None:
    """``pip install .`` into a new virtual environment, then ``neardup demo`` (no network)."""
    wheel = _build_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = next(venv.glob("lib/python3*/site-packages"), None) or venv / "Lib" / "site-packages"
    # The wheel is unpacked into the new environment; its dependencies come from this one
    # (added to sys.path, without this environment's editable neardup).
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(purelib)
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (purelib / "deps.pth").write_text("\n".join(deps) + "\n")
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    env = {"PATH": str(python.parent), "NO_COLOR": "1", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [str(python), "-c", "import neardup; print(neardup.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert proc.stdout.startswith(str(purelib))
    proc = subprocess.run(
        [str(python), "-m", "neardup", "demo"],
        capture_output=True,
        text=True,
        env={**env, "NEARDUP_HOME": str(tmp_path / "home")},
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"Found {EXPECTED_GROUPS} groups of near-duplicates" in proc.stdout
