"""The hash catalog through the library: incremental rescans, faults, concurrency."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import neardup
import neardup.pipeline.cached
from neardup.catalog import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Catalog,
    default_path,
    load_last_scan,
    save_last_scan,
)
from neardup.errors import CatalogError, CatalogRecoveredWarning, NoSavedScanError
from neardup.hashing.core import hash_file
from neardup.model import HashSpec, ImageRecord
from tests.conftest import photo
from tests.imaging import write_noise_images

#: Small distinct PNGs in the noise library, 250 per sub-folder: part00 and part01.
N_LIBRARY = 400
LAST = f"part01/img{N_LIBRARY - 1:05d}.png"


def scan(paths: Any, **kwargs: Any) -> neardup.ScanResult:
    """Scan with hashing in this process, so the Pillow opens are counted."""
    return neardup.scan(paths, jobs=1, **kwargs)


@pytest.fixture(scope="session")
def noise_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only template: ``N_LIBRARY`` small distinct PNGs in two sub-folders."""
    root = tmp_path_factory.mktemp("noise") / "library"
    write_noise_images(root, N_LIBRARY)
    return root


@pytest.fixture
def library_copy(noise_library: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "library"
    shutil.copytree(noise_library, dest)
    return dest


@pytest.fixture
def small_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "small"
    write_noise_images(folder, 20, seed=7)
    return folder


def catalog_rows(path: Path) -> dict[str, tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT f.path, f.vanished_at, h.algorithm, h.hash_size, h.hash, h.error_reason"
            " FROM files f LEFT JOIN hashes h ON h.file_id = f.id"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_second_scan_decodes_nothing(noise_library: Path, opened: list[str]) -> None:
    first = scan([noise_library])
    assert len(first.records) == N_LIBRARY and first.from_catalog == 0
    assert len(set(opened)) >= N_LIBRARY  # the counter sees every decode
    opened.clear()
    second = scan([noise_library])
    assert opened == []
    assert second.from_catalog == N_LIBRARY
    assert second.records == first.records  # same paths, hashes, sizes, in the same order
    assert second.summary()["images_from_catalog"] == N_LIBRARY


def test_touching_one_file_rehashes_exactly_it(library_copy: Path, opened: list[str]) -> None:
    scan([library_copy])
    touched = library_copy / "part01" / "img00300.png"
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    opened.clear()
    result = scan([library_copy])
    assert set(opened) == {str(touched)}
    assert result.from_catalog == N_LIBRARY - 1

    # new content, same name: exactly that file is decoded and its new hash is used
    changed = library_copy / LAST
    old = next(r for r in result.records if r.path == str(changed))
    write_noise_images(library_copy / "fresh", 1, seed=12345)[0].replace(changed)
    opened.clear()
    result = scan([library_copy])
    assert set(opened) == {str(changed)}
    new = next(r for r in result.records if r.path == str(changed))
    expected = hash_file(changed)
    assert isinstance(expected, ImageRecord)
    assert new.hash == expected.hash != old.hash


def test_vanished_files_are_marked_then_pruned(small_folder: Path) -> None:
    scan([small_folder])
    gone = small_folder / "part00" / "img00003.png"
    gone.unlink()
    result = scan([small_folder])
    assert str(gone) not in {r.path for r in result.records}
    rows = catalog_rows(default_path())
    assert rows[str(gone)][0] is not None  # marked vanished, not silently kept
    assert all(v[0] is None for p, v in rows.items() if p != str(gone))
    with Catalog() as cat:
        records, _ = cat.images(HashSpec())
        assert str(gone) not in {r.path for r in records} and len(records) == 19
        assert cat.prune() == [str(gone)]
        assert cat.stats().files == 19


def test_excluded_files_are_not_marked_vanished(small_folder: Path) -> None:
    scan([small_folder])
    scan([small_folder], exclude=["img00001.png"])
    rows = catalog_rows(default_path())
    assert all(v[0] is None for v in rows.values())


@pytest.mark.parametrize("extra", [{"crop": False}, {}, {"invariant": "flip"}])
def test_moved_file_keeps_its_hash_without_decoding(
    small_folder: Path, opened: list[str], extra: dict[str, Any]
) -> None:
    """A file found by inode under a new path keeps its hash, and its views and alternates
    go with it: neither this scan nor the next decodes it."""
    first = scan([small_folder], **extra)
    src = small_folder / "part00" / "img00005.png"
    dest = small_folder / "part00" / "renamed.png"
    src.rename(dest)
    opened.clear()
    result = scan([small_folder], **extra)
    assert opened == []
    with sqlite3.connect(default_path()) as conn:
        for table in ("views", "alternates"):
            moved = conn.execute(
                f"SELECT COUNT(*) FROM {table} t JOIN files f ON f.id = t.file_id WHERE f.path = ?",
                (str(dest),),
            ).fetchone()[0]
            assert moved == (0 if table == "alternates" and extra.get("crop") is False else 1)
    assert scan([small_folder], **extra).groups == result.groups
    assert opened == []
    by_path = {r.path: r.hash for r in result.records}
    assert by_path[str(dest)] == {r.path: r.hash for r in first.records}[str(src)]
    rows = catalog_rows(default_path())
    assert rows[str(src)][0] is not None and rows[str(dest)][0] is None


def test_failures_are_cached_unless_rehash(small_folder: Path, opened: list[str]) -> None:
    bad = small_folder / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    first = scan([small_folder])
    assert [s.path for s in first.skipped] == [str(bad)]
    opened.clear()
    second = scan([small_folder])
    assert opened == []
    assert [(s.path, s.reason) for s in second.skipped] == [(str(bad), first.skipped[0].reason)]
    third = scan([small_folder], rehash=True)
    assert len(set(opened)) == 21 and len(third.records) == 20


def test_too_large_is_retried_under_a_higher_limit(small_folder: Path) -> None:
    first = scan([small_folder], max_pixels=100)
    assert {s.reason for s in first.skipped} == {"too-large"} and not first.records
    assert len(scan([small_folder], max_pixels=100).skipped) == 20
    assert len(scan([small_folder]).records) == 20


def test_hash_kinds_live_side_by_side(small_folder: Path, opened: list[str]) -> None:
    p8 = scan([small_folder])
    d16 = scan([small_folder], hash="dhash", hash_size=16)
    assert d16.from_catalog == 0
    opened.clear()
    again = scan([small_folder])
    assert opened == [] and again.records == p8.records
    compat = scan([small_folder], compat=True)  # ImageHash-exact hashes are kept apart
    assert compat.from_catalog == 0 and len(set(opened)) == 20
    assert scan([small_folder], compat=True).from_catalog == 20
    with Catalog() as cat:
        assert cat.stats().hashes == {"dhash/256": 20, "phash/64": 20, "phash/64 (compat)": 20}
        _, hashes = cat.images(HashSpec("dhash", 16))
        assert hashes.shape == (20, 4)
        assert sorted(r.hash for r in d16.records) == sorted(
            int.from_bytes(row.astype(">u8").tobytes(), "big") for row in hashes
        )


def test_no_cache_neither_reads_nor_writes(small_folder: Path, opened: list[str]) -> None:
    scan([small_folder], use_cache=False)
    assert not default_path().exists()
    scan([small_folder])
    opened.clear()
    scan([small_folder], use_cache=False)
    assert len(set(opened)) == 20


def test_explicit_catalog_object_and_file(small_folder: Path, tmp_path: Path) -> None:
    with Catalog(":memory:") as mem:
        scan([small_folder], catalog=mem)
        assert scan([small_folder], catalog=mem).from_catalog == 20
    target = tmp_path / "elsewhere" / "my.sqlite"
    scan([small_folder], catalog=str(target))
    assert len(catalog_rows(target)) == 20
    assert not default_path().exists()


INTERRUPT_AT = N_LIBRARY * 3 // 5


def test_interrupted_scan_keeps_what_was_hashed(
    library_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = neardup.pipeline.cached.scan_files

    def interrupted(paths: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for k, outcome in enumerate(real(paths, *args, **kwargs)):
            if k == INTERRUPT_AT:
                raise KeyboardInterrupt
            yield outcome

    monkeypatch.setattr(neardup.pipeline.cached, "scan_files", interrupted)
    with pytest.raises(KeyboardInterrupt):
        scan([library_copy])
    assert len(catalog_rows(default_path())) == INTERRUPT_AT
    monkeypatch.setattr(neardup.pipeline.cached, "scan_files", real)
    assert scan([library_copy]).from_catalog == INTERRUPT_AT


def test_outcomes_out_of_order_are_matched_by_path(
    small_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = neardup.pipeline.cached.scan_files

    def reversed_order(paths: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        yield from reversed(list(real(paths, *args, **kwargs)))

    monkeypatch.setattr(neardup.pipeline.cached, "scan_files", reversed_order)
    shuffled = scan([small_folder])
    monkeypatch.setattr(neardup.pipeline.cached, "scan_files", real)
    assert shuffled.records == scan([small_folder], use_cache=False).records


def _truncate_half(p: Path) -> None:
    os.truncate(p, p.stat().st_size // 2)


def _truncate_header(p: Path) -> None:
    os.truncate(p, 100)


def _random_bytes(p: Path) -> None:
    p.write_bytes(np.random.default_rng(1).bytes(p.stat().st_size))


def _random_pages(p: Path) -> None:
    data = bytearray(p.read_bytes())
    rng = np.random.default_rng(2)
    data[4096:] = rng.bytes(len(data) - 4096)
    p.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [_truncate_half, _truncate_header, _random_bytes, _random_pages],
    ids=lambda f: f.__name__,
)
def test_corrupt_catalog_is_moved_aside_and_rebuilt(small_folder: Path, damage: Any) -> None:
    for k in range(3):  # enough rows for several pages
        write_noise_images(small_folder / f"more{k}", 40, seed=100 + k)
    total = 20 + 3 * 40
    scan([small_folder])
    path = default_path()
    assert path.stat().st_size > 3 * 4096
    damage(path)
    with pytest.warns(
        CatalogRecoveredWarning, match=r"moved it to \S+catalog\.sqlite\.corrupt-"
    ) as w:
        result = scan([small_folder])
    (message,) = [str(m.message) for m in w if m.category is CatalogRecoveredWarning]
    assert "\n" not in message and len(message) < 250 + len(str(path))
    assert len(result.records) == total and result.from_catalog == 0
    aside = list(path.parent.glob("catalog.sqlite.corrupt-*"))
    assert len(aside) == 1
    assert integrity(path) == "ok" and len(catalog_rows(path)) == total
    assert scan([small_folder]).from_catalog == total


def test_newer_schema_is_refused_not_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with Catalog(path) as cat:
        assert cat.schema_version == SCHEMA_VERSION
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, 'future', 'x')", (SCHEMA_VERSION + 1,)
        )
    with pytest.raises(CatalogError, match="newer"):
        Catalog(path)
    assert path.exists() and not list(tmp_path.glob("*.corrupt-*"))


def test_schema_migrations_are_recorded(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite"):
        pass
    with sqlite3.connect(tmp_path / "c.sqlite") as conn:
        versions = conn.execute("SELECT version FROM schema_migrations").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    assert mode == "wal"


def test_two_processes_scanning_at_once(noise_library: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "shared.sqlite"
    env = dict(os.environ)
    folders = [str(noise_library / "part00"), str(noise_library / "part01")]
    cmd = [sys.executable, "-m", "neardup", "scan", *folders, "--catalog", str(catalog)]
    cmd += ["-q", "-f", "json", "--no-save", "--jobs", "1"]  # the processes race, not workers
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    assert integrity(catalog) == "ok"
    rows = catalog_rows(catalog)
    assert len(rows) == N_LIBRARY and all(v[3] is not None for v in rows.values())
    with Catalog(catalog) as cat:
        assert scan(folders, catalog=cat).from_catalog == N_LIBRARY


def test_last_scan_roundtrip_and_history(small_folder: Path) -> None:
    with pytest.raises(NoSavedScanError):
        load_last_scan()
    first = scan([small_folder])
    save_last_scan(first)
    second = scan([small_folder], threshold=3)
    save_last_scan(second)
    loaded = load_last_scan()
    assert loaded.records == second.records and loaded.settings.threshold == 3
    with Catalog() as cat:
        history = cat.history()
        assert [h["summary"]["images_from_catalog"] for h in history] == [20, 0]
        with sqlite3.connect(default_path()) as conn:
            docs = conn.execute("SELECT COUNT(document) FROM scans").fetchone()[0]
        assert docs == 1  # only the newest scan keeps its full document


def test_old_json_state_is_ignored(neardup_home: Path) -> None:
    state = neardup_home / "state"
    state.mkdir(parents=True, exist_ok=True)
    (state / "last-scan.json").write_text('{"schema_version": 1}', encoding="utf-8")
    with pytest.raises(NoSavedScanError):
        load_last_scan()


@pytest.mark.skipif(sys.platform != "linux", reason="needs file names that are not UTF-8")
def test_file_names_that_are_not_utf8(small_folder: Path) -> None:
    src = small_folder / "part00" / "img00000.png"
    odd = os.fsdecode(os.fsencode(small_folder / "part00") + b"/bad\xff\xfe.png")
    os.rename(src, odd)
    first = scan([small_folder])
    assert odd in {r.path for r in first.records}
    second = scan([small_folder])
    assert second.records == first.records and second.from_catalog == 19  # it is rehashed
    save_last_scan(second)
    assert odd in {r.path for r in load_last_scan().records}


def test_writes_are_batched_in_transactions(noise_library: Path, tmp_path: Path) -> None:
    statements: list[str] = []
    with Catalog(tmp_path / "c.sqlite") as cat:
        cat._conn.set_trace_callback(statements.append)
        scan([noise_library / "part00", noise_library / "part01"], catalog=cat)
    commits = sum(1 for s in statements if s.strip().upper() == "COMMIT")
    inserts = sum(1 for s in statements if s.lstrip().upper().startswith("INSERT INTO FILES"))
    assert inserts == N_LIBRARY  # every file written ...
    assert 2 <= commits <= 50  # ... in a few transactions, not one per file


def test_find_similar_in_the_library(small_folder: Path, tmp_path: Path) -> None:
    original = small_folder / "part00" / "img00004.png"
    with Image.open(original) as im:
        im.resize((96, 96), Image.Resampling.NEAREST).save(tmp_path / "query.jpg", quality=92)
        im.save(small_folder / "part00" / "copy.jpg", quality=80)
    query = tmp_path / "query.jpg"
    scan([small_folder])
    [hit] = neardup.find_similar([query])
    q = hash_file(query)
    assert isinstance(q, ImageRecord) and hit.hash == q.hash
    assert {m.record.path for m in hit.matches} == {
        str(original),
        str(small_folder / "part00" / "copy.jpg"),
    }
    assert all(m.distance == (q.hash ^ m.record.hash).bit_count() <= 10 for m in hit.matches)
    assert len(neardup.find_similar([query], limit=1)[0].matches) == 1
    (small_folder / "part00" / "copy.jpg").unlink()  # gone, not rescanned: not offered
    assert [m.record.path for m in neardup.find_similar([query])[0].matches] == [str(original)]
    other = neardup.find_similar([query], within=[small_folder / "part00"], hash="dhash")
    assert [m.record.path for m in other[0].matches] == [str(original)]


def _migration(description: str) -> int:
    """The schema version the migration called ``description`` brings a catalog to."""
    return next(k for k, (d, _) in enumerate(MIGRATIONS, 1) if d == description)


def _undo_migrations_from(version: int) -> None:
    """Make the default catalog look as if written before schema ``version``."""
    with sqlite3.connect(default_path()) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version >= ?", (version,))
        if version <= _migration("alternates of --invariant and --crop"):
            conn.execute("DROP TABLE alternates")
        if version <= _migration("verdicts of verification"):
            conn.execute("DROP TABLE verdicts")


def _run_alone(description: str) -> None:
    """Run one migration on the default catalog as the upgrade to its version does, without
    the migrations after it (which may drop more)."""
    with sqlite3.connect(default_path()) as conn:
        conn.executescript(MIGRATIONS[_migration(description) - 1][1])


def test_the_features_version_is_the_last_migration_that_drops_features() -> None:
    """A Parquet hash store tells rows of an older search by this number: a migration that
    makes the catalog compute trimmed hashes, views or alternates again must raise it."""
    from neardup.catalog.migrations import FEATURES_VERSION

    dropping = [k for k, (_, sql) in enumerate(MIGRATIONS, 1) if "DELETE FROM views" in sql]
    assert dropping and dropping[-1] == FEATURES_VERSION


@pytest.mark.parametrize(
    "migration",
    [
        "small pictures on plain screens",
        "pictures on a plain canvas",
        "pictures in a column of text, lines across a picture",
    ],
)
def test_an_upgrade_finds_pictures_again_once(
    small_folder: Path, opened: list[str], migration: str
) -> None:
    """The picture-search migrations drop what an older search stored (trimmed hashes and
    views): the next scan decodes every file once more, the one after decodes none."""
    total = len(scan([small_folder]).records)
    with sqlite3.connect(default_path()) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM views").fetchone()[0]
    _undo_migrations_from(_migration(migration))
    assert stored == total
    opened.clear()
    with Catalog(default_path()) as cat:
        assert cat.schema_version == SCHEMA_VERSION
    with sqlite3.connect(default_path()) as conn:
        assert conn.execute("SELECT COUNT(*) FROM views").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(trim_hash) FROM hashes").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM alternates").fetchone()[0] == 0
    assert len(scan([small_folder]).records) == total
    assert len(set(opened)) == total
    opened.clear()
    assert scan([small_folder]).from_catalog == total and opened == []


def test_alternates_are_kept_and_an_upgrade_keeps_everything_else(
    small_folder: Path, opened: list[str]
) -> None:
    """``--crop``/``--invariant`` alternates come from the catalog on a rescan (nothing
    decoded, the same groups); other alternates, or a changed file, are computed again.
    The migration that adds their table keeps every hash and view."""
    crop = {"crop": True}
    first = scan([small_folder], **crop)
    total = len(first.records)
    opened.clear()
    again = scan([small_folder], **crop)
    assert again.from_catalog == total and opened == []
    assert [g.paths for g in again.groups] == [g.paths for g in first.groups]
    with sqlite3.connect(default_path()) as conn:
        kinds = conn.execute("SELECT kind, COUNT(*) FROM alternates GROUP BY kind").fetchall()
    assert kinds == [("crop/trim", total)]
    with Catalog() as cat:
        assert cat.stats().alternates == {"crop/trim": total}
    # other alternates: decoded once more (the hashes and views were there), then kept
    flips = {"crop": True, "invariant": frozenset({"flip"})}
    assert scan([small_folder], **flips).from_catalog == 0
    opened.clear()
    assert scan([small_folder], **flips).from_catalog == total and opened == []
    # a changed file loses its alternates with its hash
    changed = sorted(small_folder.rglob("*.png"))[0]
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    opened.clear()
    assert scan([small_folder], **crop).from_catalog == total - 1
    assert set(opened) == {str(changed)}
    # an older catalog: the migration adds the table and keeps hashes and views
    with sqlite3.connect(default_path()) as conn:
        conn.execute("DROP TABLE alternates")
    _run_alone("alternates of --invariant and --crop")
    opened.clear()
    assert scan([small_folder], crop=False).from_catalog == total and opened == []
    assert scan([small_folder], **crop).from_catalog == 0


@pytest.mark.parametrize(
    "migration", ["a canvas all round a picture", "a container's margin inside a picture"]
)
def test_an_upgrade_finds_again_only_the_regions_that_may_move(
    tmp_path: Path, opened: list[str], migration: str
) -> None:
    """These migrations drop the trimmed hashes, views and alternates of images with a kept
    region (a screenshot), which the changed search may find differently; an image without
    one (a plain photo) keeps everything and is not decoded again."""
    from neardup.tools.frames import framed

    photo_path = photo(0)
    folder = tmp_path / "shots"
    folder.mkdir()
    shutil.copy(photo_path, folder / "photo.jpg")
    with Image.open(photo_path) as picture:
        framed("viewer", picture.convert("RGB"), 0.35)[0].save(folder / "shot.png")
    scan([folder], crop=True)
    with sqlite3.connect(default_path()) as conn:
        boxes = dict(
            conn.execute(
                "SELECT f.path, h.trim_box FROM hashes h JOIN files f ON f.id = h.file_id"
            ).fetchall()
        )
    assert boxes[str(folder / "photo.jpg")] is None
    assert boxes[str(folder / "shot.png")] is not None
    _run_alone(migration)
    with sqlite3.connect(default_path()) as conn:
        assert conn.execute("SELECT COUNT(*) FROM views").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM alternates").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(trim_hash) FROM hashes").fetchone()[0] == 1
    opened.clear()
    assert scan([folder], crop=True).from_catalog == 1
    assert set(opened) == {str(folder / "shot.png")}
    opened.clear()
    assert scan([folder], crop=True).from_catalog == 2 and opened == []
