"""plan_deletion: keep rules, reference folders, chained members, hard links (no file changes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from neardup.actions import plan_deletion
from neardup.api import scan
from neardup.errors import UsageError
from neardup.model import KEEP_RULES, Group, ImageRecord, ScanOptions, ScanResult
from tests.deletion import lower_resolution_copies, make_small_library, snapshot


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_library(tmp_path_factory.mktemp("plan") / "lib")


@pytest.fixture(scope="module")
def result(library: Path) -> ScanResult:
    return scan([library])


def _decisions(plan) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {i.path: (i.decision, i.reason) for g in plan.groups for i in g.items}


def test_highest_resolution_removes_exactly_the_lower_resolution_copies(
    library: Path, result: ScanResult
) -> None:
    before = snapshot(library)
    plan = plan_deletion(result, keep="highest-resolution")
    removed = {i.path for _, i in plan.removals}
    assert removed == lower_resolution_copies(library)
    assert plan.bytes_reclaimed == sum(os.path.getsize(p) for p in removed)
    assert all(g.keeper.path.startswith(str(library / "photos")) for g in plan.groups)
    assert snapshot(library) == before


def test_keep_rules_are_recomputed_by_delete(library: Path, result: ScanResult) -> None:
    plan = plan_deletion(result, keep="smallest")
    keepers = {g.keeper.path for g in plan.groups}
    assert keepers <= lower_resolution_copies(library)
    assert all(i.reason == "keeper" for g in plan.groups for i in g.items[:1])


@pytest.mark.parametrize("rule", KEEP_RULES)
def test_reference_files_are_kept_whatever_the_rule(
    library: Path, result: ScanResult, rule: str
) -> None:
    plan = plan_deletion(result, keep=rule, references=[library / "copies"])
    decisions = _decisions(plan)
    for copy in lower_resolution_copies(library):
        assert decisions[copy] == ("keep", "reference")
    # each group keeps a reference file; the originals outside the reference go
    for g in plan.groups:
        assert g.keeper.reference
        assert all(not i.reference for i in g.removals)


def test_group_of_only_references_is_untouched(library: Path, result: ScanResult) -> None:
    plan = plan_deletion(result, references=[library])
    assert plan.groups and all(g.untouched for g in plan.groups)
    assert plan.removals == [] and plan.bytes_reclaimed == 0
    assert plan.summary()["groups_untouched"] == len(plan.groups)


def test_reference_must_be_a_folder(result: ScanResult, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a folder"):
        plan_deletion(result, references=[tmp_path / "nope"])


def _synthetic(tmp_path: Path, hashes: list[int], threshold: int = 4) -> ScanResult:
    records = []
    for k, h in enumerate(hashes):
        p = tmp_path / f"img{k}.jpg"
        p.write_bytes(b"x" * (100 - k))
        st = p.stat()
        records.append(ImageRecord(str(p), h, 10, 10, st.st_size, st.st_mtime_ns))
    group = Group(tuple(range(len(records))), tuple(0 for _ in records), 0, threshold)
    return ScanResult(
        ScanOptions(threshold=threshold).settings([str(tmp_path)]), records, [], [group]
    )


def test_chained_member_beyond_threshold_is_kept(tmp_path: Path) -> None:
    # img0 keeper (largest); img1 is 3 bits away; img2 is 6 bits away (chained via img1)
    result = _synthetic(tmp_path, [0b0, 0b111, 0b111111])
    plan = plan_deletion(result, keep="largest")
    d = _decisions(plan)
    assert d[str(tmp_path / "img0.jpg")] == ("keep", "keeper")
    assert d[str(tmp_path / "img1.jpg")] == ("remove", "duplicate")
    assert d[str(tmp_path / "img2.jpg")] == ("keep", "beyond-threshold")
    item = next(i for i in plan.groups[0].items if i.path.endswith("img2.jpg"))
    assert item.distance == 6


def test_hard_link_to_keeper_is_not_a_duplicate(tmp_path: Path) -> None:
    result = _synthetic(tmp_path, [0, 1])
    link = tmp_path / "z-link-to-img0.jpg"
    os.link(tmp_path / "img0.jpg", link)
    st = link.stat()
    result.records.append(ImageRecord(str(link), 0, 10, 10, st.st_size, st.st_mtime_ns))
    result.groups = [Group((0, 1, 2), (0, 1, 0), 1, 4)]
    d = _decisions(plan_deletion(result, keep="largest"))
    assert d[str(link)] == ("keep", "hard-link")
    assert d[str(tmp_path / "img1.jpg")] == ("remove", "duplicate")


def test_plan_json_is_stable(library: Path, result: ScanResult) -> None:
    doc = plan_deletion(result, keep="highest-resolution").to_dict()
    assert doc["plan_version"] == 1
    assert set(doc) == {
        "plan_version",
        "neardup_version",
        "scan_created",
        "settings",
        "summary",
        "groups",
    }
    assert set(doc["settings"]) == {"keep", "references", "threshold", "hash", "hash_size"}
    assert set(doc["summary"]) == {
        "groups",
        "groups_untouched",
        "keep",
        "remove",
        "bytes_reclaimed",
    }
    files = doc["groups"][0]["files"]
    assert set(files[0]) == {
        "path",
        "decision",
        "reason",
        "distance_to_keeper",
        "reference",
        "bytes",
        "mtime_ns",
        "hash",
        "width",
        "height",
    }
    assert files[0]["decision"] == "keep" and files[0]["path"] == doc["groups"][0]["keeper"]
    assert doc["settings"]["keep"] == ["highest-resolution", "first"]
