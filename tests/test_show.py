"""``neardup show``: the map PNG and the HTML review page, end to end and piece by piece."""

from __future__ import annotations

import html.parser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from neardup.api import scan
from neardup.model import DEFAULT_KEEP, ScanOptions, ScanResult
from neardup.report.html import write_report
from neardup.report.review import delete_command, review_groups
from neardup.report.thumbs import ThumbnailCache
from neardup.report.visual import choose_points, embed, hamming_knn, hash_bits, write_map
from tests.conftest import PLANTED_COPIES, ROOT, expected_planted_groups, photo
from tests.imaging import make_variant

HOSTILE = "<img src=x onerror=alert(1)>.jpg"


def add_hostile_pair(root: Path, photo: Path) -> set[str]:
    """A near-duplicate of ``photo`` under a file name that is also an XSS payload."""
    variant = make_variant(photo, root / "copies", "jpeg70")
    hostile = variant.with_name(HOSTILE)
    variant.rename(hostile)
    return {str(root / "photos" / photo.name), str(hostile)}


class PageParser(html.parser.HTMLParser):
    """Groups, their member paths, images and commands, read from the report's markup."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[dict[str, Any]] = []
        self.images: list[dict[str, str | None]] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "section" and "group" in classes:
            self.groups.append({"paths": [], "command": "", "images": []})
        elif tag == "span" and "path" in classes:
            self._in = "path"
        elif tag == "code" and self.groups:
            self._in = "command"
        elif tag == "img":
            self.images.append(a)
            if self.groups:
                self.groups[-1]["images"].append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("span", "code"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "path":
            self.groups[-1]["paths"].append(data)
        elif self._in == "command":
            self.groups[-1]["command"] += data


def parse_report(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def hostile_library(
    planted_library: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, set[str]]:
    """The planted library plus a hostile-named pair (read-only: shared by this module)."""
    root = tmp_path_factory.mktemp("show") / "library"
    shutil.copytree(planted_library, root)
    return root, add_hostile_pair(root, photo(5))


@pytest.fixture(scope="module")
def library_size(photo_paths: list[Path]) -> int:
    """Images in the hostile library: the photos, the planted copies and the hostile one."""
    return len(photo_paths) + PLANTED_COPIES + 1


@pytest.fixture(scope="module")
def hostile_result(hostile_library: tuple[Path, set[str]]) -> ScanResult:
    return scan([hostile_library[0]])


@pytest.fixture
def small_folder(planted_library: Path, tmp_path: Path) -> Path:
    """Only the planted copies: two groups among six files, quick to scan."""
    return Path(shutil.copytree(planted_library / "copies", tmp_path / "copies"))


@pytest.fixture(scope="module")
def show_output(
    hostile_library: tuple[Path, set[str]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """``neardup show`` run once through the console entry point on the hostile library."""
    out = tmp_path_factory.mktemp("show-output")
    env = dict(os.environ, NEARDUP_HOME=str(tmp_path_factory.mktemp("home")))
    res = subprocess.run(
        [sys.executable, "-m", "neardup", "show", str(hostile_library[0]), "--output",
         str(out), "--seed", "7"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    return out, res


def test_show_writes_map_and_report(
    show_output: tuple[Path, subprocess.CompletedProcess[str]],
    hostile_library: tuple[Path, set[str]],
    library_size: int,
) -> None:
    root, hostile_group = hostile_library
    out, res = show_output
    assert res.returncode == 0, res.stderr
    n = library_size
    assert f"{n} images, 5 groups; {n} thumbnails made" in res.stdout
    assert "Traceback" not in res.stderr

    with Image.open(out / "map.png") as im:
        assert im.format == "PNG"
        width, height = im.size
    # The thumbnails at 64 px fill a square canvas of 900..6000 px plus the 40 px title band.
    assert 900 <= width <= 6000 and height == width + 40

    page = parse_report(out / "report.html")
    expected = expected_planted_groups(root) | {frozenset(hostile_group)}
    assert len(page.groups) == 5
    assert {frozenset(g["paths"]) for g in page.groups} == expected
    for g in page.groups:
        assert len(g["images"]) == len(g["paths"])
        for img in g["images"]:
            assert img["alt"] and (out / str(img["src"])).is_file()
        args = shlex.split(g["command"])
        assert args[:4] == ["neardup", "delete", "--keep", ",".join(DEFAULT_KEEP)]
        assert set(args[4:]) == set(g["paths"])  # exactly this group, each path one argument
    # the map links into the page; the hostile name is text, never markup
    assert any(img["src"] == "map.png" for img in page.images)
    raw = (out / "report.html").read_text(encoding="utf-8")
    assert "<img src=x onerror" not in raw
    assert "&lt;img src=x onerror=alert(1)&gt;.jpg" in raw


def test_show_is_sorted_by_reclaimable_bytes_and_follows_keep(
    hostile_result: ScanResult, tmp_path: Path
) -> None:
    result = hostile_result
    groups = review_groups(result, ["smallest"])
    gains = [g.reclaimable_bytes for g in groups]
    assert gains == sorted(gains, reverse=True) and len(groups) == 5
    for g in groups:
        sizes = [m.record.size for m in g.members]
        assert g.keeper.record.size == min(sizes)
        assert g.reclaimable_bytes == sum(sizes) - min(sizes)
        assert g.keeper.distance == 0 and g.keeper.keeper
    write_report(result, tmp_path / "r", keep=["smallest"])
    page = parse_report(tmp_path / "r" / "report.html")
    assert [len(g["paths"]) for g in page.groups] == [len(g.members) for g in groups]
    assert shlex.split(page.groups[0]["command"])[3] == "smallest,first"


def test_map_is_deterministic_with_seed(
    hostile_result: ScanResult, library_size: int, tmp_path: Path
) -> None:
    result = hostile_result
    groups = review_groups(result)
    cache = ThumbnailCache()

    def pixels(name: str, seed: int) -> np.ndarray[Any, Any]:
        info = write_map(result, groups, tmp_path / name, seed=seed, cache=cache, max_thumbnails=20)
        assert info.embedded == len(result.records) == library_size and info.groups == 5
        assert info.thumbnails == 20  # the 12 group members and 8 others
        with Image.open(info.path) as im:
            return np.asarray(im.convert("RGB"))

    first = pixels("a.png", 3)
    made = cache.made
    assert made == 20  # every thumbnail once ...
    again = pixels("b.png", 3)
    assert cache.made == made  # ... and not again: the second map came from the cache
    assert np.array_equal(first, again)
    other = pixels("c.png", 4)
    assert first.shape != other.shape or not np.array_equal(first, other)


def test_zero_groups_gives_a_friendly_page(
    cli: Any, photo_paths: list[Path], tmp_path: Path
) -> None:
    folder = tmp_path / "distinct"
    folder.mkdir()
    for p in photo_paths[:5]:
        shutil.copy(p, folder)
    out = tmp_path / "out"
    code, stdout, err = cli("show", str(folder), "-o", str(out), "--no-map")
    assert code == 0, err
    assert "5 images, 0 groups" in stdout
    raw = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="no-groups"' in raw and "No near-duplicates found" in raw
    assert parse_report(out / "report.html").groups == []
    assert not (out / "map.png").exists()


def test_show_without_path_uses_the_last_scan(cli: Any, small_folder: Path, tmp_path: Path) -> None:
    code, _, err = cli("show", "-o", str(tmp_path / "none"), "--no-map")
    assert code == 1
    assert "no saved scan" in err and "Traceback" not in err

    assert cli("scan", str(small_folder), "-q")[0] == 0
    code, _, err = cli("show", "-o", str(tmp_path / "out"), "--no-map", "--keep", "largest")
    assert code == 0, err
    page = parse_report(tmp_path / "out" / "report.html")
    assert len(page.groups) == 2
    assert all(shlex.split(g["command"])[3] == "largest,first" for g in page.groups)


def test_usage_errors(cli: Any, tmp_path: Path) -> None:
    code, _, err = cli("show", str(tmp_path), "--no-map", "--no-report")
    assert code == 2 and "nothing to do" in err
    code, _, err = cli("show", str(tmp_path), "--keep", "prettiest", "--no-map")
    assert code == 2 and "unknown keep rule" in err


def test_report_works_without_the_show_extra(
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    small_folder: Path,
    tmp_path: Path,
) -> None:
    monkeypatch.setitem(sys.modules, "openTSNE", None)  # "import openTSNE" now fails
    out = tmp_path / "out"
    code, _, err = cli("show", str(small_folder), "-o", str(out))
    assert code == 0, err
    assert "pip install 'neardup[show]'" in err
    assert len(parse_report(out / "report.html").groups) == 2
    assert not (out / "map.png").exists()

    for extra in (["--map"], ["--no-report"]):
        code, _, err = cli("show", str(small_folder), "-o", str(out), *extra)
        assert code == 1
        lines = err.strip().splitlines()
        assert lines[0].startswith("neardup: error: the map needs openTSNE")
        assert "pip install 'neardup[show]'" in lines[1] and "Traceback" not in err


def test_open_hands_the_page_to_the_browser(
    run_cli: Any, small_folder: Path, tmp_path: Path
) -> None:
    seen = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(
        f"#!{sys.executable}\nimport sys\nopen({str(seen)!r}, 'w').write(sys.argv[1])\n"
    )
    browser.chmod(0o755)
    out = tmp_path / "out"
    res = run_cli("show", str(small_folder), "-o", str(out), "--no-map", "--open",
                  env={"BROWSER": str(browser)})  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert seen.read_text() == (out / "report.html").resolve().as_uri()


def test_delete_command_quotes_every_path() -> None:
    paths = ["/p/it's here/a b.jpg", f"/p/{HOSTILE}", "/p/$(rm -rf ~).png", "/p/-n.jpg"]
    cmd = delete_command(paths, ["largest"])
    assert shlex.split(cmd) == ["neardup", "delete", "--keep", "largest,first", *paths]
    rel = delete_command(["rel/x.jpg"], ["first"])
    assert shlex.split(rel)[-1] == os.path.abspath("rel/x.jpg")


def test_thumbnail_cache_follows_file_changes(small_folder: Path, tmp_path: Path) -> None:
    result = scan([small_folder])
    record = result.records[0]
    cache = ThumbnailCache(tmp_path / "thumbs")
    first = cache.get(record)
    assert first is not None and cache.made == 1
    with Image.open(first) as im:
        assert max(im.size) == 256 or max(im.size) == max(record.width, record.height)
    assert cache.get(record) == first and cache.made == 1  # cached
    os.utime(record.path, ns=(record.mtime_ns + 10**9, record.mtime_ns + 10**9))
    changed = scan([record.path]).records[0]
    second = cache.get(changed)
    assert second is not None and second != first and cache.made == 2
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    bad = type(record)(str(broken), 0, 1, 1, 10, 1)
    assert cache.get(bad) is None


def test_sampling_keeps_every_group_member() -> None:
    members = [5, 17, 999, 4000]
    rows = choose_points(5000, members, 100, seed=1)
    assert rows.size == 100 and set(members) <= set(rows.tolist())
    assert np.array_equal(rows, choose_points(5000, members, 100, seed=1))
    assert not np.array_equal(rows, choose_points(5000, members, 100, seed=2))
    assert choose_points(50, members[:2], 100, seed=1).size == 50


def test_embedding_uses_the_hash_bits() -> None:
    rng = np.random.default_rng(0)
    centres = rng.integers(0, 2**63, size=6, dtype=np.uint64)
    hashes = np.repeat(centres, 20).reshape(-1, 1)
    flips = np.uint64(1) << rng.integers(0, 64, size=hashes.shape, dtype=np.uint64)
    hashes = hashes ^ np.where(rng.random(hashes.shape) < 0.5, flips, np.uint64(0))
    vectors = hash_bits(hashes, 64)
    assert vectors.shape == (120, 64) and set(np.unique(vectors)) <= {0.0, 1.0}
    idx, dist = hamming_knn(hashes, 5)
    brute = (vectors[:, None, :] != vectors[None, :, :]).sum(axis=2).astype(float)
    np.fill_diagonal(brute, np.inf)
    assert np.array_equal(dist, np.sort(brute, axis=1)[:, :5])
    assert np.array_equal(brute[np.arange(120)[:, None], idx], dist)
    coords = embed(hashes, 64, seed=1)
    assert np.array_equal(coords, embed(hashes, 64, seed=1))
    # every point's nearest neighbour on the map is a near-duplicate from its own cluster
    d = np.linalg.norm(coords[:, None] - coords[None], axis=2)
    np.fill_diagonal(d, np.inf)
    labels = np.repeat(np.arange(6), 20)
    assert np.mean(labels[d.argmin(axis=1)] == labels) > 0.95


def test_tiny_collections_still_map(tmp_path: Path, photo_paths: list[Path]) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    for p in photo_paths[:2]:
        shutil.copy(p, folder)
    result = scan([folder])
    info = write_map(result, review_groups(result), tmp_path / "m.png")
    assert info.embedded == 2 and info.thumbnails == 2
    (tmp_path / "nothing").mkdir()
    empty = scan([tmp_path / "nothing"])
    assert write_map(empty, [], tmp_path / "e.png").embedded == 0
    assert Image.open(tmp_path / "e.png").size == (900, 940)


# --- the review page in a real headless Chromium -------------------------------------------

ARTIFACTS = ROOT / "test-artifacts"


def open_page(browser: Any, url: str) -> tuple[Any, list[str], list[str]]:
    """A new page at ``url``; the lists collect its dialogs and its requests."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    return page, dialogs, requests


