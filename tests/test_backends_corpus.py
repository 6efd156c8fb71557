"""Every backend on real photos: exact ones give brute force's groups, lsh ≥ 99 % of its pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neardup import api
from neardup import index as registry
from neardup.bits import HashArray
from neardup.model import HashSpec, ImageRecord, ScanResult
from neardup.pipeline.batch import hash_files
from tests.imaging import make_variant

EXACT = ["bktree", "kdtree", "pykdtree"]
THRESHOLD = 10


def pair_set(hashes: HashArray, index: str) -> set[tuple[int, int, int]]:
    return {
        (a, b, d)
        for block in api.find_pairs(hashes, THRESHOLD, index)
        for a, b, d in zip(
            block.left.tolist(), block.right.tolist(), block.distance.tolist(), strict=True
        )
    }


def group_sets(result: ScanResult, index: str) -> list[tuple[int, ...]]:
    groups = api.group(result.records, result.hashes, threshold=THRESHOLD, index=index)
    return sorted(g.members for g in groups)


@pytest.fixture(scope="module")
def planted_scan(planted_library: Path) -> ScanResult:
    return api.scan([planted_library], index="brute", threshold=THRESHOLD)


@pytest.mark.parametrize("name", EXACT)
def test_exact_backends_give_brute_force_groups(planted_scan: ScanResult, name: str) -> None:
    want = group_sets(planted_scan, "brute")
    assert len(want) == 4
    assert group_sets(planted_scan, name) == want
    assert pair_set(planted_scan.hashes, name) == pair_set(planted_scan.hashes, "brute")


def test_lsh_finds_the_planted_groups(planted_scan: ScanResult) -> None:
    want = pair_set(planted_scan.hashes, "brute")
    got = pair_set(planted_scan.hashes, "lsh")
    assert got <= want and len(got) >= 0.99 * len(want)
    assert group_sets(planted_scan, "lsh") == group_sets(planted_scan, "brute")


@pytest.mark.slow
def test_every_backend_on_all_photos_with_variants(
    full_corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """All 150 photos of the full corpus, each with four near-duplicate variants: 750 images."""
    photo_paths = sorted(p for p in (full_corpus / "photos").iterdir() if p.is_file())
    assert len(photo_paths) == 150
    folder = tmp_path_factory.mktemp("variants")
    paths = list(photo_paths)
    for src in photo_paths:
        for kind in ("resize50", "resize25", "jpeg30", "png"):
            paths.append(make_variant(src, folder, kind))
    records = [r for r in hash_files(paths, HashSpec()) if isinstance(r, ImageRecord)]
    assert len(records) == len(paths)
    hashes = np.array([[r.hash] for r in records], dtype=np.uint64)
    want = pair_set(hashes, "brute")
    assert len(want) >= 150 * 10 * 0.9  # nearly every photo forms a 5-clique
    for name in EXACT:
        assert pair_set(hashes, name) == want, name
    got = pair_set(hashes, "lsh")
    assert got <= want
    assert len(got) / len(want) >= 0.99
    assert registry.load("lsh").exact is False
