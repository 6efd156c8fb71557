from __future__ import annotations

import numpy as np
import pytest

from neardup import index as registry
from neardup.errors import IndexOptionError, UnknownIndexError
from neardup.index.brute import BruteIndex


def test_unknown_index_lists_installed() -> None:
    with pytest.raises(UnknownIndexError) as err:
        registry.load("nosuch")
    msg = str(err.value)
    assert "nosuch" in msg and "brute" in msg and "bktree" in msg
    assert "\n" not in msg


def test_available_is_read_only() -> None:
    avail = registry.available()
    with pytest.raises(TypeError):
        avail["x"] = None  # type: ignore[index]


def test_options_validated() -> None:
    h = np.zeros((3, 1), dtype=np.uint64)
    with pytest.raises(IndexOptionError, match="no option 'bogus'"):
        BruteIndex.build(h, bogus=1)
    with pytest.raises(IndexOptionError, match="needs a int"):
        BruteIndex.build(h, block_cells="many")
    idx = BruteIndex.build(h, block_cells="7")
    assert idx.opts["block_cells"] == 7
    # a tiny block size still finds every pair exactly once
    assert sum(len(b) for b in idx.pairs(0)) == 3


def test_builtin_backends_are_the_registered_ones() -> None:
    """load() imports the shipped backends directly: they must be what the entry points say."""
    registered = {name: ep.value for name, ep in registry.available().items()}
    assert {name: registered.get(name) for name in registry.BUILTIN} == registry.BUILTIN
    assert registry.load("brute") is BruteIndex