def test_report_in_headless_chromium(
    browser: Any, show_output: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    out, res = show_output
    assert res.returncode == 0, res.stderr
    page, dialogs, requests = open_page(browser, (out / "report.html").as_uri())
    sections = page.locator("section.group")
    assert sections.count() == 5
    for k in range(5):  # thumbnails load lazily: bring each group into view
        sections.nth(k).scroll_into_view_if_needed()
    page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=30_000)
    per_group = page.evaluate(
        """Array.from(document.querySelectorAll('section.group')).map(s => ({
             members: s.querySelectorAll('li').length,
             widths: Array.from(s.querySelectorAll('img')).map(i => i.naturalWidth)}))"""
    )
    assert sum(g["members"] for g in per_group) == 12
    for g in per_group:
        assert len(g["widths"]) == g["members"] and all(w > 0 for w in g["widths"]), g
    assert page.evaluate("document.querySelector('img[src=\"map.png\"]').naturalWidth") > 0

    # the hostile name is shown as text and runs nothing
    assert HOSTILE in page.inner_text("main")
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0

    def visible() -> int:
        return int(page.locator("section.group:visible").count())

    page.fill("#filter", "castle-maintenon")
    assert visible() == 1 and page.inner_text("#filter-status") == "Showing 1 of 5 groups"
    page.fill("#filter", "ONERROR=alert")  # case-insensitive, and finds the hostile group
    assert visible() == 1 and HOSTILE in page.inner_text("section.group:visible")
    page.fill("#filter", "no file has this in its path")
    assert visible() == 0 and page.locator("#no-match").is_visible()
    page.fill("#filter", "")
    assert visible() == 5 and not page.locator("#no-match").is_visible()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "show-report.png"), full_page=True)
    assert dialogs == []
    assert requests and all(u.startswith(("file:", "data:")) for u in requests), requests
    page.close()


