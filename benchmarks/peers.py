"""Side by side with the peers: first-scan speed of neardup and other near-duplicate finders.

    python benchmarks/peers.py --folder DIR [--photos PHOTOS] [--images 2000] [--max-mp 12]
    python benchmarks/peers.py --folder DIR --large 60 [--photos PHOTOS]

Generates (seeded, deterministic) a folder of JPEG and PNG images of 0.1-12 megapixels
with planted near-duplicates into DIR, or reuses it when a marker file there records the
same parameters. The images are random crops of the photos in PHOTOS (flipped, scaled to
their size, with film grain added), or textured synthetic images without ``--photos``.
Then it times, one after the other in this one run, every tool on the same folder as a
whole process (start-up and imports included; wall time and the CPU time of the child and
the children it waited for, from ``os.wait4``):

* ``neardup scan DIR`` with the default options, a fresh catalog (first scan);
* the same again with the same catalog (rescan of the unchanged folder);
* ``neardup scan DIR --no-trim --no-verify`` with another fresh catalog;
* Czkawka's Python bindings (``pip install czkawka``), default similar-image settings;
* imagededup PHash ``find_duplicates`` (``pip install imagededup``), default settings;
* ``imagehash.phash`` of every file in a ``multiprocessing.Pool`` over all cores, then every
  pair within neardup's default threshold with numpy;
* findimagedupes and dupeGuru's picture mode when Debian's packages are installed
  (``apt-get install findimagedupes dupeguru``).

neardup runs from this checkout's ``src/`` (``PYTHONPATH``), so the working tree is what is
measured. Every tool gets a fresh ``HOME`` and cache folder (no cache of an earlier run
helps it) and runs once untimed on a four-image folder first (compiled bytecode, shared
libraries and the page cache are warm for all alike); the images are read once before the
first timed run. A tool that is not installed, fails or passes ``--timeout`` is reported
as such. The table gives wall and CPU seconds, files per second, the ratio of each wall
time to neardup's default first scan and the acceptance ratios of issue 21; ``--format
json`` writes the same as one JSON document (to ``--output FILE`` or stdout).

``--large N`` instead makes N 12-megapixel JPEGs and compares ``neardup scan --jobs 1``
(default options, fresh catalog, whole process) with a plain ``imagehash.phash`` loop in one
process over the same files, by CPU seconds; it also times decoding the files at the
smallest scale and nothing else, which bounds how many times faster than the loop any tool
that reads the pixels can be.

Timings are only comparable within one run, and only on an otherwise idle machine: the
load average before and after is printed with the results. ``--repeat N`` runs every tool N
times, in rounds (all tools in order, then again), and reports each tool's median times and
the median of each round's ratios, so that one slow moment of the machine does not decide
a ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

HERE = Path(__file__).resolve().parent
DRIVERS = HERE / "peer_drivers.py"
REPO_SRC = HERE.parent / "src"
MARKER = ".peers-folder.json"
GENERATOR_VERSION = 2
SUFFIXES = (".jpg", ".png")
#: Debian's dupeGuru runs on the system Python (its PyQt5 and compiled modules are built for it)
SYSTEM_PYTHON = "/usr/bin/python3"


# ----------------------------------------------------------------------------- the folder


@dataclass(frozen=True)
class FolderSpec:
    images: int
    min_mp: float
    max_mp: float
    png_share: float
    dup_share: float
    seed: int
    photos: str  # fingerprint of the photo folder, or "synthetic"
    large: bool = False

    def marker(self) -> dict[str, Any]:
        return {"generator": GENERATOR_VERSION, **asdict(self)}


def photos_fingerprint(photos: Path | None) -> str:
    if photos is None:
        return "synthetic"
    lines = sorted(f"{p.name}:{p.stat().st_size}" for p in photo_files(photos))
    digest = hashlib.sha1("\n".join(lines).encode()).hexdigest()[:12]
    return f"{len(lines)} photos, {digest}"


def photo_files(photos: Path) -> list[Path]:
    exts = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
    return sorted(p for p in photos.iterdir() if p.is_file() and p.suffix.lower() in exts)


def synthetic_source(rng: np.random.Generator, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A photo-like textured image: smooth colour field, shapes, blur and fine texture."""
    w, h = size
    low = rng.integers(0, 256, size=(rng.integers(3, 9), rng.integers(3, 9), 3), dtype=np.uint8)
    img = Image.fromarray(low, "RGB").resize((w, h), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(5, 25))):
        x0, y0 = int(rng.integers(-w // 4, w)), int(rng.integers(-h // 4, h))
        x1, y1 = x0 + int(rng.integers(w // 20, w // 2)), y0 + int(rng.integers(h // 20, h // 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 3.0))))
    texture = rng.normal(0, rng.uniform(4, 14), size=(h // 4, w // 4, 1))
    texture_img = Image.fromarray(np.clip(texture + 128, 0, 255).astype(np.uint8)[..., 0], "L")
    texture_img = texture_img.resize((w, h), Image.Resampling.BILINEAR).convert("RGB")
    arr = np.asarray(img, dtype=np.int16) + np.asarray(texture_img, dtype=np.int16) - 128
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def add_grain(img: Image.Image, rng: np.random.Generator, sigma: float) -> Image.Image:
    """Film grain from a tiled 128 x 128 noise patch (cheap at 12 megapixels)."""
    tile = rng.normal(0, sigma, size=(128, 128, 1)).astype(np.int16)
    arr = np.asarray(img, dtype=np.int16)
    h, w = arr.shape[:2]
    reps = (math.ceil(h / 128), math.ceil(w / 128), 1)
    arr = arr + np.tile(tile, reps)[:h, :w]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


@dataclass(frozen=True)
class ImageJob:
    index: int
    spec: FolderSpec
    photos: str | None
    dest: str


def _rng(spec: FolderSpec, index: int, salt: int = 0) -> tuple[random.Random, np.random.Generator]:
    seed = (spec.seed * 1_000_003 + index) * 7 + salt
    return random.Random(seed), np.random.default_rng(seed)


def _target_size(rnd: random.Random, spec: FolderSpec, aspect: float) -> tuple[int, int]:
    if spec.large:
        return (4000, 3000) if aspect >= 1 else (3000, 4000)
    mp = math.exp(rnd.uniform(math.log(spec.min_mp), math.log(spec.max_mp)))
    w = math.sqrt(mp * 1e6 * aspect)
    return max(16, round(w)), max(16, round(w / aspect))


def base_image(spec: FolderSpec, index: int, photos: list[Path] | None) -> Image.Image:
    """The distinct image number ``index``: a random crop of a photo (or a synthetic image),
    maybe mirrored, scaled to a size drawn log-uniformly from [min_mp, max_mp], with grain."""
    rnd, nrng = _rng(spec, index)
    if photos:
        with Image.open(photos[rnd.randrange(len(photos))]) as im:
            src = ImageOps.exif_transpose(im).convert("RGB")
    else:
        src = synthetic_source(nrng, (rnd.choice([800, 640, 720]), rnd.choice([600, 480, 540])))
    w, h = src.size
    cw, ch = int(w * rnd.uniform(0.55, 0.95)), int(h * rnd.uniform(0.55, 0.95))
    x, y = rnd.randint(0, w - cw), rnd.randint(0, h - ch)
    img = src.crop((x, y, x + cw, y + ch))
    if rnd.random() < 0.5:
        img = ImageOps.mirror(img)
    img = img.resize(_target_size(rnd, spec, cw / ch), Image.Resampling.BILINEAR)
    return add_grain(img, nrng, rnd.uniform(2.0, 6.0))


def near_duplicate(img: Image.Image, rnd: random.Random, min_pixels: float) -> Image.Image:
    """An edited copy: one or two of rescale, brightness/contrast, small crop, uniform border."""
    edits = rnd.sample(["scale", "tone", "crop", "border"], rnd.choice([1, 1, 2]))
    if "crop" in edits:
        w, h = img.size
        dx, dy = int(w * rnd.uniform(0.01, 0.04)), int(h * rnd.uniform(0.01, 0.04))
        img = img.crop((dx, dy, w - dx, h - dy))
    if "tone" in edits:
        img = ImageEnhance.Brightness(img).enhance(rnd.uniform(0.9, 1.1))
        img = ImageEnhance.Contrast(img).enhance(rnd.uniform(0.9, 1.1))
    if "scale" in edits:
        f = max(rnd.uniform(0.4, 0.9), math.sqrt(min_pixels / (img.width * img.height)))
        img = img.resize((max(16, round(img.width * f)), max(16, round(img.height * f))))
    if "border" in edits:
        side = max(2, int(min(img.size) * rnd.uniform(0.03, 0.08)))
        fill = rnd.choice([(0, 0, 0), (255, 255, 255)])
        img = ImageOps.expand(img, border=side, fill=fill)
    return img


def plan(spec: FolderSpec) -> list[tuple[int, int | None, str]]:
    """(index, index of the image it is a near-duplicate of or None, suffix) per file."""
    rnd = random.Random(spec.seed)
    rows: list[tuple[int, int | None, str]] = []
    originals: list[int] = []
    for k in range(spec.images):
        of = None
        if originals and not spec.large and rnd.random() < spec.dup_share:
            of = rnd.choice(originals)
        else:
            originals.append(k)
        suffix = ".png" if not spec.large and rnd.random() < spec.png_share else ".jpg"
        rows.append((k, of, suffix))
    return rows


def _make_one(args: tuple[FolderSpec, str | None, str, int, int | None, str]) -> None:
    spec, photos_dir, dest, k, of, suffix = args
    photos = photo_files(Path(photos_dir)) if photos_dir else None
    img = base_image(spec, k if of is None else of, photos)
    rnd, _ = _rng(spec, k, salt=1)
    if of is not None:
        img = near_duplicate(img, rnd, spec.min_mp * 1e6)
    path = Path(dest) / f"img{k:05d}{suffix}"
    if suffix == ".png":
        img.save(path, optimize=False)
    else:
        img.save(path, quality=rnd.choice([80, 85, 90, 95]))


def ensure_folder(
    folder: Path, spec: FolderSpec, photos: Path | None, jobs: int, log: Callable[[str], None]
) -> list[Path]:
    """Generate the folder, or reuse it when its marker records the same parameters."""
    marker = folder / MARKER
    if marker.exists():
        try:
            same = json.loads(marker.read_text()) == spec.marker()
        except ValueError:
            same = False
        files = sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES)
        if same and len(files) == spec.images:
            log(f"reusing {len(files)} images in {folder}")
            return files
        for p in files:
            p.unlink()
        marker.unlink()
    elif folder.exists() and any(folder.iterdir()):
        raise SystemExit(f"{folder} is not empty and has no {MARKER}: give an empty or new folder")
    folder.mkdir(parents=True, exist_ok=True)
    work = [
        (spec, str(photos) if photos else None, str(folder), k, of, suffix)
        for k, of, suffix in plan(spec)
    ]
    log(f"generating {len(work)} images into {folder} with {jobs} processes ...")
    start = time.perf_counter()
    with Pool(jobs) as pool:
        for done, _ in enumerate(pool.imap_unordered(_make_one, work, chunksize=4), 1):
            if done % 250 == 0:
                log(f"  {done}/{len(work)}")
    marker.write_text(json.dumps(spec.marker(), indent=1))
    log(f"generated in {time.perf_counter() - start:.0f} s")
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES)


def describe_folder(files: list[Path]) -> dict[str, Any]:
    sizes = []
    for p in files:
        with Image.open(p) as im:
            sizes.append(im.width * im.height / 1e6)
    mp = np.array(sizes)
    return {
        "files": len(files),
        "jpeg": sum(p.suffix == ".jpg" for p in files),
        "png": sum(p.suffix == ".png" for p in files),
        "megapixels_total": round(float(mp.sum()), 1),
        "megapixels_min": round(float(mp.min()), 2),
        "megapixels_median": round(float(np.median(mp)), 2),
        "megapixels_max": round(float(mp.max()), 2),
        "bytes": sum(p.stat().st_size for p in files),
    }


def warm_page_cache(files: list[Path]) -> None:
    for p in files:
        with open(p, "rb") as fh:
            while fh.read(1 << 22):
                pass


# ----------------------------------------------------------------------------- running


@dataclass
class Result:
    tool: str
    status: str  # ok, failed, timed out, not installed
    wall_s: float | None = None
    cpu_s: float | None = None
    peak_rss_mb: float | None = None
    files_per_s: float | None = None
    found: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    #: wall and CPU seconds of every round (``--repeat``); the fields above are medians
    runs: list[dict[str, float]] = field(default_factory=list)


def become_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``).

    A tool's worker processes are not always its own children: with the ``forkserver``
    start method they are children of a server process that exits only after the tool's
    main process. Adopted here, they are waited for, and their CPU time is counted."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(36, 1, 0, 0, 0)) == 0  # 36: PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap_descendants(group: int, deadline: float) -> None:
    """Wait for every child this process has (the tool's adopted leftovers); past
    ``deadline`` kill the tool's process group first."""
    killed = False
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid:
            continue
        if not killed and time.perf_counter() > deadline:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
            killed = True
        time.sleep(0.01)


def timed(
    cmd: list[str], env: dict[str, str], timeout: float, scratch: Path
) -> tuple[str, float, float, float, str, str]:
    """Run ``cmd`` to its end: (status, wall s, CPU s, peak RSS MB, stdout, stderr).

    Wall time ends when the main process exits. CPU time is user + system of every process
    of the tool that was waited for: its main process, the children it waited for and,
    with :func:`become_subreaper`, its other descendants, adopted and waited for here
    (``RUSAGE_CHILDREN`` before and after). The peak RSS is that of the largest single
    process the main process waited for. The tool's process group is killed at
    ``timeout``."""
    out_path, err_path = scratch / "stdout.txt", scratch / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True
        )
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        _reap_descendants(proc.pid, start + timeout)
        timer.cancel()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with contextlib.suppress(ProcessLookupError, PermissionError):  # leftovers of a killed tool
        os.killpg(proc.pid, signal.SIGKILL)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss = usage.ru_maxrss / 1024
    stdout = out_path.read_text(errors="replace")
    stderr = err_path.read_text(errors="replace")
    if killed.is_set():
        state = f"timed out (over {timeout:.0f} s)"
    elif proc.returncode != 0:
        state = f"failed (exit {proc.returncode})"
    else:
        state = "ok"
    return state, wall, cpu, rss, stdout, stderr


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


@dataclass
class Tool:
    name: str
    #: command for a folder, given the private scratch folder of this run; None: not installed
    command: Callable[[Path, Path], list[str]] | None
    missing: str = ""
    #: reads what the tool found from its stdout and its scratch folder
    parse: Callable[[str, Path], dict[str, Any]] | None = None
    #: runs right after the tool named here, reusing its scratch folder (the rescan)
    reuse: str | None = None


def child_env(scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The untimed warm-up must leave compiled bytecode behind for the timed run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    home = scratch / "home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        NEARDUP_HOME=str(scratch / "neardup-home"),
        QT_QPA_PLATFORM="offscreen",
    )
    if REPO_SRC.is_dir():
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_SRC), os.environ.get("PYTHONPATH", "")) if p
        )
    return env


