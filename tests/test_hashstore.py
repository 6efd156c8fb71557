"""The Parquet hash store (``--store``): incremental scans, with and without a cluster,
and moving hashes between it and the catalog."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import neardup
from neardup.errors import UsageError
from tests.conftest import expected_planted_groups

pytest.importorskip("pyarrow", reason="needs the dask extra")
pytest.importorskip("fsspec", reason="needs the dask extra")

from neardup.catalog.migrations import FEATURES_VERSION
from neardup.pipeline.hashstore import MANIFEST, HashStore


def _groups(result: neardup.ScanResult) -> set[frozenset[str]]:
    return {frozenset(result.records[m].path for m in g.members) for g in result.groups}


def _parts(store: Path) -> list[Path]:
    return sorted(store.glob("hashes/*/part-*.parquet"))


def test_second_scan_hashes_nothing_and_a_change_is_rehashed(
    planted_folder: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    first = neardup.scan([planted_folder], store=store, use_cache=False)
    assert first.from_catalog == 0 and len(first.records) > 10
    assert _groups(first) == expected_planted_groups(planted_folder)
    parts = _parts(store)
    assert len(parts) == 1
    assert json.loads((store / MANIFEST).read_text())["schema_version"] == 3

    second = neardup.scan([planted_folder], store=store, use_cache=False)
    assert second.from_catalog == len(second.records) == len(first.records)  # 0 hashed
    assert _parts(store) == parts  # nothing written
    assert _groups(second) == _groups(first)

    changed = second.records[0].path
    os.utime(changed, ns=(1_000_000_000, 1_000_000_000))
    third = neardup.scan([planted_folder], store=store, use_cache=False)
    assert len(third.records) - third.from_catalog == 1
    assert len(_parts(store)) == 2  # the new hash is appended, the old part stays
    stored = {r["path"]: r for r in HashStore(os.fspath(store)).rows(third.settings.spec)}
    assert stored[changed]["mtime_ns"] == 1_000_000_000  # the newest row wins


@pytest.mark.parametrize("extra", [{"crop": True}, {"invariant": "flip,rotate", "crop": True}])
def test_a_store_keeps_the_alternates(
    planted_folder: Path, tmp_path: Path, opened: list[str], extra: dict[str, Any]
) -> None:
    """With ``--crop``/``--invariant`` a rescan from the store decodes nothing (their
    alternates are stored with the hashes) and groups the same; a scan asking for other
    alternates computes its own."""
    store = tmp_path / "store"
    first = neardup.scan([planted_folder], store=store, use_cache=False, jobs=1, **extra)
    assert first.from_catalog == 0
    opened.clear()
    second = neardup.scan([planted_folder], store=store, use_cache=False, jobs=1, **extra)
    assert opened == []
    assert second.from_catalog == len(second.records) == len(first.records)
    assert _groups(second) == _groups(first)
    other = neardup.scan([planted_folder], store=store, use_cache=False, jobs=1, invariant="flip")
    assert other.from_catalog == 0 and _groups(other) == _groups(first)


def test_a_version_1_store_is_read_and_extended(planted_folder: Path, tmp_path: Path) -> None:
    """A store written before the alternates columns existed serves a scan as it did, and a
    ``--crop`` scan adds its rows next to the old ones."""
    import pyarrow.parquet as pq

    store = tmp_path / "store"
    first = neardup.scan([planted_folder], store=store, use_cache=False, crop=False)
    (part,) = _parts(store)
    table = pq.read_table(part)
    pq.write_table(table.drop_columns(["alternates_kind", "alternates", "features"]), part)
    (store / MANIFEST).write_text('{"format": "neardup-hash-store", "schema_version": 1}')
    plain = {"crop": False, "trim": False, "verify": False}  # the features are an older search's
    again = neardup.scan([planted_folder], store=store, use_cache=False, **plain)
    assert again.from_catalog == len(again.records) and _groups(again) == _groups(first)
    assert json.loads((store / MANIFEST).read_text())["schema_version"] == 3
    cropped = neardup.scan([planted_folder], store=store, use_cache=False, crop=True)
    assert cropped.from_catalog == 0 and len(_parts(store)) == 2
    assert neardup.scan([planted_folder], store=store, use_cache=False, crop=True).from_catalog


def test_rows_of_an_older_search_are_computed_again_once(
    planted_folder: Path, tmp_path: Path, opened: list[str]
) -> None:
    """Rows written before the current margin and picture search (no ``features`` column,
    or a lower one) keep serving their hashes, but their trimmed hashes, views and
    alternates are computed again by the next scan that needs them, once, as a catalog's
    migration makes it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = tmp_path / "store"
    first = neardup.scan([planted_folder], store=store, use_cache=False, jobs=1)
    (part,) = _parts(store)
    table = pq.read_table(part)
    older = pa.array([FEATURES_VERSION - 1] * table.num_rows, pa.int32())
    at = table.schema.get_field_index("features")
    pq.write_table(table.set_column(at, "features", older), part)
    rows = list(HashStore(os.fspath(store)).rows(first.settings.spec))
    assert rows and all(r["trim_hash"] is None and r["views"] is None for r in rows)
    assert all(r["hash"] is not None for r in rows if r["error"] is None)
    plain = neardup.scan(
        [planted_folder], store=store, use_cache=False, trim=False, verify=False, crop=False
    )
    assert plain.from_catalog == len(plain.records)  # the hashes themselves still serve
    opened.clear()
    again = neardup.scan([planted_folder], store=store, use_cache=False, jobs=1)
    assert again.from_catalog == 0 and len(set(opened)) == len(again.records)
    assert _groups(again) == _groups(first)
    opened.clear()
    third = neardup.scan([planted_folder], store=store, use_cache=False, jobs=1)
    assert third.from_catalog == len(third.records) and opened == []


