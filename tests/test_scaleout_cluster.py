"""Scans on a real Dask cluster (one LocalCluster shared by the session) equal local scans:
with trimming and verification, with ``--invariant`` and with ``--crop``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageEnhance, ImageOps

import neardup
from neardup.tools import transforms
from tests.conftest import photo as corpus_photo

pytest.importorskip("distributed", reason="needs the dask extra")


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """One photo flipped, rotated, framed, cropped and brightened; two unrelated photos."""
    folder = tmp_path / "edited"
    folder.mkdir()
    src = corpus_photo(5)
    shutil.copy(src, folder / src.name)
    with Image.open(src) as im:
        img = im.convert("RGB")
    for name in ("hflip", "rot90", "border5"):
        transforms.apply(img, name, 4).save(folder / f"{src.stem}.{name}.jpg", quality=92)
    w, h = img.size
    img.crop((w // 12, h // 12, w - w // 12, h - h // 12)).save(folder / f"{src.stem}.crop.jpg")
    ImageOps.expand(img, border=max(4, min(img.size) // 20), fill=(0, 0, 0)).save(
        folder / f"{src.stem}.framed.jpg"
    )
    ImageEnhance.Brightness(img).enhance(1.2).save(folder / f"{src.stem}.bright.jpg")
    for n in (60, 90):
        shutil.copy(corpus_photo(n), folder / corpus_photo(n).name)
    return folder


def _names(result: neardup.ScanResult) -> list[set[str]]:
    return sorted(
        ({Path(result.records[m].path).name for m in g.members} for g in result.groups),
        key=sorted,
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"invariant": "flip,rotate"},
        {"crop": True},
        {"invariant": "flip,rotate", "crop": True},
    ],
    ids=["default", "invariant", "crop", "invariant+crop"],
)
def test_cluster_scan_equals_local_scan(
    edited: Path, dask_cluster: str, options: dict[str, object]
) -> None:
    local = neardup.scan([edited], use_cache=False, **options)
    remote = neardup.scan([edited], use_cache=False, dask=dask_cluster, **options)
    assert remote.settings == local.settings
    assert _names(remote) == _names(local)
    assert len(remote.records) == len(local.records) == 9
    stem = corpus_photo(5).stem
    grouped = set().union(*_names(remote))
    # what each option is for is found on the cluster too
    assert f"{stem}.framed.jpg" in grouped
    if "invariant" in options:
        assert {f"{stem}.hflip.jpg", f"{stem}.rot90.jpg"} <= grouped
    else:
        assert f"{stem}.hflip.jpg" not in grouped


def test_a_cluster_rescan_with_alternates_comes_from_the_catalog(
    edited: Path, dask_cluster: str, tmp_path: Path
) -> None:
    """The workers' alternates and views are stored like a local scan's: a second cluster
    scan with ``--crop --invariant`` takes every image from the catalog, and so does a local
    scan with the same options."""
    catalog = tmp_path / "catalog.sqlite"
    options: dict[str, Any] = {"invariant": "flip,rotate", "crop": True, "catalog": catalog}
    first = neardup.scan([edited], dask=dask_cluster, **options)
    assert first.from_catalog == 0
    again = neardup.scan([edited], dask=dask_cluster, **options)
    assert again.from_catalog == len(again.records) == 9
    assert _names(again) == _names(first)
    here = neardup.scan([edited], jobs=1, **options)
    assert here.from_catalog == 9 and _names(here) == _names(first)


def test_workers_load_the_compiled_kernel_in_the_background(dask_cluster: str) -> None:
    pytest.importorskip("numba")
    import time

    from distributed import Client

    from neardup.pipeline.dask import kernel
    from neardup.pipeline.dask.cluster import warm_workers

    with Client(dask_cluster) as client:
        warm_workers(client)  # returns at once
        deadline = time.monotonic() + 120
        loaded: dict[str, list[bool]] = {}
        while time.monotonic() < deadline:
            loaded = client.run(lambda: list(kernel._LOADED))
            if all(loaded.values()):
                break
            time.sleep(0.2)
    assert len(loaded) == 2 and all(v == [True] for v in loaded.values())
