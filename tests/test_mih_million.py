"""The million-hash check (slow): every planted pair found, every distance right, no repeats.

Timings are reported by ``benchmarks/million.py`` but never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_million_hashes_all_pairs_radius_10() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "million.py"),
            "--max-seconds",
            "1e9",
            "--max-rss-mb",
            "1e9",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert report["size"] == 1_000_000
    assert report["planted_within_radius"] > 8000
    assert report["planted_missed"] == 0
    assert report["wrong_distances"] == 0 and report["duplicate_reports"] == 0
    assert report["pairs"] >= report["planted_within_radius"]
