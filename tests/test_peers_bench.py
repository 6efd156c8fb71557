"""benchmarks/peers.py end to end on a tiny generated folder: rounds, medians and ratios.

Timings are never asserted: only that every round ran, that the reported times are the
medians of the rounds and that the ratios are the medians of the rounds' ratios.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks import peers

SCRIPT = Path(peers.__file__)


def run_peers(*args: str) -> subprocess.CompletedProcess[str]:
    """In a process of its own: it makes itself the reaper of its orphaned descendants."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )


def test_repeat_reports_medians_of_rounds(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    args = ["--folder", str(folder), "--images", "6", "--min-mp", "0.01", "--max-mp", "0.02",
            "--tools", "neardup,neardup-fast", "--repeat", "3", "--no-warmup", "--gen-jobs", "1",
            "--format", "json"]  # fmt: skip
    done = run_peers(*args)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["repeat"] == 3
    by = {r["tool"]: r for r in report["results"]}
    default, rescan, plain = by[peers.ND_DEFAULT], by[peers.ND_RESCAN], by[peers.ND_FAST]
    for result in (default, rescan, plain):
        assert result["status"] == "ok", result["detail"]
        assert len(result["runs"]) == 3
        assert result["wall_s"] == statistics.median(r["wall_s"] for r in result["runs"])
        assert result["cpu_s"] == statistics.median(r["cpu_s"] for r in result["runs"])
    # every round's first scan starts from a fresh catalog; its rescan reuses that catalog
    assert default["found"]["hashed"] == 6 and default["found"]["from_catalog"] == 0
    assert rescan["found"]["from_catalog"] == 6
    ratios = {item["name"]: item for item in report["ratios"]}
    plain_ratio = ratios["neardup default / --no-trim --no-verify (wall; CPU)"]["value"]
    each = [d["wall_s"] / p["wall_s"] for d, p in zip(default["runs"], plain["runs"], strict=True)]
    assert plain_ratio == pytest.approx(statistics.median(each))
    assert ratios["neardup default / Czkawka (wall; CPU)"]["value"] is None  # not selected


def test_repeat_must_be_positive(tmp_path: Path) -> None:
    done = run_peers("--folder", str(tmp_path), "--repeat", "0")
    assert done.returncode == 2 and "--repeat must be at least 1" in done.stderr
