"""The command reference (docs/cli-reference.md), generated from the Typer app itself.

Regenerate it after changing any command or option::

    python -m neardup.cli.reference > docs/cli-reference.md

A test renders the app again and fails when the committed file differs, and checks that
every command and option is named in it.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Iterator
from typing import Any

import typer

REGENERATE = "python -m neardup.cli.reference > docs/cli-reference.md"

_HEADER = f"""\
# Command reference

<!-- Generated from the command-line app; do not edit by hand.
     Regenerate with: {REGENERATE} -->

Every command and option of `neardup`, as `neardup COMMAND --help` shows them.
Exit codes: 0 ok, 1 error, 2 usage error, 3 duplicates found with `--fail-on-duplicates`,
130 interrupted.
"""


def _cell(text: str) -> str:
    """Text made safe for one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _root(app: typer.Typer) -> tuple[Any, Any]:
    command = typer.main.get_command(app)
    ctx = typer.Context(command, info_name="neardup", **command.context_settings)
    return command, ctx


def walk(app: typer.Typer) -> Iterator[tuple[str, Any, Any]]:
    """Every visible command as ``(full name, click command, its context)``, root first."""
    command, ctx = _root(app)

    def visit(cmd: Any, cmd_ctx: Any, name: str) -> Iterator[tuple[str, Any, Any]]:
        yield name, cmd, cmd_ctx
        sub = getattr(cmd, "commands", None)
        if not sub:
            return
        for sub_name in sorted(sub):
            child = sub[sub_name]
            if getattr(child, "hidden", False):
                continue
            child_ctx = typer.Context(
                child, info_name=sub_name, parent=cmd_ctx, **child.context_settings
            )
            yield from visit(child, child_ctx, f"{name} {sub_name}")

    yield from visit(command, ctx, "neardup")


def _params(cmd: Any, ctx: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    arguments: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    for param in cmd.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            metavar = getattr(param, "human_readable_name", None) or param.name
            if getattr(param, "nargs", 1) != 1:
                metavar = f"{metavar}..."
            required = "required" if param.required else "optional"
            arguments.append((str(metavar), f"{getattr(param, 'help', '') or ''} ({required})"))
        elif param.param_type_name == "option":
            record = param.get_help_record(ctx)
            if record:
                options.append((record[0], record[1]))
    return arguments, options


def option_names(app: typer.Typer) -> list[tuple[str, str]]:
    """``(command, option)`` for every option name (long, short and ``--no-`` forms)."""
    names: list[tuple[str, str]] = []
    for name, cmd, ctx in walk(app):
        for param in cmd.get_params(ctx):
            if param.param_type_name == "option" and not getattr(param, "hidden", False):
                names += [(name, opt) for opt in [*param.opts, *param.secondary_opts]]
    return names


def render(app: typer.Typer) -> str:
    """The whole reference as Markdown."""
    parts = [_HEADER]
    for name, cmd, ctx in walk(app):
        title = name if name != "neardup" else "neardup (global options)"
        parts.append(f"## {title}\n")
        usage = cmd.get_usage(ctx).removeprefix("Usage: ").strip()
        parts.append(f"```text\n{usage}\n```\n")
        doc = inspect.cleandoc(cmd.help or "")
        if doc:
            parts.append(doc.replace("\b\n", "") + "\n")
        arguments, options = _params(cmd, ctx)
        if arguments:
            parts.append("| argument | description |\n| --- | --- |")
            parts += [f"| `{_cell(a)}` | {_cell(h)} |" for a, h in arguments]
            parts.append("")
        if options:
            parts.append("| option | description |\n| --- | --- |")
            parts += [f"| `{_cell(o)}` | {_cell(h)} |" for o, h in options]
            parts.append("")
        sub = getattr(cmd, "commands", None)
        if sub:
            listed = [
                f"- [`{name} {n}`](#{_anchor(f'{name} {n}')}): {_cell(_short(sub[n]))}"
                for n in sorted(sub)
                if not getattr(sub[n], "hidden", False)
            ]
            parts.append("Commands:\n\n" + "\n".join(listed) + "\n")
    return "\n".join(parts).rstrip() + "\n"


def _short(cmd: Any) -> str:
    return str(cmd.get_short_help_str(limit=200))


def _anchor(title: str) -> str:
    """GitHub's heading anchor for ``title``."""
    return "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def missing_from(app: typer.Typer, text: str) -> list[str]:
    """Commands and options of ``app`` that ``text`` (a reference) does not document.

    An option counts as documented only in its command's own options table.
    """
    documented = documented_options(text)
    missing = [f"command {name!r}" for name, _cmd, _ctx in walk(app) if name not in documented]
    for name, opt in option_names(app):
        if opt not in documented.get(name, ()):
            missing.append(f"option {opt} of {name!r}")
    return missing


_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)")


def documented_options(text: str) -> dict[str, set[str]]:
    """Command name -> the option names in the first column of its options table."""
    out: dict[str, set[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].removesuffix(" (global options)").strip()
            out[current] = set()
        elif current is not None and line.startswith("| `-"):
            first = line[3:].split("` |", 1)[0]
            out[current] |= set(_OPTION.findall(first))
    return out


def problems(app: typer.Typer, text: str) -> list[str]:
    """Why ``text`` is not the current reference of ``app`` (empty when it is)."""
    found = missing_from(app, text)
    if render(app) != text:
        found.append(f"the reference is stale; regenerate it with: {REGENERATE}")
    return found


def main() -> None:
    from neardup.cli import app

    sys.stdout.write(render(app))


if __name__ == "__main__":
    main()
