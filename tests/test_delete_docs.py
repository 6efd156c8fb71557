"""docs/delete.md covers every command, reason code and journal record type."""

from __future__ import annotations

import re

import pytest

from neardup.actions.apply import SKIP_REASONS
from neardup.actions.plan import REASONS
from neardup.actions.undo import FINAL
from neardup.cli import app
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "delete.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", sorted({*REASONS, *SKIP_REASONS, *FINAL, "conflict", "missing"}))
def test_reason_code_documented(code: str) -> None:
    assert f"`{code}`" in DOC


@pytest.mark.parametrize("command", ["delete", "undo", "history"])
def test_command_documented_and_has_help(command: str) -> None:
    assert f"neardup {command}" in DOC
    registered = {c.name: c for c in app.registered_commands}
    assert registered[command].callback is not None
    assert registered[command].callback.__doc__


def test_delete_options_documented() -> None:
    source = (ROOT / "src" / "neardup" / "cli" / "delete.py").read_text(encoding="utf-8")
    options = re.findall(r'"(--[a-z-]+)"', source)
    assert {"--dry-run", "--keep", "--reference", "--move-to", "--permanent"} <= set(options)
    for opt in set(options) - {"--format"}:
        assert opt in DOC, opt


def test_journal_record_types_documented() -> None:
    source = (ROOT / "src" / "neardup" / "actions").glob("*.py")
    types = {t for p in source for t in re.findall(r'"type": "([a-z-]+)"', p.read_text())}
    assert types >= {"run", "intent", "done", "failed", "skip", "end", "undo", "undone"}
    for t in types:
        assert f"`{t}`" in DOC, t