def _neardup_found(stdout: str, scratch: Path) -> dict[str, Any]:
    doc = json.loads((scratch / "result.json").read_text())
    s = doc["summary"]
    return {
        "hashed": s["images_hashed"],
        "from_catalog": s["images_from_catalog"],
        "groups": s["groups"],
        "in_groups": s["groups"] + s["duplicates"],
    }


def _json_found(stdout: str, scratch: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(last_line(stdout))
    return found


def _findimagedupes_found(stdout: str, scratch: Path) -> dict[str, Any]:
    groups = [line.split() for line in stdout.splitlines() if line.strip()]
    return {"groups": len(groups), "in_groups": sum(len(g) for g in groups)}


def neardup_tool(name: str, *options: str, reuse: str | None = None) -> Tool:
    def command(folder: Path, scratch: Path) -> list[str]:
        out = scratch / "result.json"
        return [sys.executable, "-m", "neardup", "scan", str(folder), *options,
                "--format", "json", "--output", str(out)]  # fmt: skip

    return Tool(name, command, parse=_neardup_found, reuse=reuse)


def python_peer(name: str, driver: str, module: str, python: str = sys.executable) -> Tool:
    check = f"import importlib.util as u, sys; sys.exit(u.find_spec({module!r}) is None)"
    probe = subprocess.run(
        [python, "-c", check],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        return Tool(name, None, missing=f"not installed ({module} does not import)")
    return Tool(
        name, lambda folder, _s: [python, str(DRIVERS), driver, str(folder)], parse=_json_found
    )


def dupeguru_tool(name: str) -> Tool:
    if not Path(SYSTEM_PYTHON).exists() or not shutil.which("dupeguru"):
        return Tool(name, None, missing="not installed (apt-get install dupeguru)")
    return Tool(
        name,
        lambda folder, _s: [SYSTEM_PYTHON, str(DRIVERS), "dupeguru", str(folder)],
        parse=_json_found,
    )


def findimagedupes_tool(name: str) -> Tool:
    exe = shutil.which("findimagedupes")
    if not exe:
        return Tool(name, None, missing="not installed (apt-get install findimagedupes)")
    return Tool(name, lambda folder, _s: [exe, "-q", "-R", str(folder)],
                parse=_findimagedupes_found)  # fmt: skip


ND_DEFAULT = "neardup default"
ND_RESCAN = "neardup default, rescan"
ND_FAST = "neardup --no-trim --no-verify"
CZKAWKA = "Czkawka (Python bindings), default"
IMAGEDEDUP = "imagededup PHash, default"
POOL = "ImageHash phash, multiprocessing.Pool"
FINDIMAGEDUPES = "findimagedupes, default"
DUPEGURU = "dupeGuru picture mode, default"
ND_JOBS1 = "neardup default --jobs 1"
ND_FAST_JOBS1 = "neardup --no-trim --no-verify --jobs 1"
LOOP = "ImageHash phash loop, one process"
DECODE = "reduced decode alone (Pillow, 1/8 scale), one process"

KEYS = {
    "neardup": [ND_DEFAULT, ND_RESCAN],
    "neardup-fast": [ND_FAST],
    "czkawka": [CZKAWKA],
    "imagededup": [IMAGEDEDUP],
    "imagehash-pool": [POOL],
    "findimagedupes": [FINDIMAGEDUPES],
    "dupeguru": [DUPEGURU],
}


def peer_tools(selected: list[str]) -> list[Tool]:
    make: dict[str, Callable[[], Tool]] = {
        ND_DEFAULT: lambda: neardup_tool(ND_DEFAULT),
        ND_RESCAN: lambda: neardup_tool(ND_RESCAN, reuse=ND_DEFAULT),
        ND_FAST: lambda: neardup_tool(ND_FAST, "--no-trim", "--no-verify"),
        CZKAWKA: lambda: python_peer(CZKAWKA, "czkawka", "czkawka"),
        IMAGEDEDUP: lambda: python_peer(IMAGEDEDUP, "imagededup", "imagededup"),
        POOL: lambda: python_peer(POOL, "imagehash-pool", "imagehash"),
        FINDIMAGEDUPES: lambda: findimagedupes_tool(FINDIMAGEDUPES),
        DUPEGURU: lambda: dupeguru_tool(DUPEGURU),
    }
    return [make[name]() for key in selected for name in KEYS[key]]


def large_tools() -> list[Tool]:
    return [
        neardup_tool(ND_JOBS1, "--jobs", "1"),
        neardup_tool(ND_FAST_JOBS1, "--no-trim", "--no-verify", "--jobs", "1"),
        python_peer(LOOP, "imagehash-loop", "imagehash"),
        python_peer(DECODE, "reduced-decode", "PIL"),
    ]


def run_tools(
    tools: list[Tool],
    folder: Path,
    files: list[Path],
    timeout: float,
    warmup: bool,
    log: Callable[[str], None],
    repeat: int = 1,
) -> list[Result]:
    """Run every tool ``repeat`` times, in rounds (each round runs them all in order, so a
    change of the machine's load falls on every tool alike); a tool's result gives the
    median wall and CPU time of its rounds, and stops at its first failure."""
    results = {t.name: Result(t.name, "ok") for t in tools}
    with tempfile.TemporaryDirectory(prefix="neardup-peers-") as tmp:
        root = Path(tmp)
        tiny = root / "warmup-images"
        if warmup:
            tiny.mkdir()
            for p in files[:4]:
                shutil.copy(p, tiny / p.name)
        for round_ in range(repeat):
            scratches: dict[str, Path] = {}
            for i, tool in enumerate(tools):
                result = results[tool.name]
                if tool.command is None:
                    if round_ == 0:
                        log(f"{tool.name}: {tool.missing}")
                    result.status, result.detail = "not installed", tool.missing
                    continue
                if result.status != "ok":
                    continue
                if tool.reuse and tool.reuse in scratches:
                    scratch = scratches[tool.reuse]
                else:
                    scratch = root / f"tool{i}-round{round_}"
                    scratch.mkdir()
                    if warmup and round_ == 0:
                        warm = root / f"warmup{i}"
                        warm.mkdir()
                        timed(tool.command(tiny, warm), child_env(warm), timeout, warm)
                scratches[tool.name] = scratch
                rounds = f" (round {round_ + 1} of {repeat})" if repeat > 1 else ""
                log(f"{tool.name} ...{rounds}")
                state, wall, cpu, rss, out, err = timed(
                    tool.command(folder, scratch), child_env(scratch), timeout, scratch
                )
                log(f"  {state}, {wall:.1f} s wall, {cpu:.1f} s CPU")
                result.status = state
                if state != "ok":
                    result.detail = last_line(err) or last_line(out)
                    continue
                result.runs.append({"wall_s": wall, "cpu_s": cpu})
                result.peak_rss_mb = max(result.peak_rss_mb or 0.0, rss)
                try:
                    result.found = tool.parse(out, scratch) if tool.parse else {}
                except (ValueError, KeyError, OSError) as exc:
                    result.detail = f"could not read its result: {exc}"
    for result in results.values():
        if result.status == "ok" and result.runs:
            result.wall_s = statistics.median(r["wall_s"] for r in result.runs)
            result.cpu_s = statistics.median(r["cpu_s"] for r in result.runs)
            result.files_per_s = len(files) / result.wall_s
        else:
            result.runs = []
    return [results[t.name] for t in tools]


# ----------------------------------------------------------------------------- reporting


def machine_info() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    with contextlib.suppress(ValueError, OSError):
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "cpu_model": model,
        "memory_gb": mem_gb,
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
    }


def tool_versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    with tempfile.TemporaryDirectory(prefix="neardup-peers-") as tmp:
        try:
            out = subprocess.run(
                [sys.executable, str(DRIVERS), "versions"],
                env=child_env(Path(tmp)),
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            ).stdout
            found.update(json.loads(last_line(out)))
        except (subprocess.SubprocessError, ValueError):
            pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(HERE), "status", "--porcelain", "--", str(REPO_SRC)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        found["neardup"] = f"{found.get('neardup')} ({commit}{', modified src' if dirty else ''})"
    except (subprocess.SubprocessError, OSError):
        pass
    for pkg in ("findimagedupes", "dupeguru"):
        try:
            found[pkg] = subprocess.run(
                ["dpkg-query", "-W", "-f", "${Version}", pkg],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (subprocess.SubprocessError, OSError):
            found[pkg] = None
    return found


def ratios(results: list[Result], large: bool) -> list[dict[str, Any]]:
    by = {r.tool: r for r in results if r.status == "ok"}

    def ratio(a: str, b: str, what: str = "wall_s") -> float | None:
        """The median of the ratios of the two tools' times round by round."""
        if a not in by or b not in by:
            return None
        pairs = zip(by[a].runs, by[b].runs, strict=False)
        per_round = [x[what] / y[what] for x, y in pairs if y[what]]
        return float(statistics.median(per_round)) if per_round else None

    def item(name: str, a: str, b: str, target: str | None) -> dict[str, Any]:
        return {
            "name": name,
            "value": ratio(a, b, "cpu_s" if large else "wall_s"),
            "other": ratio(a, b, "wall_s" if large else "cpu_s"),
            "target": target,
        }

    if large:
        return [
            item("ImageHash loop / neardup default --jobs 1 (CPU; wall)", LOOP, ND_JOBS1, ">= 6"),
            item(
                "ImageHash loop / neardup --no-trim --no-verify --jobs 1 (CPU; wall)",
                LOOP,
                ND_FAST_JOBS1,
                None,
            ),
            # the most a tool that decodes the pixels can reach: decoding, nothing else
            item("ImageHash loop / reduced decode alone (CPU; wall)", LOOP, DECODE, None),
        ]
    return [
        item("neardup default / Czkawka (wall; CPU)", ND_DEFAULT, CZKAWKA, "<= 1.0"),
        item("neardup default / imagededup PHash (wall; CPU)", ND_DEFAULT, IMAGEDEDUP, "<= 0.5"),
        item("neardup default / --no-trim --no-verify (wall; CPU)", ND_DEFAULT, ND_FAST, "<= 1.3"),
        item("neardup rescan / first scan (wall; CPU)", ND_RESCAN, ND_DEFAULT, "<= 0.05"),
    ]


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _found(found: dict[str, Any]) -> str:
    parts = []
    if "hashed" in found:
        parts.append(f"{found['hashed']} hashed")
    if "decoded" in found:
        parts.append(f"{found['decoded']} decoded")
    if found.get("from_catalog"):
        parts.append(f"{found['from_catalog']} from catalog")
    if "in_groups" in found:
        parts.append(f"{found['in_groups']} in groups")
    if found.get("torch") == "stubbed":
        parts.append("torch stubbed")
    return ", ".join(parts)


def format_table(report: dict[str, Any]) -> str:
    results = [Result(**r) for r in report["results"]]
    base = next((r for r in results if r.tool == report["baseline"] and r.wall_s), None)
    lines = [
        "| tool | status | wall s | CPU s | files/s | × " + report["baseline"] + " | peak RSS MB "
        "| found |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        rel = r.wall_s / base.wall_s if base and r.wall_s else None
        lines.append(
            f"| {r.tool} | {r.status} | {_num(r.wall_s)} | {_num(r.cpu_s)} | "
            f"{_num(r.files_per_s, 0)} | {_num(rel, 2)} | {_num(r.peak_rss_mb, 0)} | "
            f"{_found(r.found) or r.detail} |"
        )
    lines.append("")
    for item in report["ratios"]:
        target = f" (target {item['target']})" if item["target"] else ""
        lines.append(
            f"- {item['name']}: {_num(item['value'], 2)}; {_num(item['other'], 2)}{target}"
        )
    m = report["machine"]
    rounds = report.get("repeat", 1)
    if rounds > 1:
        lines.append(f"- times are medians of {rounds} rounds; ratios, medians of each round's")
    lines += [
        "",
        f"folder: {json.dumps(report['folder'])}",
        f"machine: {m['cpu_count']} CPUs ({m['cpus_usable']} usable), {m['cpu_model']}, "
        f"{m['memory_gb']} GB, {m['system']}, Python {m['python']}",
        f"load average (1, 5, 15 min) before: {report['load_before']}, after: "
        f"{report['load_after']}",
        "versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items() if v),
    ]
    for r in results:
        if r.status != "ok" and r.detail:
            lines.append(f"{r.tool}: {r.detail}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True, help="where the images go")
    parser.add_argument("--photos", type=Path, help="photos to build the images from")
    parser.add_argument("--images", type=int, default=2000, help="number of images (2000)")
    parser.add_argument("--min-mp", type=float, default=0.1, help="smallest megapixels (0.1)")
    parser.add_argument("--max-mp", type=float, default=12.0, help="largest megapixels (12)")
    parser.add_argument("--png-share", type=float, default=0.2, help="share of PNGs (0.2)")
    parser.add_argument("--dup-share", type=float, default=0.1, help="planted near-dups (0.1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--large", type=int, metavar="N", help="N 12 MP JPEGs, --jobs 1 mode")
    parser.add_argument(
        "--tools", default=",".join(KEYS), help=f"comma-separated subset of {','.join(KEYS)}"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per tool (1800)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of every tool; medians are reported (1)"
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up")
    parser.add_argument("--gen-jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--generate-only", action="store_true", help="only make the folder")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--output", type=Path, help="write the report here instead of stdout")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    large = args.large is not None
    spec = FolderSpec(
        images=args.large if large else args.images,
        min_mp=12.0 if large else args.min_mp,
        max_mp=12.0 if large else args.max_mp,
        png_share=0.0 if large else args.png_share,
        dup_share=0.0 if large else args.dup_share,
        seed=args.seed,
        photos=photos_fingerprint(args.photos),
        large=large,
    )
    selected = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in selected if t not in KEYS]
    if unknown:
        parser.error(f"unknown tools: {', '.join(unknown)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    files = ensure_folder(args.folder, spec, args.photos, args.gen_jobs, log)
    if args.generate_only:
        print(json.dumps(describe_folder(files)))
        return 0
    tools = large_tools() if large else peer_tools(selected)
    log("reading every image once (page cache) ...")
    warm_page_cache(files)
    versions = tool_versions()
    adopts = become_subreaper()
    load_before = [round(x, 2) for x in os.getloadavg()]
    results = run_tools(
        tools, args.folder, files, args.timeout, not args.no_warmup, log, args.repeat
    )
    load_after = [round(x, 2) for x in os.getloadavg()]
    report = {
        "mode": "large" if large else "peers",
        "baseline": ND_JOBS1 if large else ND_DEFAULT,
        "folder": {**describe_folder(files), "seed": args.seed, "source": spec.photos},
        "machine": {
            **machine_info(),
            "cpu_time_of": "every process of the tool"
            if adopts
            else "the main process and the children it waited for",
        },
        "load_before": load_before,
        "load_after": load_after,
        "repeat": args.repeat,
        "versions": versions,
        "results": [asdict(r) for r in results],
        "ratios": ratios(results, large),
    }
    text = json.dumps(report, indent=1) if args.format == "json" else format_table(report)
    if args.output:
        args.output.write_text(text + "\n")
        log(f"wrote {args.output}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
