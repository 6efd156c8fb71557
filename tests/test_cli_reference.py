"""docs/cli-reference.md is generated from the Typer app and must never be stale."""

from __future__ import annotations

import copy as copy_module
from typing import Annotated

import typer

from neardup.cli import app
from neardup.cli.reference import REGENERATE, missing_from, option_names, problems, render, walk
from tests.conftest import ROOT

REFERENCE = ROOT / "docs" / "cli-reference.md"


def test_committed_reference_is_current() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    assert problems(app, text) == [], f"regenerate it: {REGENERATE}"


def test_every_command_and_option_is_in_the_reference() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    commands = [name for name, _cmd, _ctx in walk(app)]
    assert {"neardup", "neardup scan", "neardup demo", "neardup doctor"} <= set(commands)
    for name in commands:
        assert f"## {name}" in text
    for command, option in option_names(app):
        assert option in text, f"{command} {option} is not documented"
    # Shell completion is part of the interface (Typer's --install-completion).
    assert ("neardup", "--install-completion") in option_names(app)


def _copy_of_app() -> typer.Typer:
    """A new Typer app with the same commands, so the real one is never modified."""
    copy = copy_module.copy(app)
    copy.registered_commands = list(app.registered_commands)
    copy.registered_groups = list(app.registered_groups)
    return copy


def test_a_new_command_without_regenerating_is_caught() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    copy = _copy_of_app()
    assert render(copy) == render(app)  # the copy is faithful

    @copy.command("throwaway")
    def throwaway(
        frobnicate: Annotated[int, typer.Option("--frobnicate", help="How much.")] = 1,
    ) -> None:
        """A command nobody documented."""

    found = problems(copy, text)
    assert "command 'neardup throwaway'" in found
    assert "option --frobnicate of 'neardup throwaway'" in found
    assert found[-1].startswith("the reference is stale")
    # Regenerating fixes it, and the real app was never touched.
    assert problems(copy, render(copy)) == []
    assert "throwaway" not in [c.name for c in app.registered_commands]


def test_an_undocumented_option_is_caught() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    start = text.index("## neardup scan\n")
    line = next(ln for ln in text[start:].splitlines() if ln.startswith("| `-t, --threshold"))
    edited = text[:start] + text[start:].replace(line + "\n", "", 1)
    assert missing_from(app, edited) == [
        "option --threshold of 'neardup scan'",
        "option -t of 'neardup scan'",
    ]
