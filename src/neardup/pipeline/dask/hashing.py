"""Hashing on Dask workers with the same code path as a local scan.

The file list is cut into tasks of a few hundred files; each worker hashes its task with
:func:`neardup.hashing.core.hash_file` (or :func:`neardup.pipeline.remote.hash_url` for
URLs) and returns compact tuples, so results stream back to the client as tasks finish and
can be written to the catalog in batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from neardup.hashing.core import hash_file
from neardup.model import HashOutcome, HashSpec, ImageRecord, Skipped, is_url
from neardup.pipeline.remote import hash_url

#: Files per Dask task.
TASK_FILES = 256

Compact = tuple[str, int, int, int, int, int, str, str, int, tuple[float, ...] | None]


def hash_task(paths: Sequence[str], spec: HashSpec, options: dict[str, Any]) -> list[Compact]:
    """Run on a worker: hash ``paths``; one compact tuple per file.

    Tuple: ``(path, bytes, mtime_ns, hash, width, height, error_reason, error_detail,
    trim_hash, trim_box)``; ``error_reason`` is ``""`` for a hashed image, ``trim_hash`` is
    -1 when the image was not trimmed.
    """
    out: list[Compact] = []
    for path in paths:
        outcome = (
            hash_url(path, spec, **options) if is_url(path) else hash_file(path, spec, **options)
        )
        out.append(to_compact(outcome))
    return out


def to_compact(outcome: HashOutcome) -> Compact:
    if isinstance(outcome, ImageRecord):
        return (
            outcome.path,
            outcome.size,
            outcome.mtime_ns,
            outcome.hash,
            outcome.width,
            outcome.height,
            "",
            "",
            -1 if outcome.trim_hash is None else outcome.trim_hash,
            outcome.trim_box,
        )
    return (outcome.path, 0, 0, 0, 0, 0, outcome.reason, outcome.detail, -1, None)


def from_compact(t: Compact) -> HashOutcome:
    path, size, mtime_ns, value, width, height, reason, detail, trim_hash, box = t
    if reason:
        return Skipped(path, reason, detail)
    return ImageRecord(
        path,
        value,
        width,
        height,
        size,
        mtime_ns,
        trim_hash=None if trim_hash < 0 else trim_hash,
        trim_box=None if box is None else (box[0], box[1], box[2], box[3]),
    )


def hash_on_cluster(
    client: Any,
    paths: Sequence[str],
    spec: HashSpec,
    *,
    task_files: int = TASK_FILES,
    options: dict[str, Any] | None = None,
) -> Iterator[HashOutcome]:
    """Hash ``paths`` on the cluster behind ``client``, yielding outcomes as tasks finish."""
    from distributed import as_completed

    opts = dict(options or {})
    batches = [list(paths[i : i + task_files]) for i in range(0, len(paths), task_files)]
    if not batches:
        return
    futures = client.map(
        hash_task,
        batches,
        spec=spec,
        options=opts,
        pure=False,
        key=[f"neardup-hash-{i}" for i in range(len(batches))],
    )
    try:
        for future in as_completed(futures):
            for item in future.result():
                yield from_compact(item)
    finally:
        for f in futures:
            f.cancel()
