"""Option values converted without Pydantic equal Typer's own conversion, errors included."""

from __future__ import annotations

import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer
from typer import _coercion
from typer.core import _TyperParameter

from neardup.cli.application import app
from neardup.cli.coercion import converter


def _parameters() -> list[tuple[Any, Any]]:
    """(command, parameter) of every Typer parameter of every command."""
    found = []
    todo = [typer.main.get_command(app)]
    while todo:
        command = todo.pop()
        todo.extend(getattr(command, "commands", {}).values())
        found += [(command, p) for p in command.params if isinstance(p, _TyperParameter)]
    return found


def _samples(annotation: Any, tmp: Path) -> list[Any]:
    text = str(annotation)
    if "Enum" in text or (isinstance(annotation, type) and issubclass(annotation, Enum)):
        return [m.value for m in annotation] + ["nonsense"]
    samples: list[Any] = ["abc", "5", "-2", "0", "0.5", "1e3", "", " 7", "1_000", str(tmp)]
    samples += [str(tmp / "missing.txt"), 3, 0.25, True, ("a", "b"), ("3", "x")]
    return samples


def _outcome(runtime: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        return "value", runtime.coerce(value, param=param, ctx=ctx)
    except typer.BadParameter as exc:
        return "error", exc.format_message()
    except Exception as exc:  # whatever Typer raises, both must raise alike
        return "raised", type(exc).__name__


def test_plain_conversion_equals_typers(tmp_path: Path) -> None:
    checked = 0
    for command, param in _parameters():
        desc = param.type_descriptor
        if converter(desc.annotation, desc.parameter_info) is None:
            continue
        ctx = typer.Context(command)
        param._runtime_param = None
        plain = param.get_runtime_param()
        full = _coercion.build_runtime_param(desc)
        assert type(plain) is not type(full)
        for value in _samples(desc.annotation, tmp_path):
            assert _outcome(plain, value, param, ctx) == _outcome(full, value, param, ctx), (
                command.name,
                param.name,
                value,
            )
            checked += 1
    assert checked > 200


def test_a_scan_does_not_import_pydantic(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from neardup.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('pydantic' in sys.modules)\n"
    )
    args = [str(tmp_path), "-t", "5", "--verify-min", "0.9", "--format", "json", "-q"]
    args += ["-o", str(tmp_path / "out.json"), "--no-save", "--no-cache", "--jobs", "1"]
    out = subprocess.run(
        [sys.executable, "-c", code, "scan", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr


@pytest.mark.parametrize("value", ["-1", "ten"])
def test_a_bad_value_gets_typers_message(value: str, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "neardup", "scan", str(tmp_path), "-t", value, "--no-save"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 2
    assert "--threshold" in out.stderr and "Traceback" not in out.stderr