def test_browser_check_would_catch_a_script(browser: Any, tmp_path: Path) -> None:
    """The dialog watch above is not blind: the unescaped payload does raise a dialog."""
    unsafe = tmp_path / "unsafe.html"
    unsafe.write_text(f"<!doctype html><p>{HOSTILE}</p>", encoding="utf-8")
    page, dialogs, _ = open_page(browser, unsafe.as_uri())
    for _ in range(50):
        if dialogs:
            break
        page.wait_for_timeout(100)
    assert dialogs == ["1"]
    page.close()


def test_zero_group_page_in_headless_chromium(
    browser: Any, photo_paths: list[Path], tmp_path: Path
) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    for p in photo_paths[:2]:
        shutil.copy(p, folder)
    report = write_report(scan([folder]), tmp_path / "out")
    page, dialogs, _ = open_page(browser, report.as_uri())
    assert page.locator("#no-groups").is_visible()
    assert "No near-duplicates found" in page.inner_text("main")
    assert page.locator("section.group").count() == 0 and page.locator("#filter").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "show-report-empty.png"), full_page=True)
    assert dialogs == []
    page.close()


@pytest.mark.slow
def test_map_of_ten_thousand_images(photo_paths: list[Path], tmp_path: Path) -> None:
    from benchmarks.show_map import synthetic_scan

    result = synthetic_scan(photo_paths, 10_000, 300)
    groups = review_groups(result)
    members = {m.row for g in groups for m in g.members}
    assert len(groups) >= 290
    info = write_map(result, groups, tmp_path / "map.png", max_points=5_000, max_thumbnails=1_000)
    assert info.embedded == 5_000 and info.thumbnails == 1_000 and len(members) < 1_000
    with Image.open(info.path) as im:
        assert im.size == (info.width, info.height) and 900 <= im.width <= 6000


