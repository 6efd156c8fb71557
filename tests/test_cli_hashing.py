"""The hashing options of ``neardup scan`` (--jobs, --compat, --max-pixels) end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import imagehash
import pytest
from PIL import Image

from neardup.api import scan
from neardup.hashing.core import hash_file
from neardup.model import HashSpec, ImageRecord, ScanOptions, ScanSettings
from neardup.tools.bench_hashing import (
    format_agreement,
    format_speed,
    make_large_jpegs,
    measure_agreement,
    measure_speed,
)


def test_compat_scan_prints_imagehash_hashes_and_records_the_mode(
    cli: Any, photo_paths: list[Path], tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for p in photo_paths[:6]:
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "copy.jpg").write_bytes(photo_paths[0].read_bytes())
    res = cli("scan", str(folder), "--compat", "--jobs", "1", "-f", "json", "-t", "0")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["settings"]["hash_mode"] == "compat"
    assert "\x1b" not in res.stderr and "files/s" not in res.stderr  # no bar into a pipe
    [group] = doc["groups"]
    for member in group["members"]:
        with Image.open(member["path"]) as im:
            assert member["hash"] == str(imagehash.phash(im))
    saved = ScanSettings.from_dict(doc["settings"])
    assert saved.hash_mode == "compat" and saved.max_pixels == doc["settings"]["max_pixels"]


def test_max_pixels_and_bad_jobs_on_the_command_line(
    cli: Any, photo_paths: list[Path], tmp_path: Path
) -> None:
    limit = 120_000
    pixels = {}
    for p in photo_paths[:8]:
        (tmp_path / p.name).write_bytes(p.read_bytes())
        with Image.open(p) as im:
            pixels[str(tmp_path / p.name)] = im.width * im.height
    res = cli("scan", str(tmp_path), "--max-pixels", str(limit), "-f", "json", "-q")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    too_large = {s["path"] for s in doc["skipped"] if s["reason"] == "too-large"}
    assert too_large == {p for p, n in pixels.items() if n > limit}
    assert too_large and doc["summary"]["images_hashed"] == 8 - len(too_large) > 0
    assert doc["settings"]["hash_mode"] == "fast" and doc["settings"]["max_pixels"] == limit
    res = cli("scan", str(tmp_path), "--jobs", "-1")
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_old_documents_without_hash_mode_read_as_compat() -> None:
    settings = ScanSettings.from_dict(
        {"paths": ["/x"], "hash": "phash", "hash_size": 8, "threshold": 10, "index": "brute"}
    )
    assert settings.hash_mode == "compat"
    assert ScanOptions().settings(["/x"]).to_dict()["hash_mode"] == "fast"


def test_benchmark_helpers_measure_real_files(photo_paths: list[Path], tmp_path: Path) -> None:
    files = make_large_jpegs(photo_paths[:2], tmp_path / "big", 3, size=(800, 600))
    assert [f.name for f in files] == ["large_0000.jpg", "large_0001.jpg", "large_0002.jpg"]
    with Image.open(files[2]) as im:
        assert im.size == (800, 600)
    report = measure_speed(files, jobs=[1, 2], repeat=1, compat=False)
    assert set(report.single) == {"imagehash", "fast"} and set(report.batches) == {1, 2}
    assert all(r.per_second > 0 and r.images == 3 for r in report.single.values())
    assert report.single["fast"].per_cpu_second > 0 and len(report.scaling[2]) == 1
    text = format_speed(report)
    assert "imagehash.phash" in text and "vs 1 job" in text
    agreement = measure_agreement(photo_paths[:3], algorithms=("phash", "ahash"))
    assert agreement.files == 3 and sum(agreement.distances["phash"].values()) == 3
    table = format_agreement(agreement, "photos")
    assert "| phash |" in table and "| ahash |" in table


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_is_drawn_on_a_terminal(photo_paths: list[Path], tmp_path: Path) -> None:
    import pty

    for p in photo_paths:
        (tmp_path / p.name).write_bytes(p.read_bytes())
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "neardup", "scan", str(tmp_path), "--no-save", "-j", "1"],
        stdout=follower,
        stderr=follower,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is gone
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=120) == 0
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "hashing" in text and "files/s" in text


def test_rehashing_with_a_scans_spec_reproduces_its_hashes(photo_paths: list[Path]) -> None:
    """Checks made after a scan (delete's "unchanged since the scan") hash the same way."""
    # a photo on which the two modes differ, so that using the wrong one would show
    brick = next(
        p
        for p in photo_paths
        if hash_file(p, HashSpec(compat=True)).hash != hash_file(p).hash  # type: ignore[union-attr]
    )
    for compat in (False, True):
        result = scan([brick], jobs=1, compat=compat)
        spec = ScanSettings.from_dict(result.settings.to_dict()).spec
        assert spec.compat is compat
        again = hash_file(brick, spec)
        assert isinstance(again, ImageRecord) and again.hash == result.records[0].hash
    assert hash_file(brick, HashSpec(compat=True)).hash != hash_file(brick).hash  # type: ignore[union-attr]
