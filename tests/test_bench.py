"""``neardup bench``: every installed backend side by side, each in its own subprocess."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neardup import index as registry
from neardup.errors import UsageError
from neardup.tools.bench import BenchResult, Dataset, parse_size, run_benchmark, synthetic
from tests.imaging import make_variant


@pytest.mark.slow  # every installed backend, each in a fresh subprocess
def test_every_backend_on_2k_json(cli: Any) -> None:
    proc = cli("bench", "--sizes", "2k", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["radius"] == 10 and doc["bits"] == 64
    assert doc["machine"]["cores"] >= 1
    rows = {r["backend"]: r for r in doc["results"]}
    assert set(rows) == set(registry.available())
    for name, row in rows.items():
        assert row["size"] == 2000
        if row["status"] != "ok":
            assert row["status"] in ("unavailable", "timed out"), (name, row)
            continue
        assert row["invalid_pairs"] == 0, name
        assert row["build_s"] >= 0 and row["pairs_s"] >= 0 and row["peak_rss_mb"] > 10
        if row["exact"]:
            assert row["recall"] == 1.0, name
            assert row["planted_recall"] == 1.0, name
    assert rows["brute"]["reference"] == "brute"
    assert rows["mih"]["pairs"] == rows["brute"]["pairs"] >= 15  # 20 planted, most <= 10
    assert "chunks" in rows["mih"]["detail"]


def test_timeout_is_reported_not_hidden(cli: Any) -> None:
    proc = cli(
        "bench", "--sizes", "30k,60k", "--backends", "bktree,mih", "--timeout", "1",
        "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["results"]
    bk = [r for r in rows if r["backend"] == "bktree"]
    assert [r["status"] for r in bk] == ["timed out", "timed out"]
    assert bk[0]["detail"] == "over 1 s"
    assert bk[1]["detail"] == "not run: timed out at 30k"
    assert bk[0]["total_s"] is None


def test_table_keeps_its_numbers_on_80_columns(cli: Any) -> None:
    proc = cli(
        "bench", "--sizes", "30k", "--backends", "bktree,mih", "--timeout", "8",
        env={"COLUMNS": "80"},
    )  # fmt: skip
    # (mih takes well under a second, bktree over a minute: a busy machine or a first
    # compile of the mih kernel must not make mih time out too)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    (mih,) = [line for line in lines if " mih " in line]
    assert mih.split()[:3] == ["30k", "mih", "ok"]
    assert re.search(r"\b1\.000\s+1\.000\s*$", mih)  # recall and planted recall, whole
    (bk,) = [line for line in lines if " bktree " in line]
    assert bk.split()[:3] == ["30k", "bktree", "[1]"]
    assert "[1] timed out: over 8 s" in lines


def test_table_and_plot(cli: Any, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "bench.png"
    proc = cli(
        "bench", "--sizes", "1k,2k", "--backends", "mih", "--plot", str(png),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "mih" in proc.stdout and "2k" in proc.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_folder_of_real_images(cli: Any, tmp_path: Path, photo_paths: list[Path]) -> None:
    folder = tmp_path / "pics"
    folder.mkdir()
    for src in photo_paths[:12]:
        shutil.copy(src, folder)
    make_variant(photo_paths[0], folder, "resize50")
    proc = cli("bench", "--folder", str(folder), "--backends", "mih,brute", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["results"]
    assert {r["size"] for r in rows} == {13}
    assert all(r["status"] == "ok" and r["recall"] == 1.0 for r in rows)
    assert all(r["pairs"] >= 1 and r["planted_recall"] is None for r in rows)


@pytest.mark.parametrize(
    "args",
    [
        ["--backends", "nosuch"],
        ["--sizes", "ten"],
        ["--folder", "does/not/exist"],
    ],
)
def test_bad_arguments_are_one_line_errors(cli: Any, args: list[str]) -> None:
    proc = cli("bench", "--sizes", "1k", *args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "error" in proc.stderr.lower()


def test_recall_counts_a_backend_that_misses_pairs() -> None:
    """Scoring is independent of the backends: a lossy result gets recall below 1."""
    from neardup.tools.bench import _Run, _score

    data = synthetic(2000, radius=10, seed=3)
    hashes = data.hashes
    pairs = [(a, b) for a, b, d in data.planted if d <= 10]
    dist = [int(np.bitwise_count(hashes[a] ^ hashes[b]).sum()) for a, b in pairs]
    full = np.array([(min(a, b), max(a, b), d) for (a, b), d in zip(pairs, dist, strict=True)])
    lossy = full[1:].copy()
    lossy[0, 2] += 1
    runs = [
        _Run(BenchResult("ref", "x", data.size, 64, 10, "ok", exact=True), full),
        _Run(BenchResult("lossy", "x", data.size, 64, 10, "ok", exact=False), lossy),
    ]
    _score(Dataset("x", hashes, data.planted), runs)
    assert runs[1].result.reference == "ref"
    assert runs[0].result.recall == 1.0
    assert runs[1].result.recall == pytest.approx((len(full) - 1) / len(full))
    assert runs[1].result.invalid_pairs == 1


def test_library_rejects_bad_values() -> None:
    with pytest.raises(UsageError, match="bits"):
        synthetic(100, bits=100)
    with pytest.raises(UsageError, match="radius"):
        run_benchmark([synthetic(100)], radius=-1)
    with pytest.raises(UsageError, match="unknown backend"):
        run_benchmark([synthetic(100)], backends=["nosuch"])


def test_parse_size_rejects_nonsense() -> None:
    assert parse_size("100k") == 100_000
    with pytest.raises(UsageError):
        parse_size("1")
    with pytest.raises(UsageError):
        parse_size("-5")


def test_bench_documented_with_every_option(cli: Any) -> None:
    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    help_text = cli("bench", "--help").stdout
    for option in ("--sizes", "--radius", "--bits", "--backends", "--timeout", "--format",
                   "--plot", "--folder", "--dask"):  # fmt: skip
        assert option in doc, option
        assert option in help_text, option
    backends = (ROOT / "docs" / "backends.md").read_text(encoding="utf-8")
    for name in registry.available():
        if name in ("brute", "bktree", "mih", "faiss"):
            assert f"`{name}`" in backends and f"`{name}`" in doc, name


def test_dask_row_beside_local_mih(cli: Any, dask_cluster: str) -> None:
    proc = cli("bench", "--sizes", "3k", "--backends", "mih", "--dask", dask_cluster,
               "--format", "json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    local, dist = json.loads(proc.stdout)["results"]
    assert local["backend"] == dist["backend"] == "mih"
    assert local["dask_workers"] is None and dist["dask_workers"] == 2
    assert dist["status"] == "ok" and dist["dask"] == dask_cluster
    assert dist["pairs"] == local["pairs"] > 0 and dist["invalid_pairs"] == 0
    assert dist["recall"] == dist["planted_recall"] == 1.0
    assert dist["dask_peak_worker_mb"] > 0 and dist["cpu_s"] > 0
    assert dist["total_s"] == pytest.approx(dist["build_s"] + dist["pairs_s"])
    assert "partitions" in dist["detail"]