def test_cluster_scan_with_store_is_incremental(
    cli: Any, planted_folder: Path, tmp_path: Path, dask_cluster: str
) -> None:
    store = tmp_path / "store"
    docs = []
    for _ in range(2):
        res = cli("scan", str(planted_folder), "--dask", dask_cluster, "--store",
                      str(store), "--format", "json", "--no-save")  # fmt: skip
        assert res.returncode == 0, res.stderr
        docs.append(json.loads(res.stdout))
    first, second = (d["summary"] for d in docs)
    assert first["images_from_catalog"] == 0
    assert second["images_hashed"] == second["images_from_catalog"] == first["images_hashed"]
    assert docs[0]["groups"] == docs[1]["groups"]
    got = {frozenset(m["path"] for m in g["members"]) for g in docs[1]["groups"]}
    assert got == expected_planted_groups(planted_folder)


def test_catalog_export_and_import(cli: Any, planted_folder: Path, tmp_path: Path) -> None:
    store, moved = tmp_path / "store", tmp_path / "other.sqlite"
    assert cli("scan", str(planted_folder), "--quiet", "--format", "json").returncode == 0
    out = cli("catalog", "export", "--store", str(store))
    assert out.returncode == 0, out.stderr
    assert "exported" in out.stdout
    out = cli("catalog", "import", "--store", str(store), "--catalog", str(moved))
    assert out.returncode == 0, out.stderr
    # the imported catalog serves a scan without hashing anything
    result = neardup.scan([planted_folder], catalog=moved)
    assert result.from_catalog == len(result.records) > 10
    # and the store serves one too
    again = neardup.scan([planted_folder], store=store, use_cache=False)
    assert again.from_catalog == len(again.records)


def test_store_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / MANIFEST).write_text('{"format": "neardup-hash-store", "schema_version": 99}')
    with pytest.raises(UsageError, match="schema version 99"):
        HashStore(os.fspath(store))
    shutil.rmtree(store)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / MANIFEST).write_text('{"format": "other"}')
    with pytest.raises(UsageError, match="not a neardup hash store"):
        HashStore(os.fspath(tmp_path / "elsewhere"))