def test_chained_members_are_flagged(tmp_path: Path) -> None:
    from neardup.api import group
    from neardup.bits import to_array
    from neardup.model import ImageRecord

    hashes = [0, 0b1111, 0b11111111]  # a-b and b-c within 5 bits, a-c 8 bits apart
    records = [
        ImageRecord(str(tmp_path / f"{name}.jpg"), h, w, w, 1000 * w, 0)
        for name, h, w in zip("abc", hashes, (300, 200, 100), strict=True)
    ]
    settings = ScanOptions(threshold=5).settings([str(tmp_path)])
    result = ScanResult(settings, records, [], group(records, to_array(hashes, 1), threshold=5))
    (g,) = review_groups(result)
    assert [m.record.path[-5:] for m in g.members] == ["a.jpg", "b.jpg", "c.jpg"]
    assert [m.distance for m in g.members] == [0, 4, 8] and g.chained
    assert [m.within_threshold for m in g.members] == [True, True, False]
    assert g.removable == g.members[1:2] and g.reclaimable_bytes == 200_000  # c is kept
    assert "--threshold 5" in g.delete_command
    page = write_report(result, tmp_path / "out", embed=True).read_text(encoding="utf-8")
    assert page.count('class="badge chained"') == 2  # the group heading and member c
    assert "no preview" in page  # the files do not exist: no thumbnail, no broken image


