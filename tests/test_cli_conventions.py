"""Conventions every command follows: help for everything, formats, one-line errors, colour."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from neardup.cli import app, main
from neardup.cli.reference import walk

_SGR_COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-7][0-9;]*m|\x1b\[[0-9;]*38;[0-9;]*m")


def test_every_command_and_option_has_help() -> None:
    for name, cmd, ctx in walk(app):
        assert (cmd.help or "").strip(), f"{name} has no help text"
        for param in cmd.get_params(ctx):
            if param.param_type_name == "option" and not getattr(param, "hidden", False):
                assert (param.help or "").strip(), f"{name} {param.opts[0]} has no help"


def test_format_options_offer_table_and_json() -> None:
    with_format = []
    for name, cmd, ctx in walk(app):
        for param in cmd.get_params(ctx):
            if "--format" in getattr(param, "opts", ()):
                record = param.get_help_record(ctx)[0]
                choices = set(re.search(r"\[([^\]]*)\]", record).group(1).split("|"))
                # An export writes a data file; everything else prints results for people too.
                wanted = {"json"} if name.endswith(" export") else {"table", "json"}
                assert wanted <= choices, f"{name} --format offers {choices}"
                with_format.append(name)
    assert {"neardup scan", "neardup demo", "neardup doctor"} <= set(with_format)


@pytest.mark.parametrize(
    ("args", "needle", "hint"),
    [
        (["scan", "--threshold", "many", "."], "Invalid value for '--threshold'", "neardup scan"),
        (["scan"], "Missing argument", "neardup scan"),
        (["scan", ".", "--no-such-option"], "No such option", "neardup scan"),
        (["no-such-command"], "No such command", "neardup"),
        (["doctor", "--format", "xml"], "'xml' is not one of", "neardup doctor"),
    ],
)
def test_parser_errors_are_one_line_with_a_hint(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str, hint: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("neardup: error: ") and needle in lines[0]
    assert lines[1] == f"hint: see '{hint} --help'"
    assert out == ""


def test_colour_only_for_terminals_and_never_with_no_color(run_cli: Any, tmp_path: Path) -> None:
    from PIL import Image

    img = Image.linear_gradient("L").convert("RGB")
    img.save(tmp_path / "a.png")
    img.save(tmp_path / "b.jpg", quality=80)
    piped = run_cli("scan", str(tmp_path), "--no-save")
    assert piped.returncode == 0 and "keep" in piped.stdout
    assert "\x1b[" not in piped.stdout + piped.stderr  # not a terminal: plain text
    # The check can fail: the same table drawn for a colour terminal does match it.
    terminal = Console(file=io.StringIO(), force_terminal=True, color_system="standard")
    terminal.print("[green]keep[/]")
    assert _SGR_COLOUR.search(terminal.file.getvalue())  # type: ignore[attr-defined]
    no_color = run_cli(
        "scan", str(tmp_path), "--no-save", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}
    )
    assert not _SGR_COLOUR.search(no_color.stdout)


def test_shell_completion_is_offered(cli: Any) -> None:
    res = cli("--help", env={"NO_COLOR": "1", "COLUMNS": "120"})
    assert "--install-completion" in res.stdout and "--show-completion" in res.stdout


def test_the_command_runs_one_blas_thread_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work runs in processes: a BLAS thread pool in each only spins at start-up."""
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # what a user set is kept
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert os.environ["MKL_NUM_THREADS"] == "3"
