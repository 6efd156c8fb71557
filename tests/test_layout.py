"""The package's shape: no import circles, a short root, small modules, light start-up."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "neardup"
#: Modules ``neardup --version``, ``--help``, ``backends`` and ``history`` must not import.
HEAVY = ("numpy", "PIL", "scipy", "jinja2", "imagehash", "sqlite3")
#: The parts of ``neardup.index`` that describe backends without being one.
INDEX_LIGHT = ("neardup.index", "neardup.index.info", "neardup.index.options")


def heavy_modules(loaded: list[str]) -> list[str]:
    """What of ``loaded`` a light command must not import: big libraries and backends."""
    return sorted(
        m
        for m in loaded
        if m.split(".")[0] in HEAVY or (m.startswith("neardup.index") and m not in INDEX_LIGHT)
    )


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The neardup modules ``name`` imports anywhere: at module level, inside functions and
    in ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def add(target: str) -> None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                add(full if full in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m.startswith("neardup")}


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (as a path that ends where it starts), or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_imports_inside_functions_count(tmp_path: Path) -> None:
    source = "def f():\n    from neardup.b import x\n"
    path = tmp_path / "a.py"
    path.write_text(source)
    assert imports_of("neardup.a", path, {"neardup.a", "neardup.b"}) == {"neardup.b"}


def test_no_import_circles() -> None:
    graph = import_graph()
    assert len(graph) > 50
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_package_root_is_short() -> None:
    entries = sorted(
        p.name for p in PACKAGE.iterdir() if p.name != "__pycache__" and not p.name.startswith(".")
    )
    assert len(entries) <= 16, entries
    real = [e for e in entries if e not in ("__init__.py", "__main__.py", "py.typed")]
    assert len(real) <= 13, real


def test_no_module_is_too_long() -> None:
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 450
    }
    assert not long, long


def _imported_by(*args: str) -> list[str]:
    code = (
        "import json, sys\n"
        "from neardup.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stdout = sys.__stdout__\n"
        "print('\\n' + json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return list(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("history",)])
def test_start_up_imports_stay_light(args: tuple[str, ...]) -> None:
    assert not heavy_modules(_imported_by(*args))


def test_backends_are_described_without_importing_them() -> None:
    _imported_by("backends")  # the first run describes them and remembers it
    assert not heavy_modules(_imported_by("backends"))


def test_version_imports_only_the_command_line() -> None:
    ours = [m for m in _imported_by("--version") if m.startswith("neardup")]
    allowed = ("neardup.cli", "neardup.model", "neardup.errors", "neardup.report")
    assert all(m == "neardup" or m.startswith(allowed) for m in ours), ours