def test_embedded_thumbnails_make_one_file(small_folder: Path, tmp_path: Path) -> None:
    report = write_report(scan([small_folder]), tmp_path / "out", embed=True)
    page = parse_report(report)
    assert len(page.groups) == 2 and not (tmp_path / "out" / "thumbs").exists()
    assert all(str(i["src"]).startswith("data:image/jpeg;base64,") for i in page.images)


def test_the_page_command_deletes_exactly_that_group(
    cli: Any,
    small_folder: Path,
    tmp_path: Path,
    neardup_home: Path,
) -> None:
    """Pasted into a real shell, a group's command moves its duplicates and nothing else."""
    shutil.copy(photo(5), small_folder)
    hostile = make_variant(photo(5), small_folder, "jpeg70").rename(small_folder / HOSTILE)
    code, _, err = cli("show", str(small_folder), "-o", str(tmp_path / "out"),
                            "--no-map", "--keep", "largest")  # fmt: skip
    assert code == 0, err
    page = parse_report(tmp_path / "out" / "report.html")
    (target,) = [g for g in page.groups if str(hostile) in g["paths"]]
    before = sorted(p.name for p in small_folder.iterdir())
    keeper = max(target["paths"], key=lambda p: Path(p).stat().st_size)  # --keep largest
    moved = tmp_path / "moved"
    command = target["command"].replace(
        "neardup delete", f"{shlex.quote(sys.executable)} -m neardup delete", 1
    )
    res = subprocess.run(
        f"{command} --move-to {shlex.quote(str(moved))}",
        shell=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, NEARDUP_HOME=str(neardup_home)),
        timeout=300,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    removed = set(target["paths"]) - {keeper}
    assert Path(keeper).exists() and not any(Path(p).exists() for p in removed)
    assert sorted(p.name for p in small_folder.iterdir()) == sorted(
        set(before) - {Path(p).name for p in removed}
    )
    assert {p.name for p in moved.rglob("*") if p.is_file()} == {Path(p).name for p in removed}
