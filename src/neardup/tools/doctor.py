"""What this neardup installation can do: optional extras, formats, trash, backends, folders.

The list of extras is read at run time from the installed distribution's metadata
(``Requires-Dist: ...; extra == "name"``), so it never drifts from ``pyproject.toml``.
An extra is *installed* when every distribution it requires is installed, and *working*
when a real smoke check passes (decode a tiny image, build a tiny index, import the
modules, ...). Checks never touch the user's files.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from neardup import __version__
from neardup.catalog.paths import HOME_ENV, cache_dir, data_dir, state_dir
from neardup.errors import install_hint
from neardup.tools.smoke import normalise_name, roundtrip, smoke_check

DIST = "neardup"

#: Extras that only matter to people working on neardup itself.
DEVELOPMENT_EXTRAS = frozenset({"test", "dev", "docs", "bench"})

#: Libraries whose versions are reported (distribution names).
KEY_LIBRARIES = (
    "Pillow",
    "ImageHash",
    "numpy",
    "scipy",
    "pybktree",
    "platformdirs",
    "typer",
    "rich",
    "Jinja2",
    "Send2Trash",
    "pillow-heif",
    "openTSNE",
)

_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")
_DIST_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?")


@dataclass(frozen=True, slots=True)
class ExtraStatus:
    """One optional extra (``pip install 'neardup[name]'``) and whether it works here."""

    name: str
    kind: str  # "feature" or "development"
    requires: tuple[str, ...]
    installed: bool
    missing: tuple[str, ...]
    working: bool | None  # None when not installed (nothing to check)
    detail: str
    install: str


@dataclass(frozen=True, slots=True)
class Check:
    """A capability that is not an extra by itself: a file format, the trash, a backend."""

    name: str
    available: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Location:
    """A folder neardup writes its own files to, with what is in it."""

    name: str
    purpose: str
    path: str
    exists: bool
    bytes: int
    files: int
    entries: tuple[tuple[str, int], ...] = ()


@dataclass(slots=True)
class Diagnosis:
    """Everything ``neardup doctor`` reports."""

    neardup_version: str
    python: str
    platform: str
    extras: list[ExtraStatus]
    formats: list[Check]
    trash: Check
    backends: list[Check]
    libraries: dict[str, str | None]
    locations: list[Location]
    home_override: str | None = None

    @property
    def healthy(self) -> bool:
        """False when an installed extra fails its smoke check (a broken installation)."""
        return all(e.working is not False for e in self.extras)

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        for loc in doc["locations"]:
            loc["entries"] = [{"name": n, "bytes": b} for n, b in loc["entries"]]
        doc["healthy"] = self.healthy
        return doc


# --- extras --------------------------------------------------------------------------


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def declared_extras(dist: str = DIST) -> dict[str, tuple[str, ...]]:
    """Extra name -> the distribution names it requires, from installed metadata.

    A self-reference such as ``neardup[test]`` inside ``dev`` is expanded.
    """
    meta = metadata.metadata(dist)
    extras: dict[str, list[str]] = {name: [] for name in meta.get_all("Provides-Extra") or []}
    nested: dict[str, list[str]] = {name: [] for name in extras}
    for req in meta.get_all("Requires-Dist") or []:
        spec, _, marker = req.partition(";")
        found = _EXTRA_MARKER.search(marker)
        m = _DIST_NAME.match(spec)
        if not found or not m:
            continue
        extra, name = found.group(1), m.group(1)
        extras.setdefault(extra, [])
        nested.setdefault(extra, [])
        if normalise_name(name) == normalise_name(dist):
            nested[extra] += [e.strip() for e in (m.group(2) or "[]")[1:-1].split(",") if e]
        else:
            extras[extra].append(name)
    resolved: dict[str, tuple[str, ...]] = {}
    for extra in extras:
        seen: list[str] = []
        stack = [extra]
        visited: set[str] = set()
        while stack:
            e = stack.pop(0)
            if e in visited:
                continue
            visited.add(e)
            seen += [n for n in extras.get(e, []) if n not in seen]
            stack += nested.get(e, [])
        resolved[extra] = tuple(seen)
    return dict(sorted(resolved.items()))


def _check_extra(name: str, requires: tuple[str, ...]) -> ExtraStatus:
    kind = "development" if name in DEVELOPMENT_EXTRAS else "feature"
    missing = tuple(d for d in requires if _dist_version(d) is None)
    install = install_hint(name)
    if missing:
        return ExtraStatus(
            name, kind, requires, False, missing, None, "missing: " + ", ".join(missing), install
        )
    if kind == "development":
        return ExtraStatus(name, kind, requires, True, (), True, "installed", install)
    outcomes = [smoke_check(dist) for dist in requires]
    failed = next((detail for ok, detail in outcomes if not ok), None)
    if failed is not None:
        return ExtraStatus(name, kind, requires, True, (), False, failed, install)
    detail = "; ".join(detail for _, detail in outcomes)
    return ExtraStatus(name, kind, requires, True, (), True, detail, install)


def check_extras() -> list[ExtraStatus]:
    """Every extra declared by the installed neardup, installed or not, smoke-checked."""
    try:
        declared = declared_extras()
    except metadata.PackageNotFoundError:
        return []
    statuses = [_check_extra(name, reqs) for name, reqs in declared.items()]
    return sorted(statuses, key=lambda e: (e.kind != "feature", e.name))


# --- formats, trash, backends --------------------------------------------------------


def _format_check(name: str, fmt: str, hint: str) -> Check:
    from PIL import Image

    # Importing decode registers the optional openers (pillow-heif) exactly as a scan does.
    import neardup.hashing.decode  # noqa: F401

    if fmt not in Image.registered_extensions().values() and fmt not in Image.OPEN:
        return Check(name, False, f"no decoder; {hint}")
    try:
        return Check(name, True, roundtrip(fmt))
    except Exception as exc:
        # Some builds decode but cannot encode; opening is what a scan needs.
        if fmt in Image.OPEN:
            return Check(name, True, f"decoder registered (no encoder to test with: {exc})")
        return Check(name, False, f"{exc}; {hint}")


def check_formats() -> list[Check]:
    """HEIC and AVIF decoding (the formats behind an extra or a recent Pillow)."""
    return [
        _format_check("HEIC", "HEIF", install_hint("heic")),
        _format_check("AVIF", "AVIF", "needs Pillow >= 11.2 or " + install_hint("heic")),
    ]


def _xdg_trash() -> Path:
    base = os.environ.get("XDG_DATA_HOME")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "Trash"


def check_trash() -> Check:
    """Whether moving to the trash can work here (nothing is moved or created to find out).

    On macOS and Windows the system trash is reached through send2trash; elsewhere neardup
    writes the freedesktop.org trash itself, which needs a writable ``Trash`` folder under
    ``$XDG_DATA_HOME`` (or a parent where it can be created).
    """
    if sys.platform in ("darwin", "win32"):
        try:
            import send2trash  # noqa: F401
        except ImportError:
            return Check("trash", False, "send2trash is not installed; use --move-to DIR")
        return Check("trash", True, f"system trash via send2trash ({sys.platform})")
    try:
        trash = _xdg_trash()
    except RuntimeError:
        return Check("trash", False, "no home folder; use --move-to DIR")
    probe = next((p for p in (trash, *trash.parents) if p.exists()), None)
    if probe is None or not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        return Check("trash", False, f"{trash} cannot be created or written; use --move-to DIR")
    state = "exists" if trash.is_dir() else f"can be created under {probe}"
    return Check("trash", True, f"freedesktop.org trash {trash} ({state})")


def check_backends() -> list[Check]:
    """Every registered index backend and whether it can run here."""
    from neardup import index
    from neardup.errors import NeardupError

    out: list[Check] = []
    for name in index.available():
        try:
            backend = index.load(name)
        except NeardupError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            out.append(Check(name, False, f"{exc}{hint}"))
            continue
        exact = "exact" if getattr(backend, "exact", True) else "approximate"
        out.append(Check(name, True, f"{exact}, {getattr(backend, 'metric', 'hamming')}"))
    return out


# --- folders -------------------------------------------------------------------------


def _folder_size(path: Path) -> tuple[int, int]:
    total = files = 0
    for dirpath, _dirs, names in os.walk(path):
        for n in names:
            try:
                total += (Path(dirpath) / n).stat().st_size
                files += 1
            except OSError:
                continue
    return total, files


def _location(name: str, purpose: str, path: Path) -> Location:
    if not path.is_dir():
        return Location(name, purpose, str(path), False, 0, 0)
    total, files = _folder_size(path)
    entries: list[tuple[str, int]] = []
    for child in sorted(path.iterdir()):
        size = _folder_size(child)[0] if child.is_dir() else child.stat().st_size
        entries.append((child.name + ("/" if child.is_dir() else ""), size))
    return Location(name, purpose, str(path), True, total, files, tuple(entries))


def check_locations() -> list[Location]:
    """The folders neardup keeps its own files in, with their sizes."""
    return [
        _location("state", "delete journal (undo, history)", state_dir()),
        _location("data", "hash catalog: hashes, the last scan, scan history", data_dir()),
        _location("cache", "thumbnails and other caches (safe to delete)", cache_dir()),
    ]


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"neardup": __version__}
    versions.update({name: _dist_version(name) for name in KEY_LIBRARIES})
    try:
        from PIL import features

        versions["libjpeg-turbo"] = features.version("libjpeg_turbo")
    except Exception:  # pragma: no cover - depends on the Pillow build
        versions["libjpeg-turbo"] = None
    return versions


def diagnose() -> Diagnosis:
    """Run every check; never raises for a missing or broken optional component."""
    return Diagnosis(
        neardup_version=__version__,
        python=f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
        platform=platform.platform(terse=True),
        extras=check_extras(),
        formats=check_formats(),
        trash=check_trash(),
        backends=check_backends(),
        libraries=library_versions(),
        locations=check_locations(),
        home_override=os.environ.get(HOME_ENV) or None,
    )
