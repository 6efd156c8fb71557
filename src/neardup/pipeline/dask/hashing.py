"""Hashing on Dask workers with the same code path as a local scan.

The file list is cut into tasks of a few hundred files; each worker hashes its task with
:func:`neardup.hashing.core.hash_file` (or :func:`neardup.pipeline.remote.hash_url` for
URLs) and returns compact tuples, so results stream back to the client as tasks finish and
can be written to the catalog in batches. With ``--invariant`` or ``--crop`` the workers
run :func:`neardup.pipeline.remote.analyse_path` instead and also return the alternate
hashes and the verification views (3.3 KB each) from the same decode, which the client
stores with the hashes; the views of images in candidate pairs that the catalog does not
have are decoded on the workers too (:func:`views_on_cluster`), next to the data.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from neardup.hashing.alternates import FeatureOptions, Features
from neardup.hashing.core import Analysed, hash_file
from neardup.hashing.views import Views
from neardup.model import HashOutcome, HashSpec, ImageRecord, Skipped, is_url
from neardup.pipeline.batch import views_or_skip
from neardup.pipeline.remote import analyse_path, hash_url

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
    opts = dict(options or {})
    for item in _stream(client, hash_task, paths, task_files, spec=spec, options=opts):
        yield from_compact(item)


def _stream(
    client: Any, task: Callable[..., list[Any]], paths: Sequence[str], task_files: int, **kw: Any
) -> Iterator[Any]:
    """Run ``task`` over batches of ``paths`` on the cluster; its items as tasks finish."""
    from distributed import as_completed

    batches = [list(paths[i : i + task_files]) for i in range(0, len(paths), task_files)]
    if not batches:
        return
    token = uuid.uuid4().hex[:12]
    futures = client.map(
        task,
        batches,
        **kw,
        pure=False,
        key=[f"neardup-{task.__name__}-{token}-{i}" for i in range(len(batches))],
    )
    try:
        for future in as_completed(futures):
            yield from future.result()
    finally:
        for f in futures:
            f.cancel()


Feature = tuple[Compact, tuple[int, ...], bytes | None]


def analyse_task(
    paths: Sequence[str], spec: HashSpec, options: FeatureOptions, max_pixels: int
) -> list[Feature]:
    """Run on a worker: hash, alternates and views of ``paths`` from one decode each."""
    out: list[Feature] = []
    for path in paths:
        got = analyse_path(path, spec, options, max_pixels)
        feats = got.features or Features()
        views = None if feats.views is None else feats.views.to_bytes()
        out.append((to_compact(got.outcome), feats.alternates, views))
    return out


def analyse_on_cluster(
    client: Any,
    paths: Sequence[str],
    spec: HashSpec,
    options: FeatureOptions,
    *,
    max_pixels: int,
    task_files: int = TASK_FILES,
) -> Iterator[Analysed]:
    """:func:`analyse_task` over ``paths`` on the cluster, as tasks finish."""
    for compact, alternates, views in _stream(
        client,
        analyse_task,
        paths,
        task_files,
        spec=spec,
        options=options,
        max_pixels=max_pixels,
    ):
        outcome = from_compact(compact)
        if isinstance(outcome, Skipped):
            yield Analysed(outcome)
            continue
        view = None if views is None else Views.from_bytes(views)
        yield Analysed(outcome, Features(tuple(alternates), view))


def views_task(paths: Sequence[str], max_pixels: int) -> list[tuple[str, bytes | Skipped]]:
    """Run on a worker: the verification views of ``paths`` (or why not)."""
    out: list[tuple[str, bytes | Skipped]] = []
    for path in paths:
        got = views_or_skip(path, max_pixels)
        out.append((path, got if isinstance(got, Skipped) else got.to_bytes()))
    return out


def views_on_cluster(
    client: Any, paths: Sequence[str], *, max_pixels: int, task_files: int = 64
) -> Iterator[tuple[str, Views | Skipped]]:
    """``(path, views or why not)`` of ``paths``, decoded on the workers."""
    for path, got in _stream(client, views_task, paths, task_files, max_pixels=max_pixels):
        yield path, got if isinstance(got, Skipped) else Views.from_bytes(got)
