"""A Parquet hash store: the catalog's hashes as a dataset that a cluster can share.

``neardup scan … --store URL`` keeps hashes in a directory at any fsspec URL (a local
folder, ``s3://bucket/hashes``, ...) instead of the local SQLite catalog, which cannot hold
the hashes of many machines. Layout (schema version 3, docs/scale-out.md)::

    URL/neardup-store.json                          {"format": "neardup-hash-store",
                                                     "schema_version": 3}
    URL/hashes/kind=<algorithm>-<size>-<mode>/part-<ns>-<hex>.parquet

Each scan that hashed something adds part files (append-only, never rewritten); the row
of a path in the newest part file wins. Columns: ``path`` (string), ``size``,
``mtime_ns`` (int64, of the file as hashed), ``etag`` (string or null: object stores),
``algorithm`` (string), ``hash_size`` (int16), ``mode`` (string), ``hash`` and
``trim_hash`` (big-endian binary of ``hash_size²`` bits, null for a skipped file or one
hashed without trimming), ``trim_box`` (four float64 or null), ``width``, ``height``
(int32), ``views`` (binary verification views or null), ``error`` and ``error_detail``
(string, null for an image), ``hashed_at_ns`` (int64); since version 2 also
``alternates_kind`` and ``alternates`` (the alternate hashes of ``--invariant``/``--crop``
and which kind they are, :func:`neardup.catalog.extras.alternates_kind`; null without);
since version 3 ``features`` (int32: :data:`neardup.catalog.migrations.FEATURES_VERSION`
of the neardup that wrote the row). Parts written by earlier versions lack those columns
and are read as if they were null. A row of an older search (``features`` lower than
this neardup's, or null) is read without its trimmed hash, box, views and alternates, so
a scan that needs them computes them again, as the catalog's migrations make it do.

A rescan with the same store hashes only files whose size, modification time or ETag
changed, exactly like the catalog.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from neardup.catalog.extras import alternates_from_bytes, alternates_kind, alternates_to_bytes
from neardup.catalog.hashes import CACHED_FAILURES, hash_mode
from neardup.catalog.migrations import FEATURES_VERSION
from neardup.errors import ExtraMissing, UsageError, install_hint
from neardup.hashing.views import Views
from neardup.model import HashOutcome, HashSpec, ImageRecord, Skipped, is_url
from neardup.pipeline.cached import Hashed, hash_paths
from neardup.pipeline.remote import mtime_ns

SCHEMA_VERSION = 3
FORMAT = "neardup-hash-store"
MANIFEST = "neardup-store.json"
#: Rows per part file written.
PART_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class Stat:
    """What decides whether a stored hash is still valid."""

    size: int
    mtime_ns: int
    etag: str | None = None


@dataclass(slots=True)
class Found:
    """Valid stored outcomes by path, and the stored views and alternates of those images."""

    outcomes: dict[str, HashOutcome] = field(default_factory=dict)
    views: dict[str, Views] = field(default_factory=dict)
    alternates: dict[str, tuple[int, ...]] = field(default_factory=dict)


def _require() -> Any:
    try:
        import fsspec
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise ExtraMissing(
            f"--store needs fsspec and pyarrow ({exc.name} is missing)", hint=install_hint("dask")
        ) from None
    return fsspec


def _etag(info: Mapping[str, Any]) -> str | None:
    for key in ("ETag", "etag", "md5Hash", "md5"):
        value = info.get(key)
        if value:
            return str(value).strip('"')
    return None


def stat_paths(paths: Iterable[str]) -> dict[str, Stat]:
    """Current size, mtime and (for URLs, where the filesystem has one) ETag of ``paths``;
    paths that cannot be read are left out."""
    out: dict[str, Stat] = {}
    for path in paths:
        if not is_url(path):
            try:
                st = os.stat(path)
            except OSError:
                continue
            out[path] = Stat(st.st_size, st.st_mtime_ns)
            continue
        fsspec = _require()
        try:
            fs, inner = fsspec.core.url_to_fs(path)
            info = fs.info(inner)
        except (OSError, ValueError):
            continue
        out[path] = Stat(int(info.get("size") or 0), mtime_ns(info), _etag(info))
    return out


class HashStore:
    """The store at ``url``: created with its manifest when missing, checked otherwise."""

    def __init__(self, url: str) -> None:
        fsspec = _require()
        self.url = url.rstrip("/")
        try:
            self.fs, self.root = fsspec.core.url_to_fs(self.url)
        except (ImportError, ValueError) as exc:
            raise UsageError(f"cannot open the store {url}: {exc}") from None
        self.root = self.root.rstrip("/")
        manifest = f"{self.root}/{MANIFEST}"
        try:
            if self.fs.exists(manifest):
                with self.fs.open(manifest, "rb") as fh:
                    doc = json.loads(fh.read())
                if doc.get("format") != FORMAT:
                    raise UsageError(f"{url} is not a neardup hash store")
                version = int(doc.get("schema_version", 0))
                if version > SCHEMA_VERSION:
                    raise UsageError(
                        f"the store {url} has schema version {doc.get('schema_version')}; "
                        f"this neardup reads up to {SCHEMA_VERSION}: upgrade neardup"
                    )
            else:
                self.fs.makedirs(self.root, exist_ok=True)
                version = 0
            if version < SCHEMA_VERSION:  # new, or older parts that later ones extend
                with self.fs.open(manifest, "wb") as fh:
                    fh.write(
                        json.dumps({"format": FORMAT, "schema_version": SCHEMA_VERSION}).encode()
                    )
        except OSError as exc:
            raise UsageError(f"cannot use the store {url}: {exc}") from None

    def _kind_dir(self, spec: HashSpec) -> str:
        mode = hash_mode(spec).replace(",", "+").replace("=", "-")
        return f"{self.root}/hashes/kind={spec.algorithm}-{spec.size}-{mode}"

    def kinds(self) -> list[HashSpec]:
        """The hash kinds the store holds (fast and compat modes)."""
        out: list[HashSpec] = []
        folder = f"{self.root}/hashes"
        if not self.fs.exists(folder):
            return out
        for sub in sorted(self.fs.ls(folder, detail=False)):
            name = sub.rstrip("/").rsplit("/", 1)[-1].removeprefix("kind=")
            algorithm, _, rest = name.partition("-")
            size, _, mode = rest.partition("-")
            if size.isdigit() and mode in ("fast", "compat"):
                out.append(HashSpec(algorithm, int(size), compat=mode == "compat"))
        return out

    def parts(self, spec: HashSpec) -> list[str]:
        """The part files of ``spec``'s hashes, oldest first."""
        folder = self._kind_dir(spec)
        if not self.fs.exists(folder):
            return []
        return sorted(p for p in self.fs.ls(folder, detail=False) if p.endswith(".parquet"))

    def rows(
        self, spec: HashSpec, columns: Sequence[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The newest stored row of every path of ``spec``'s kind."""
        import pyarrow.parquet as pq

        latest: dict[str, dict[str, Any]] = {}
        wanted = list(columns) if columns else list(_COLUMNS)
        if "features" not in wanted:
            wanted.append("features")
        for part in self.parts(spec):
            with self.fs.open(part, "rb") as fh:
                present = set(pq.ParquetFile(fh).schema_arrow.names)
                fh.seek(0)
                table = pq.read_table(fh, columns=[c for c in wanted if c in present])
            missing = dict.fromkeys(c for c in wanted if c not in present)  # an older part
            for row in table.to_pylist():
                latest[row["path"]] = row | missing if missing else row
        for row in latest.values():
            if (row["features"] or 0) < FEATURES_VERSION:  # an older search's features
                row.update((k, None) for k in _FEATURES if k in row)
            yield row

    def lookup(
        self,
        stats: Mapping[str, Stat],
        spec: HashSpec,
        *,
        trim: bool,
        views: bool,
        alternates: str = "",
    ) -> Found:
        """Stored outcomes (and views, with ``views``) of ``stats``' paths still valid now;
        with ``alternates`` (a kind, :func:`alternates_kind`) only images stored with
        alternates of that kind, and those."""
        found = Found()
        skip = {"views"} if not views else set()
        if not alternates:
            skip |= {"alternates_kind", "alternates"}
        columns = [c for c in _COLUMNS if c not in skip]
        for row in self.rows(spec, columns):
            st = stats.get(row["path"])
            if st is None or st.size != row["size"] or st.mtime_ns != row["mtime_ns"]:
                continue
            if st.etag is not None and row["etag"] is not None and st.etag != row["etag"]:
                continue
            outcome = outcome_of(row)
            if outcome is None or (trim and isinstance(outcome, ImageRecord)
                                   and outcome.trim_hash is None):  # fmt: skip
                continue
            if alternates and isinstance(outcome, ImageRecord):
                if row["alternates_kind"] != alternates or row["alternates"] is None:
                    continue  # hashed without them (or with others): computed again
                try:
                    found.alternates[row["path"]] = alternates_from_bytes(row["alternates"], spec)
                except ValueError:  # damaged: computed again
                    continue
            found.outcomes[row["path"]] = outcome
            if views and row.get("views") is not None:
                found.views[row["path"]] = Views.from_bytes(row["views"])
        return found

    def append(
        self,
        outcomes: Iterable[HashOutcome],
        spec: HashSpec,
        *,
        stats: Mapping[str, Stat] | None = None,
        views: Mapping[str, Views | bytes] | None = None,
        alternates: Mapping[str, tuple[int, ...]] | None = None,
        kind: str = "",
    ) -> int:
        """Write ``outcomes`` as new part files (with their ``alternates`` of ``kind``, where
        given); returns the rows written."""
        alts = alternates or {}
        rows = [
            r
            for o in outcomes
            if (
                r := row_of(
                    o,
                    spec,
                    (stats or {}).get(o.path),
                    (views or {}).get(o.path),
                    None if o.path not in alts else (kind, alternates_to_bytes(alts[o.path], spec)),
                )
            )
        ]
        for i in range(0, len(rows), PART_ROWS):
            self._write(rows[i : i + PART_ROWS], spec)
        return len(rows)

    def _write(self, rows: list[dict[str, Any]], spec: HashSpec) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(rows, schema=schema())
        folder = self._kind_dir(spec)
        self.fs.makedirs(folder, exist_ok=True)
        name = f"{folder}/part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        with self.fs.open(name, "wb") as fh:
            pq.write_table(table, fh)


_COLUMNS = (
    "path", "size", "mtime_ns", "etag", "algorithm", "hash_size", "mode", "hash", "trim_hash",
    "trim_box", "width", "height", "views", "error", "error_detail", "hashed_at_ns",
    "alternates_kind", "alternates", "features",
)  # fmt: skip
#: The columns computed by the margin and picture search, views and alternates.
_FEATURES = ("trim_hash", "trim_box", "views", "alternates_kind", "alternates")


def schema() -> Any:
    """The pyarrow schema of a part file (schema version 3)."""
    import pyarrow as pa

    return pa.schema(
        [
            ("path", pa.string()),
            ("size", pa.int64()),
            ("mtime_ns", pa.int64()),
            ("etag", pa.string()),
            ("algorithm", pa.string()),
            ("hash_size", pa.int16()),
            ("mode", pa.string()),
            ("hash", pa.binary()),
            ("trim_hash", pa.binary()),
            ("trim_box", pa.list_(pa.float64(), 4)),
            ("width", pa.int32()),
            ("height", pa.int32()),
            ("views", pa.binary()),
            ("error", pa.string()),
            ("error_detail", pa.string()),
            ("hashed_at_ns", pa.int64()),
            ("alternates_kind", pa.string()),
            ("alternates", pa.binary()),
            ("features", pa.int32()),
        ]
    )


def row_of(
    outcome: HashOutcome,
    spec: HashSpec,
    stat: Stat | None,
    views: Views | bytes | None = None,
    alternates: tuple[str, bytes] | None = None,
) -> dict[str, Any] | None:
    """The stored row of one outcome (``None``: a failure not worth remembering);
    ``alternates``: their kind and their bytes."""
    nbytes = spec.bits // 8
    base = {
        "path": outcome.path,
        "etag": None if stat is None else stat.etag,
        "algorithm": spec.algorithm,
        "hash_size": spec.size,
        "mode": hash_mode(spec),
        "hashed_at_ns": time.time_ns(),
        "views": views.to_bytes() if isinstance(views, Views) else views,
        "alternates_kind": None if alternates is None else alternates[0],
        "alternates": None if alternates is None else alternates[1],
        "features": FEATURES_VERSION,
    }
    if isinstance(outcome, ImageRecord):
        return base | {
            "size": outcome.size,
            "mtime_ns": outcome.mtime_ns,
            "hash": outcome.hash.to_bytes(nbytes, "big"),
            "trim_hash": None
            if outcome.trim_hash is None
            else outcome.trim_hash.to_bytes(nbytes, "big"),
            "trim_box": None if outcome.trim_box is None else list(outcome.trim_box),
            "width": outcome.width,
            "height": outcome.height,
            "error": None,
            "error_detail": None,
        }
    if stat is None or outcome.reason not in CACHED_FAILURES:
        return None
    return base | {
        "size": stat.size,
        "mtime_ns": stat.mtime_ns,
        "hash": None,
        "trim_hash": None,
        "trim_box": None,
        "width": None,
        "height": None,
        "error": outcome.reason,
        "error_detail": outcome.detail,
    }


def outcome_of(row: Mapping[str, Any]) -> HashOutcome | None:
    """The outcome a stored row stands for (``None``: a failure worth retrying)."""
    if row["hash"] is None:
        if row["error"] == "too-large":  # the pixel limit may differ: try again
            return None
        return Skipped(row["path"], row["error"] or "corrupt", row["error_detail"] or "")
    box = row["trim_box"]
    return ImageRecord(
        row["path"],
        int.from_bytes(row["hash"], "big"),
        int(row["width"]),
        int(row["height"]),
        int(row["size"]),
        int(row["mtime_ns"]),
        trim_hash=None if row["trim_hash"] is None else int.from_bytes(row["trim_hash"], "big"),
        trim_box=None if box is None else (box[0], box[1], box[2], box[3]),
    )


def hash_stored(
    paths: Sequence[str],
    spec: HashSpec,
    store: HashStore,
    *,
    rehash: bool = False,
    trim: bool = False,
    views: bool = False,
    invariant: frozenset[str] = frozenset(),
    crop: bool = False,
    progress: Callable[[int, int], None] | None = None,
    **hashing: Any,
) -> Hashed:
    """:func:`neardup.pipeline.cached.hash_paths` with ``store`` in place of the catalog:
    valid stored outcomes (with their alternates of ``invariant``/``crop``, when asked for)
    are reused, the rest hashed (``hashing``: ``max_pixels``, ``jobs``, ``hasher``) and
    appended to the store."""
    kind = alternates_kind(trim, invariant, crop) if invariant or crop else ""
    stats = stat_paths(paths)
    found = (
        Found() if rehash else store.lookup(stats, spec, trim=trim, views=views, alternates=kind)
    )
    todo = [p for p in paths if p not in found.outcomes]
    done = len(paths) - len(todo)

    def shifted(k: int, _total: int) -> None:
        if progress is not None:
            progress(done + k, len(paths))

    fresh = hash_paths(
        todo, spec, catalog=None, progress=shifted, trim=trim, views=views,
        invariant=invariant, crop=crop, **hashing,
    )  # fmt: skip
    store.append(
        fresh.outcomes.values(),
        spec,
        stats=stats,
        views=fresh.views,
        alternates=fresh.alternates,
        kind=kind,
    )
    out = Hashed(
        outcomes={**found.outcomes, **fresh.outcomes},
        views={**found.views, **fresh.views},
        alternates={**found.alternates, **fresh.alternates},
        computed=fresh.computed,
    )
    out.from_catalog = sum(isinstance(o, ImageRecord) for o in found.outcomes.values())
    return out
