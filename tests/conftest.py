"""Shared fixtures: the test data, a private home for the whole run and for each test,
planted near-duplicates, and ways to run the command line (in this process or for real)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from PIL import Image

from tests import isolation
from tests.imaging import make_variant

ROOT = Path(__file__).resolve().parents[1]
#: The test data shipped with the tests (see tests/data/README.md).
DATA = Path(__file__).resolve().parent / "data"
PHOTOS = DATA / "photos"
ODD = DATA / "odd"
#: The full development corpus is optional: only slow tests and benchmarks read it.
CORPUS_ENV = "NEARDUP_CORPUS"


def photo(number: int) -> Path:
    """The test photo made from corpus photo ``number`` (its name starts with ``NNN_``)."""
    (path,) = PHOTOS.glob(f"{number:03d}_*")
    return path


def read_manifest(odd: Path = ODD) -> list[dict[str, str]]:
    """The rows of ``odd/MANIFEST.tsv``: file, kind, expected, note."""
    with (odd / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


# --- a private home for the whole session ---------------------------------------------------
#
# Module- and session-scoped fixtures run outside any test's own NEARDUP_HOME, and
# subprocesses inherit the environment: so the whole run gets private HOME, XDG and
# NEARDUP_HOME folders. The user's real neardup folders are snapshotted first and compared
# at the end; any change fails the run.

_session: dict[str, Any] = {}


def pytest_configure(config: pytest.Config) -> None:
    locations = isolation.user_locations()  # from the real environment, before the switch
    root = Path(tempfile.mkdtemp(prefix="neardup-tests-"))
    _session.update(
        locations=locations,
        before=isolation.snapshot(locations),
        saved={name: os.environ.get(name) for name in isolation.PRIVATE_VARIABLES},
        root=root,
    )
    os.environ.update(isolation.private_environment(root))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if "locations" not in _session:
        return
    after = isolation.snapshot(_session["locations"])
    changed = isolation.differences(_session["before"], after)
    if changed:
        lines = ["the test run changed the user's own neardup folders:", *changed]
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for line in lines:
            if reporter is not None:
                reporter.write_line(line, red=True)
            else:  # pragma: no cover - the terminal reporter is always there
                print(line, file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    for name, value in _session.pop("saved", {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    root = _session.pop("root", None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)
    _session.clear()


@pytest.fixture(scope="session")
def full_corpus() -> Path:
    """The full development corpus named by ``NEARDUP_CORPUS`` (skips when it is not set)."""
    value = os.environ.get(CORPUS_ENV)
    if not value:
        pytest.skip(f"set {CORPUS_ENV} to the full image corpus folder to run this test")
    corpus = Path(value)
    if not (corpus / "photos").is_dir() or not (corpus / "odd" / "MANIFEST.tsv").is_file():
        pytest.fail(f"{CORPUS_ENV}={value} is not a corpus folder (photos/ and odd/ expected)")
    return corpus


@pytest.fixture(autouse=True)
def neardup_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own NEARDUP_HOME, so no test touches the user's state."""
    home = tmp_path_factory.mktemp("neardup-home")
    monkeypatch.setenv("NEARDUP_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def photo_paths() -> list[Path]:
    """The test photos, sorted by name: mutually distinct (no two within 10 pHash bits)."""
    return sorted(p for p in PHOTOS.iterdir() if p.is_file())


#: Corpus photo number -> variant kinds planted by ``planted_library``; one group each.
PLANTED = {
    0: ("resize50", "jpeg70"),
    17: ("resize50",),
    42: ("jpeg30", "png"),
    99: ("resize25",),
}
PLANTED_COPIES = sum(len(kinds) for kinds in PLANTED.values())


@pytest.fixture(scope="session")
def planted_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only template: all test photos plus planted variants in ``copies/``."""
    root = tmp_path_factory.mktemp("planted") / "library"
    shutil.copytree(PHOTOS, root / "photos")
    copies = root / "copies"
    copies.mkdir()
    for number, kinds in PLANTED.items():
        for kind in kinds:
            make_variant(photo(number), copies, kind)
    return root


@pytest.fixture
def planted_folder(planted_library: Path, tmp_path: Path) -> Path:
    """A private copy of the planted library that a test may modify."""
    dest = tmp_path / "library"
    shutil.copytree(planted_library, dest)
    return dest


def expected_planted_groups(root: Path) -> set[frozenset[str]]:
    groups = set()
    for number, kinds in PLANTED.items():
        src = photo(number)
        members = {str(root / "photos" / src.name)}
        for kind in kinds:
            members |= {str(p) for p in (root / "copies").glob(f"{src.stem}.{kind}.*")}
        groups.add(frozenset(members))
    return groups


# --- running the command line ----------------------------------------------------------------


class CliResult(NamedTuple):
    """What one command-line run gave: unpacks as ``(code, out, err)``; also has the
    ``returncode``/``stdout``/``stderr`` names of :class:`subprocess.CompletedProcess`."""

    code: int
    out: str
    err: str

    @property
    def returncode(self) -> int:
        return self.code

    @property
    def stdout(self) -> str:
        return self.out

    @property
    def stderr(self) -> str:
        return self.err


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Run ``neardup ARGS`` in this process through ``neardup.cli.main``, the console script's
    own entry point, so its mapping of errors and interrupts to exit codes is exercised.

    ``env`` sets environment variables for this run only, ``input`` is standard input (not a
    terminal). Use ``run_cli`` where a real process is the point."""
    from neardup.cli import main

    def run(*args: str, env: dict[str, str] | None = None, input: str = "") -> CliResult:
        capsys.readouterr()
        with monkeypatch.context() as m:
            for name, value in (env or {}).items():
                m.setenv(name, value)
            m.setattr(sys, "stdin", io.StringIO(input))
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            else:  # pragma: no cover - main always exits
                pytest.fail(f"main({list(args)!r}) returned instead of exiting")
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m neardup`` in a subprocess: a real process, for signals, terminals,
    fresh interpreters and the module entry point. Prefer ``cli`` otherwise (much faster)."""

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        input: str | None = None,
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

    return run


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
