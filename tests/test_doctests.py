"""The examples in the library's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import neardup


def _modules() -> list[str]:
    found = pkgutil.walk_packages(neardup.__path__, "neardup.")
    return sorted(m.name for m in found if not m.name.endswith("__main__"))  # runs the CLI


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an optional extra that is not installed
        pytest.skip(f"{name}: {exc}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"


def test_the_examples_are_found() -> None:
    found = 0
    for name in _modules():
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        found += sum(len(t.examples) for t in doctest.DocTestFinder().find(module))
    assert found >= 40
