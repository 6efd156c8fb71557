"""Developer sessions: ``nox -s tests``, ``slow``, ``lint``, ``typecheck`` and ``docs``."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.default_venv_backend = "uv|virtualenv"


@nox.session
def tests(session: nox.Session) -> None:
    """The default test run (everything not marked slow)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def slow(session: nox.Session) -> None:
    """Only the tests marked slow (exit code 5, none collected, is accepted here)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "-m", "slow", *session.posargs, success_codes=[0, 5])


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate docs/cli-reference.md from the app, then run the documentation tests."""
    session.install("-e", ".[test]")
    with open("docs/cli-reference.md", "w", encoding="utf-8") as fh:
        session.run("python", "-m", "neardup.cli.reference", stdout=fh)
    session.run(
        "python",
        "-m",
        "pytest",
        "-m",
        "slow or not slow",  # the runnable examples are marked slow
        "tests/test_cli_reference.py",
        "tests/test_docs.py",
        "tests/test_docs_examples.py",
        *session.posargs,
    )
