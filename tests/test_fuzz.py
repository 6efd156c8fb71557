"""Fuzzing the decode path and the journal reader: no input escapes as an exception.

A brief run is part of the default suite; ``-m slow`` runs 100,000 generated inputs per
target (figures in docs/safety.md), or ``NEARDUP_FUZZ_EXAMPLES`` of them (CI runs a
quarter of that to stay within its time). Inputs are random bytes and mutations
(flipped, cut, inserted and repeated bytes) of small valid files.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from neardup.actions.journal import read_journal
from neardup.hashing.core import hash_file
from neardup.hashing.quality import encoding
from neardup.model import HashSpec, ImageRecord, Skipped
from neardup.pipeline.keep import exif_datetime_ns
from neardup.report.actions import history_rows

#: Pillow's own remarks on broken files (truncated data, odd tags) are expected here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

BRIEF, LONG = 300, int(os.environ.get("NEARDUP_FUZZ_EXAMPLES") or 100_000)
#: Small enough that a fuzzed header claiming a huge image is refused before decoding.
MAX_PIXELS = 4_000_000


def _image_seeds() -> list[bytes]:
    img = Image.linear_gradient("L").resize((32, 24)).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif.get_ifd(0x8769)[0x9003] = "2020:01:02 03:04:05"
    seeds = []
    for fmt, kw in (
        ("JPEG", {"quality": 50, "exif": exif}),
        ("PNG", {}),
        ("GIF", {}),
        ("BMP", {}),
        ("TIFF", {"exif": exif}),
        ("WEBP", {"quality": 50}),
        ("WEBP", {"lossless": True}),
    ):
        buf = io.BytesIO()
        img.save(buf, format=fmt, **kw)
        seeds.append(buf.getvalue())
    return seeds


def _journal_seed() -> bytes:
    rid = "20260101T000000.000000Z-abcd"
    recs = [
        {"type": "run", "journal_version": 1, "action": "move", "target": "/t", "files": 2},
        {"type": "intent", "seq": 0, "group": 1, "action": "move", "path": "/p/a.jpg",
         "dest": "/t/a.jpg", "info": None, "keeper": "/p/k.jpg", "size": 3, "mtime_ns": 1,
         "hash": "00", "partial": "/t/.a.jpg.neardup-partial"},
        {"type": "done", "seq": 0},
        {"type": "intent", "seq": 1, "group": 1, "action": "hardlink", "path": "/p/b.jpg",
         "dest": None, "info": None, "keeper": "/p/k.jpg", "size": 3, "mtime_ns": 1},
        {"type": "failed", "seq": 1, "reason": "x"},
        {"type": "skip", "path": "/p/c.jpg", "reason": "changed", "detail": ""},
        {"type": "end", "status": "completed", "summary": {}},
        {"type": "undo"}, {"type": "undone", "seq": 0, "status": "restored"},
        {"type": "torn", "line": 3},
    ]  # fmt: skip
    return b"".join(json.dumps({"run_id": rid, **r}).encode() + b"\n" for r in recs)


def _mutated(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """A seed with a few random edits, or plain random bytes."""
    edit = st.tuples(
        st.sampled_from(["flip", "cut", "insert", "repeat", "zero"]),
        st.integers(0, 1 << 16),
        st.binary(min_size=1, max_size=8),
    )

    def apply(seed: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
        data = bytearray(seed)
        for kind, where, extra in edits:
            at = where % (len(data) + 1)
            if kind == "flip" and data:
                data[at % len(data)] ^= extra[0] or 1
            elif kind == "cut":
                del data[at : at + len(extra) * 16]
            elif kind == "insert":
                data[at:at] = extra
            elif kind == "repeat":
                data[at:at] = data[at : at + 64]
            else:
                data[at : at + len(extra)] = bytes(len(extra))
        return bytes(data)

    return st.one_of(
        st.builds(apply, st.sampled_from(seeds), st.lists(edit, min_size=1, max_size=4)),
        st.binary(max_size=512),
    )


def _run(examples: int, data: st.SearchStrategy[bytes], target: Callable[[Path], None]) -> int:
    """Feed ``examples`` generated files to ``target``; returns how many ran."""
    ran = itertools.count()
    with tempfile.TemporaryDirectory() as tmp:
        names = (Path(tmp) / f"f{k}" for k in itertools.count())

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data)
        def check(blob: bytes) -> None:
            path = next(names)
            path.write_bytes(blob)
            try:
                target(path)
            finally:
                path.unlink()
            next(ran)

        check()
    return next(ran)


def _decode(path: Path) -> None:
    outcome = hash_file(path, HashSpec(), max_pixels=MAX_PIXELS, trim=True)
    assert isinstance(outcome, ImageRecord | Skipped)
    st_ = path.stat()
    encoding(str(path), st_.st_size, st_.st_mtime_ns)  # the keep rules' header reads
    exif_datetime_ns(str(path))


def _journal(path: Path) -> None:
    run = read_journal(path)
    history_rows([run])
    assert run.status in ("completed", "interrupted", "stopped", "damaged") or run.end
    for rec in run.intents.values():  # what undo relies on
        assert isinstance(rec["path"], str) and isinstance(rec["action"], str)
        assert isinstance(rec["seq"], int)


@pytest.mark.parametrize(
    "examples", [BRIEF, pytest.param(LONG, marks=[pytest.mark.slow, pytest.mark.timeout(7200)])]
)
def test_fuzz_decode(examples: int) -> None:
    ran = _run(examples, _mutated(_image_seeds()), _decode)
    print(f"decode path: {ran} inputs")
    assert ran >= examples * 0.95


@pytest.mark.parametrize(
    "examples", [BRIEF, pytest.param(LONG, marks=[pytest.mark.slow, pytest.mark.timeout(7200)])]
)
def test_fuzz_journal_reader(examples: int) -> None:
    ran = _run(examples, _mutated([_journal_seed()]), _journal)
    print(f"journal reader: {ran} inputs")
    assert ran >= examples * 0.95
