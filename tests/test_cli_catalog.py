"""``scan --catalog/--no-cache/--rehash``, ``find`` and ``catalog ...`` through the CLI."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from neardup.bits import hamming
from neardup.hashing.core import hash_file
from neardup.model import ImageRecord
from tests.conftest import photo
from tests.imaging import make_variant, write_noise_images


def scan_json(cli: Any, *args: str) -> dict[str, Any]:
    res = cli("scan", *args, "-f", "json", "-q")
    assert res.returncode == 0, res.stderr
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def test_scan_cache_options(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_noise_images(folder, 20)
    cat = tmp_path / "cat.sqlite"
    summaries = []
    for extra in ([], [], ["--rehash"]):
        res = cli("scan", str(folder), "--catalog", str(cat), "-f", "json", *extra)
        assert res.returncode == 0, res.stderr
        summaries.append((json.loads(res.stdout)["summary"]["images_from_catalog"], res.stderr))
    assert [n for n, _ in summaries] == [0, 20, 0]
    assert "20 from catalog)" in summaries[1][1] and "from catalog" not in summaries[0][1]


def test_find_returns_planted_near_duplicates(
    cli: Any, run_cli: Any, planted_folder: Path, tmp_path: Path
) -> None:
    query = make_variant(photo(42), tmp_path, "resize50")  # not in the catalog
    res = cli("find", str(query), "--in", str(planted_folder), "-f", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    [answer] = doc["results"]
    q = hash_file(query)
    assert isinstance(q, ImageRecord)
    assert answer["query"] == str(query) and answer["hash"] == f"{q.hash:016x}"
    stem = photo(42).stem
    expected = {
        str(planted_folder / "photos" / photo(42).name),
        str(planted_folder / "copies" / f"{stem}.jpeg30.jpg"),
        str(planted_folder / "copies" / f"{stem}.png.png"),
    }
    assert {m["path"] for m in answer["matches"]} == expected
    assert doc["settings"]["trim"] is True and doc["settings"]["verify"] is True
    for m in answer["matches"]:
        # the smallest distance over the plain and the trimmed hashes
        assert m["distance"] <= hamming(q.hash, int(m["hash"], 16)) <= 10
    assert [m["distance"] for m in answer["matches"]] == sorted(
        m["distance"] for m in answer["matches"]
    )

    # the catalog now holds the folder: find without --in, as a table, and a miss (exit 1)
    noise = write_noise_images(tmp_path / "noise", 1, seed=99)[0]
    # a real process: the console reads its width from COLUMNS when it is created
    res = run_cli("find", str(query), str(noise), env={"COLUMNS": "300"})
    assert res.returncode == 1, res.stderr
    assert f"{stem}.jpeg30.jpg" in res.stdout and "no match" in res.stdout
    # a query inside the catalog does not match itself, only its copies (here at distance 0)
    inside = planted_folder / "photos" / photo(42).name
    res = cli("find", str(inside), "-f", "json", "-t", "0")
    assert res.returncode == 0, res.stderr
    matches = json.loads(res.stdout)["results"][0]["matches"]
    assert {m["path"] for m in matches} == expected - {str(inside)}
    assert all(m["distance"] == 0 for m in matches)


def test_catalog_commands(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    paths = write_noise_images(folder, 20)
    cat = tmp_path / "cat.sqlite"
    scan_json(cli, str(folder), "--catalog", str(cat), "--hash", "dhash")
    paths[0].unlink()
    scan_json(cli, str(folder), "--catalog", str(cat), "--hash", "dhash")

    res = cli("catalog", "stats", "--catalog", str(cat), "-f", "json")
    assert res.returncode == 0, res.stderr
    stats = json.loads(res.stdout)
    assert stats["files"] == 20 and stats["vanished"] == 1
    assert stats["hashes"] == {"dhash/64": 20} and stats["schema_version"] >= 1
    assert stats["bytes"] > 0 and stats["path"] == str(cat)

    res = cli("catalog", "export", "--catalog", str(cat))
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == 20
    gone = next(r for r in rows if r["path"] == str(paths[0]))
    assert gone["vanished"] and gone["algorithm"] == "dhash" and len(gone["hash"]) == 16

    res = cli("catalog", "prune", "--catalog", str(cat), "--dry-run")
    assert res.returncode == 0 and str(paths[0]) in res.stdout and "would remove 1" in res.stdout
    res = cli("catalog", "prune", "--catalog", str(cat))
    assert "removed 1" in res.stdout
    out = tmp_path / "export.json"
    res = cli("catalog", "export", "--catalog", str(cat), "-f", "json", "-o", str(out))
    assert res.returncode == 0 and res.stdout == ""
    entries = json.loads(out.read_text())["entries"]
    assert len(entries) == 19 and str(paths[0]) not in {e["path"] for e in entries}

    res = cli("catalog", "vacuum", "--catalog", str(cat))
    assert res.returncode == 0 and "->" in res.stdout
    with sqlite3.connect(cat) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # the history lives in the default catalog with the last scan
    res = cli("catalog", "history", "-f", "json")
    scans = json.loads(res.stdout)["scans"]
    assert [s["summary"]["images_from_catalog"] for s in scans] == [19, 0]


def test_damaged_catalog_is_a_warning_not_an_error(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_noise_images(folder, 5)
    cat = tmp_path / "cat.sqlite"
    cat.write_bytes(b"this is not a database" * 500)
    res = cli("scan", str(folder), "--catalog", str(cat), "-q")
    assert res.returncode == 0, res.stderr
    assert "neardup: warning: the catalog" in res.stderr and "damaged" in res.stderr
    assert "Traceback" not in res.stderr
    assert len(list(tmp_path.glob("cat.sqlite.corrupt-*"))) == 1


def test_unusable_catalog_location_is_one_line_error(cli: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = cli("catalog", "stats", "--catalog", str(blocker / "cat.sqlite"))
    assert res.returncode == 1
    assert "neardup: error: cannot create the catalog folder" in res.stderr
    assert "Traceback" not in res.stderr
