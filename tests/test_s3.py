"""Object storage for real: a local S3-compatible server (moto, on 127.0.0.1) holds the
images and the hash store; scans with and without a cluster equal a local scan.

Credentials reach s3fs only through the usual botocore environment variables (dummy ones
here), never through neardup's options, and never appear in its output.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import expected_planted_groups

pytest.importorskip("s3fs", reason="needs s3fs (the test extra)")
moto_server = pytest.importorskip("moto.server", reason="needs moto[server] (the test extra)")

SECRET = "neardup-test-secret-key"
BUCKET = "photos-bucket"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "AWS_ACCESS_KEY_ID": "neardup-test-key-id",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_endpoint,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def bucket(s3_env: dict[str, str], planted_folder: Path) -> Iterator[str]:
    import s3fs

    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.mkdir(BUCKET)
    fs.put(str(planted_folder) + "/", f"{BUCKET}/photos/", recursive=True)
    try:
        yield f"s3://{BUCKET}"
    finally:
        fs.rm(BUCKET, recursive=True)
        import fsspec

        fsspec.filesystem("s3").clear_instance_cache()


def _named(groups: list[dict[str, Any]], root: str) -> set[frozenset[str]]:
    return {frozenset(m["path"].removeprefix(root) for m in g["members"]) for g in groups}


def _scan(cli: Any, *args: str) -> dict[str, Any]:
    res = cli("scan", *args, "--format", "json", "--no-save")
    assert res.returncode == 0, res.stderr
    assert SECRET not in res.stdout + res.stderr
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def test_s3_scan_with_store_equals_local_scan(cli: Any, bucket: str, planted_folder: Path) -> None:
    want = {
        frozenset(p.removeprefix(str(planted_folder))
                  for p in g) for g in expected_planted_groups(planted_folder)
    }  # fmt: skip
    store = f"{bucket}/hashes"
    first = _scan(cli, f"{bucket}/photos", "--store", store)
    assert _named(first["groups"], f"{bucket}/photos") == want
    assert first["summary"]["images_from_catalog"] == 0
    second = _scan(cli, f"{bucket}/photos", "--store", store)
    assert second["summary"]["images_from_catalog"] == second["summary"]["images_hashed"]
    assert second["groups"] == first["groups"]
    import s3fs

    parts = s3fs.S3FileSystem(skip_instance_cache=True).glob(f"{BUCKET}/hashes/**/*.parquet")
    assert len(parts) == 1


def test_s3_scan_on_a_cluster_equals_local_scan(
    cli: Any, bucket: str, planted_folder: Path, dask_cluster: str, s3_env: dict[str, str]
) -> None:
    from distributed import Client

    # the workers of the shared cluster started before this test: give them the same
    # environment, as a cluster's workers would have it
    with Client(dask_cluster) as client:
        client.run(lambda: os.environ.update(s3_env))
    try:
        local = _scan(cli, str(planted_folder))
        remote = _scan(cli, f"{bucket}/photos", "--dask", dask_cluster, "--store",
                       f"{bucket}/hashes")  # fmt: skip
    finally:
        with Client(dask_cluster) as client:
            client.run(lambda: [os.environ.pop(k, None) for k in s3_env])
    assert _named(remote["groups"], f"{bucket}/photos") == _named(
        local["groups"], str(planted_folder)
    )
    assert remote["summary"]["images_hashed"] == local["summary"]["images_hashed"]
