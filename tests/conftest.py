"""Shared fixtures: an isolated NEARDUP_HOME, the shared image corpus, planted near-duplicates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.imaging import make_variant

ROOT = Path(__file__).resolve().parents[1]


def _corpus_dir() -> Path:
    env = os.environ.get("NEARDUP_CORPUS")
    candidates = [Path(env)] if env else []
    candidates += [ROOT.parent / "shared" / "corpus", ROOT / "shared" / "corpus"]
    for c in candidates:
        if (c / "photos").is_dir():
            return c
    raise RuntimeError(
        "the shared image corpus was not found; set NEARDUP_CORPUS to its folder "
        f"(looked in: {', '.join(map(str, candidates))})"
    )


CORPUS = _corpus_dir()
PHOTOS = CORPUS / "photos"
ODD = CORPUS / "odd"


@pytest.fixture(autouse=True)
def neardup_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own NEARDUP_HOME, so no test touches the user's state."""
    home = tmp_path_factory.mktemp("neardup-home")
    monkeypatch.setenv("NEARDUP_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def corpus() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def photo_paths() -> list[Path]:
    return sorted(p for p in PHOTOS.iterdir() if p.is_file())


#: (photo index, variant kind) planted by ``planted_folder``; each photo makes one group.
PLANTED = {
    0: ("resize50", "jpeg70"),
    17: ("resize50",),
    42: ("jpeg30", "png"),
    99: ("resize25",),
}


@pytest.fixture(scope="session")
def planted_library(tmp_path_factory: pytest.TempPathFactory, photo_paths: list[Path]) -> Path:
    """A read-only template: all 150 photos plus planted variants in ``copies/``."""
    root = tmp_path_factory.mktemp("planted") / "library"
    shutil.copytree(PHOTOS, root / "photos")
    copies = root / "copies"
    copies.mkdir()
    for idx, kinds in PLANTED.items():
        src = photo_paths[idx]
        for kind in kinds:
            make_variant(src, copies, kind)
    return root


@pytest.fixture
def planted_folder(planted_library: Path, tmp_path: Path) -> Path:
    """A private copy of the planted library that a test may modify."""
    dest = tmp_path / "library"
    shutil.copytree(planted_library, dest)
    return dest


def expected_planted_groups(root: Path, photo_paths: list[Path]) -> set[frozenset[str]]:
    groups = set()
    for idx, kinds in PLANTED.items():
        src = photo_paths[idx]
        members = {str(root / "photos" / src.name)}
        for kind in kinds:
            members |= {str(p) for p in (root / "copies").glob(f"{src.stem}.{kind}.*")}
        groups.add(frozenset(members))
    return groups


@pytest.fixture
def run_cli() -> Iterator[object]:
    """Run the installed ``neardup`` command in a subprocess (the real console script path)."""

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        input: str | None = None,  # noqa: A002 - the name subprocess.run uses
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        full_env = dict(os.environ)
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "neardup", *args],
            capture_output=True,
            text=True,
            env=full_env,
            input=input,
            timeout=timeout,
            check=False,
        )

    yield run


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path Pillow is asked to open (decode or header read) in this process."""
    calls: list[str] = []
    real = Image.open

    def counting(fp: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(os.fspath(fp) if isinstance(fp, str | os.PathLike) else repr(fp))
        return real(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counting)
    return calls
