"""The full evaluation on the 150 photos of the full corpus, asserting the documented accuracy
(slow; needs ``NEARDUP_CORPUS``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from neardup.api import DEFAULT_THRESHOLD
from neardup.tools.evaluation import (
    DEFAULT_METHOD,
    TARGET_PRECISION,
    EvalConfig,
    Evaluation,
    evaluate,
)
from neardup.tools.stress import FAMILIES
from neardup.tools.transforms import PHOTOMETRIC, TRANSFORMS

# The evaluation behind every test here takes several minutes on 2 cores (more under load).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def evaluation(full_corpus: Path) -> Evaluation:
    # The set the documented defaults were tuned on: the four same-composition families,
    # the transforms without the screenshot.
    config = EvalConfig(
        transforms=tuple(t for t in TRANSFORMS if t != "screenshot"),
        algorithms=("phash",),
        sizes=(8,),
        families=FAMILIES,
    )
    return evaluate(full_corpus / "photos", config)


def _at(ev: Evaluation, name: str, threshold: int):  # type: ignore[no-untyped-def]
    row = ev.method(name).at(threshold)
    assert row is not None, f"{name} has no row at {threshold}"
    return row


def test_default_options_keep_precision_and_find_edits(evaluation: Evaluation) -> None:
    _, score, per = _at(evaluation, DEFAULT_METHOD, DEFAULT_THRESHOLD)
    assert score.precision >= TARGET_PRECISION
    for t in PHOTOMETRIC:
        assert per[t].recall_photos == 1.0, t
    assert per["watermark"].recall_photos >= 0.95
    # 5% borders: 91% of the photos on the extended set since frames that are not one colour
    # are trimmed too (was 97%; docs/accuracy.md), so the bar keeps a margin below that
    assert per["border5"].recall_photos >= 0.85


def test_plain_hash_cannot_separate_same_composition(evaluation: Evaluation) -> None:
    _, score, per = _at(evaluation, "phash-8", DEFAULT_THRESHOLD)
    assert score.precision < 0.9
    assert per["jpeg30"].recall_photos == 1.0


def test_invariance_finds_flips_and_quarter_turns(evaluation: Evaluation) -> None:
    _, score, per = _at(evaluation, "phash-8+trim+invariant+crop+verify", DEFAULT_THRESHOLD)
    assert score.precision >= TARGET_PRECISION
    assert per["hflip"].recall_photos >= 0.95
    assert per["rot90"].recall_photos >= 0.95


def test_crop_option_finds_small_crops_and_rotations(evaluation: Evaluation) -> None:
    _, score, per = _at(evaluation, "phash-8+trim+crop+verify", DEFAULT_THRESHOLD)
    assert score.precision >= TARGET_PRECISION
    assert per["crop5"].recall_photos >= 0.85
    assert per["rot5"].recall_photos >= 0.60
    # The crop hashes alone find the crops too, but cannot keep the lookalikes apart.
    _, unverified, _ = _at(evaluation, "phash-8+trim+crop", DEFAULT_THRESHOLD)
    assert unverified.precision < TARGET_PRECISION


def test_baselines_are_less_precise(evaluation: Evaluation) -> None:
    by_name = {name: score for name, _, score, _ in evaluation.baselines}
    assert by_name["imagededup"].precision < 0.9
    assert by_name["kdtree-hex-manhattan"].recall < 0.5
