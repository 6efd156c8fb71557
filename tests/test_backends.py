"""``neardup backends``, backend viability without optional packages, option validation."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from neardup import index as registry
from neardup.errors import IndexOptionError, IndexUnavailable
from neardup.index.info import describe
from neardup.index.lsh import MinHashLSHIndex
from neardup.index.pykdtree import PyKDTreeIndex

BUILTIN = {"brute", "bktree", "kdtree", "pykdtree", "lsh"}


def run_without(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter in which ``module`` cannot be imported."""
    code = (
        "import sys\n"
        f"sys.modules[{module!r}] = None  # import raises ImportError, as when not installed\n"
        "from neardup.cli import main\n"
        f"main({list(args)!r})\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_backends_json_lists_every_builtin(cli: Any) -> None:
    res = cli("backends", "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    by_name = {b["name"]: b for b in doc["backends"]}
    assert set(by_name) >= BUILTIN
    assert {name: by_name[name]["exact"] for name in BUILTIN} == {
        "brute": True,
        "bktree": True,
        "kdtree": True,
        "pykdtree": True,
        "lsh": False,
    }
    lsh = by_name["lsh"]
    assert lsh["distribution"] == "neardup"
    assert lsh["viable"] is True and lsh["reason"] is None
    assert lsh["metric"] == "hamming"
    assert lsh["requires"] == ["datasketch"]
    assert lsh["operations"] == ["build", "query", "pairs"]
    options = {o["name"]: o for o in lsh["options"]}
    assert options["num_perm"]["default"] == 256 and options["num_perm"]["type"] == "int"
    assert options["bands"]["default"] == 42 and options["bands"]["help"]
    assert by_name["pykdtree"]["requires"] == ["pykdtree.kdtree"]


def test_backends_table(run_cli: Any) -> None:
    # a real process: the console reads its width from COLUMNS when it is created
    res = run_cli("backends", env={"COLUMNS": "200"})
    assert res.returncode == 0, res.stderr
    for name in BUILTIN:
        assert name in res.stdout
    assert "approximate" in res.stdout and "num_perm=256" in res.stdout


@pytest.mark.parametrize(("module", "name"), [("datasketch", "lsh")])
def test_missing_dependency_is_reported(
    monkeypatch: pytest.MonkeyPatch, module: str, name: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    cls = MinHashLSHIndex
    assert cls.viable() is False
    reason = cls.unavailable_reason()
    assert reason is not None and f"pip install {module}" in reason
    with pytest.raises(IndexUnavailable) as err:
        registry.load(name)
    assert "\n" not in str(err.value) and f"pip install {module}" in str(err.value)
    info = describe(name)
    assert info.viable is False and info.exact is False and info.reason == reason


def test_missing_pykdtree_in_cli(run_cli: Any, planted_folder: Any) -> None:
    res = run_without("pykdtree", "backends", "--format", "json")
    assert res.returncode == 0, res.stderr
    info = {b["name"]: b for b in json.loads(res.stdout)["backends"]}["pykdtree"]
    assert info["viable"] is False
    assert "pip install pykdtree" in info["reason"]
    assert info["exact"] is True and info["options"]  # still described
    res = run_without("pykdtree", "scan", str(planted_folder / "copies"), "--index", "pykdtree")
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert "index 'pykdtree' is not usable here" in lines[0]
    assert "pip install pykdtree" in lines[0]


@pytest.mark.parametrize(
    ("name", "opts", "message"),
    [
        ("lsh", {"bands": "1"}, "option 'bands' must be 0 (automatic) or between 2"),
        ("lsh", {"bands": "300"}, "between 2 and num_perm (256)"),
        ("lsh", {"threshold": "1.5"}, "option 'threshold' must be <= 1"),
        ("lsh", {"threshold": "nan"}, "must be finite"),
        ("lsh", {"num_perm": "many"}, "option 'num_perm' needs a int"),
        ("pykdtree", {"k": "1"}, "option 'k' must be >= 2"),
        ("kdtree", {"leafsize": "0"}, "option 'leafsize' must be >= 1"),
        ("kdtree", {"balanced_tree": "maybe"}, "option 'balanced_tree' needs a bool"),
        ("bktree", {"block_pairs": "-3"}, "option 'block_pairs' must be >= 1"),
        ("brute", {"k": "3"}, "index 'brute' has no option 'k' (options: block_cells)"),
    ],
)
def test_options_are_validated(name: str, opts: dict[str, str], message: str) -> None:
    h = np.zeros((4, 1), dtype=np.uint64)
    with pytest.raises(IndexOptionError) as err:
        registry.build(name, h, **opts)
    assert message in str(err.value)


def test_index_opt_reaches_the_backend(cli: Any, planted_folder: Any) -> None:
    folder = str(planted_folder / "copies")
    res = cli("scan", folder, "--index", "lsh", "--index-opt", "bands=1", "--no-save")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "neardup: error: index 'lsh' option 'bands' must be 0 (automatic) or between 2 and "
        "num_perm (256), got 1"
    ]
    res = cli("scan", folder, "--index", "pykdtree", "--index-opt", "k=2", "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["settings"]["index"] == "pykdtree"
    assert doc["settings"]["index_options"] == {"k": "2"}
    # two photos have two copies each in copies/: found with the smallest k
    assert sorted(len(g["members"]) for g in doc["groups"]) == [2, 2]


def test_pykdtree_grows_k_past_large_groups() -> None:
    # 40 hashes within 2 bits of each other: far more neighbours than the starting k
    rng = np.random.default_rng(4)
    base = np.uint64(0x5555AAAA5555AAAA)
    flips = rng.integers(0, 64, size=(40, 2))
    h = np.array(
        [
            [base ^ (np.uint64(1) << np.uint64(a)) ^ (np.uint64(1) << np.uint64(b))]
            for a, b in flips
        ],
        dtype=np.uint64,
    )
    want = {
        (i, j)
        for i in range(40)
        for j in range(i + 1, 40)
        if int(np.bitwise_count(h[i] ^ h[j]).sum()) <= 4
    }
    idx = PyKDTreeIndex.build(h, k=2)
    got = {(a, b) for block in idx.pairs(4) for a, b in zip(block.left, block.right, strict=True)}
    assert got == want and len(want) > 2 * 40
