"""Metrics on hand-made cases with known answers, the baselines, and the eval command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from neardup.tools.evaluation import (
    ORIGINAL,
    EvalConfig,
    Method,
    MethodResult,
    Score,
    Truth,
    evaluate,
    evaluate_method,
    kdtree_pairs,
    score_clusters,
)
from neardup.tools.scoring import score_pairs


def _truth() -> Truth:
    # Two identities: 0 = rows 0 (original), 1 (jpeg), 2 (flip); 1 = rows 3 (original), 4 (jpeg).
    identity = np.array([0, 0, 0, 1, 1])
    kind = np.array([ORIGINAL, "jpeg", "flip", ORIGINAL, "jpeg"])
    source = np.array(["photos"] * 5)
    original_row = np.array([0, 0, 0, 3, 3])
    return Truth(identity, kind, source, original_row)


def test_co_membership_counts_every_pair_in_a_group() -> None:
    truth = _truth()
    assert truth.true_pairs() == 3 + 1
    # One group {0, 1, 4}: pairs 0-1 (right), 0-4 and 1-4 (wrong). Rows 2 and 3 alone.
    overall, per = score_clusters(truth, [np.array([0, 1, 4])], ["jpeg", "flip"])
    assert overall.pairs == 3
    assert overall.wrong_pairs == 2
    assert overall.precision == pytest.approx(1 / 3)
    assert overall.recall == pytest.approx(1 / 4)
    # jpeg variants: row 1 is with its original, row 4 is not.
    assert per["jpeg"].recall == pytest.approx(0.5)
    # Pairs involving a jpeg row: row 1 has 2 (1 right), row 4 has 2 (0 right).
    assert per["jpeg"].precision == pytest.approx(1 / 4)
    assert per["flip"].recall == 0.0
    assert per["flip"].precision == 1.0  # no pair involves a flip: nothing wrong claimed


def test_perfect_grouping_scores_one() -> None:
    truth = _truth()
    overall, per = score_clusters(truth, [np.array([0, 1, 2]), np.array([3, 4])], ["jpeg"])
    assert (overall.precision, overall.recall, overall.f1) == (1.0, 1.0, 1.0)
    assert per["jpeg"].recall == 1.0


def test_pairs_score() -> None:
    truth = _truth()
    overall, per = score_pairs(truth, np.array([0, 1]), np.array([1, 3]), ["jpeg", "flip"])
    assert overall.precision == 0.5
    assert overall.recall == 0.25
    assert per["jpeg"].recall == 0.5
    assert per["flip"].recall == 0.0


def test_chaining_lowers_precision_centre_does_not() -> None:
    truth = _truth()
    # 0-1 close, 1-4 close (a wrong pair), 3-4 close: components chain both identities.
    dist = np.full((5, 5), 30, dtype=np.int16)
    for a, b in ((0, 1), (1, 4), (3, 4), (0, 2)):
        dist[a, b] = dist[b, a] = 2
    results = {}
    for grouping in ("components", "centre"):
        m = Method("x", "phash", 8, grouping, {}, dist, (2,))
        results[grouping] = evaluate_method(m, truth, ["jpeg"])
    assert results["components"].rows[0][1].precision == pytest.approx(4 / 10)
    assert results["centre"].rows[0][1].precision > results["components"].rows[0][1].precision


def test_best_threshold_is_largest_reaching_target() -> None:
    m = MethodResult(Method("x", "phash", 8, "centre", {}, np.zeros((1, 1), np.int16), (0,)))
    for t, p in ((0, 1.0), (1, 0.9995), (2, 0.99), (3, 0.9991)):
        m.rows.append((t, Score(p, 0.5, 0.5), {}))
    assert m.best_threshold() == 3


def test_kdtree_baseline_uses_manhattan_on_hex_digits() -> None:
    # 0x...0 and 0x...f differ by 15 in one hex digit (4 bits): Manhattan 15 <= 25.
    # 0xfff0... differs from 0 by 45 (3 digits of 15): too far.
    hashes = [0x0, 0xF, 0xFFF0000000000000]
    pairs = kdtree_pairs(hashes)
    assert pairs.tolist() == [[0, 1]]


@pytest.fixture(scope="module")
def few_photos(tmp_path_factory: pytest.TempPathFactory, photo_paths: list[Path]) -> Path:
    folder = tmp_path_factory.mktemp("few")
    for p in photo_paths[:4]:
        shutil.copy(p, folder / p.name)
    return folder


@pytest.fixture(scope="module")
def mixed_photos(tmp_path_factory: pytest.TempPathFactory, photo_paths: list[Path]) -> Path:
    """Two photos of the tuning half and two of the held-out half."""
    from neardup.tools.stress import photo_half

    folder = tmp_path_factory.mktemp("mixed")
    for half in (0, 1):
        for p in [p for p in photo_paths if photo_half(p.name) == half][:2]:
            shutil.copy(p, folder / p.name)
    return folder


def test_evaluate_small_run(few_photos: Path) -> None:
    config = EvalConfig(
        transforms=("jpeg70", "hflip"),
        algorithms=("phash",),
        sizes=(8,),
        thresholds=(0, 6, 10),
        stress_per_family=1,
        families=("night", "product", "document", "texture"),
        jobs=1,
    )
    ev = evaluate(few_photos, config)
    assert ev.counts["originals"] == 4
    assert ev.counts["stress_originals"] == 4
    assert ev.counts["images"] == (4 + 4) * 3
    plain = ev.method("phash-8")
    t10 = plain.at(10)
    assert t10 is not None
    assert t10[2]["jpeg70"].recall >= 0.75  # a JPEG re-save stays within 10 bits
    assert t10[2]["hflip"].recall <= 0.25  # plain pHash is blind to mirroring
    inv = ev.method("phash-8+trim+invariant").at(10)
    assert inv is not None and inv[2]["hflip"].recall == 1.0


def test_eval_cli_json(cli, few_photos: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plot = tmp_path / "pr.png"
    args = [
        "eval", str(few_photos), "--transforms", "jpeg30,rot90", "--hash", "phash,dhash",
        "--hash-size", "8", "--thresholds", "0..12", "--stress", "2", "--jobs", "2",
        "--families", "night,document", "--format", "json", "--quiet",
    ]  # fmt: skip
    try:
        import matplotlib  # noqa: F401

        args += ["--plot", str(plot)]
    except ImportError:
        plot = None  # type: ignore[assignment]
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) >= {"counts", "methods", "baselines", "transforms", "target_precision"}
    assert doc["scan_defaults"]["recommended_method"] == "phash-8+trim+crop+verify"
    names = {m["name"] for m in doc["methods"]}
    assert {"phash-8", "dhash-8", "phash-8+trim+invariant", "phash-8+trim+verify"} <= names
    assert {b["name"] for b in doc["baselines"]} == {"imagededup", "kdtree-hex-manhattan"}
    first = doc["methods"][0]
    assert {"hash", "hash_size", "grouping", "threshold_at_target_precision"} <= set(first)
    row = first["thresholds"][0]
    assert set(row["per_transform"]) == {"jpeg30", "rot90"}
    assert {"precision", "recall", "f1"} <= set(row["per_transform"]["jpeg30"])
    if plot is not None:
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # both halves, each grouped on its own, add up to the whole
    assert set(doc["splits"]) == {"tuning", "held_out"}
    halves = doc["splits"].values()
    assert sum(h["counts"]["images"] for h in halves) == doc["counts"]["images"]
    assert all(h["counts"]["images"] > 0 for h in halves)
    for half in halves:
        assert {m["name"] for m in half["methods"]} == names
        assert {b["name"] for b in half["baselines"]} == {"imagededup", "kdtree-hex-manhattan"}


def test_eval_reports_halves_and_wrong_pairs_by_family(
    cli, mixed_photos: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    args = [
        "eval", str(mixed_photos), "--transforms", "jpeg70,screenshot", "--hash", "phash",
        "--hash-size", "8", "--thresholds", "0..10", "--stress", "2",
        "--families", "frame-viewer,frame-web,flat", "--jobs", "2", "--format", "json", "--quiet",
    ]  # fmt: skip
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["families"] == ["frame-viewer", "frame-web", "flat"]
    # 4 photos with 2 variants each; 6 generated images with one re-save each
    assert doc["counts"]["images"] == 4 * 3 + 6 * 2
    tuning, held = doc["splits"]["tuning"], doc["splits"]["held_out"]
    # frame-viewer is a tuning design, frame-web a held-out one; flat alternates
    for half in (tuning, held):
        assert half["counts"]["stress_originals"] == 2 + 1
        assert half["counts"]["originals"] == 2
    plain = next(m for m in doc["methods"] if m["name"] == "phash-8")
    row = plain["thresholds"][-1]
    assert "screenshot" in row["per_transform"]
    # plain pHash gives flat images of different colours one hash: wrong pairs, put on "flat"
    by_class = row["wrong_pairs_by_class"]
    assert by_class.get("flat", 0) > 0
    assert set(by_class) <= {"photos", "frame", "flat"}
    assert sum(by_class.values()) >= row["wrong_pairs"] > 0
    assert set(row["wrong_pairs_by_family"]) <= {"photos", "frame-viewer", "frame-web", "flat"}
    proc = cli(
        "eval", str(mixed_photos), "--transforms", "jpeg70", "--hash", "phash", "--hash-size",
        "8", "--thresholds", "0..8", "--stress", "2", "--families", "frame-viewer", "--quiet",
        "--output", str(tmp_path / "table.txt"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    table = (tmp_path / "table.txt").read_text(encoding="utf-8")
    assert "tuning" in table and "held-out" in table
    assert "with frame" in table


def test_eval_cli_rejects_bad_options(cli, few_photos: Path) -> None:  # type: ignore[no-untyped-def]
    proc = cli("eval", str(few_photos), "--hash", "md5")
    assert proc.returncode == 2
    assert "md5" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("eval", str(few_photos), "--thresholds", "a..b")
    assert proc.returncode == 2
    assert "--thresholds" in proc.stderr
    proc = cli("eval", str(few_photos), "--families", "frames")
    assert proc.returncode == 2
    assert "frames" in proc.stderr and "Traceback" not in proc.stderr


def test_verification_in_processes_decides_as_in_one(
    photo_paths: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    from neardup.hashing.views import views_of
    from neardup.tools import confirm

    views = []
    for p in photo_paths[:6]:
        with Image.open(p) as im:
            grey = im.convert("L")
        views += [views_of(grey), views_of(grey.resize((grey.width // 2, grey.height // 2)))]
    distance = np.zeros((len(views), len(views)), dtype=np.int16)  # every pair a candidate
    one = confirm.confirmed(distance, views, jobs=1)
    monkeypatch.setattr(confirm, "PARALLEL_FROM", 1)
    two = confirm.confirmed(distance, views, jobs=2)
    assert (one == two).all()
    assert one[0, 1] and not one[0, 2]  # a copy is confirmed, a different photo not


def test_a_family_alone_shows_what_it_shows_in_a_whole_run(mixed_photos: Path) -> None:
    """``--families X`` reproduces X's images of a run with more families: each picture
    family's tiles do not depend on which other families were asked for."""
    from neardup.tools.measure import collect

    def shown(families: tuple[str, ...]) -> list[tuple[int, bytes]]:
        config = EvalConfig(
            transforms=("jpeg70",), algorithms=("phash",), sizes=(8,), thresholds=(8,),
            stress_per_family=3, families=families, jobs=1,
        )  # fmt: skip
        items = [i for i in collect(mixed_photos, config) if i.family == "frame-slideshow"]
        return [(i.plain["phash-8"], i.views.detailed().tobytes()) for i in items if i.views]

    alone = shown(("frame-slideshow",))
    assert len(alone) == 6  # 3 images, each with its re-saved copy
    # frame-web is of the same (held-out) half and comes first in a whole run
    assert shown(("frame-web", "frame-slideshow")) == alone
