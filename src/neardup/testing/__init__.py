"""Test helpers shipped with neardup, for neardup's own tests and third-party backends.

A backend package tests itself against the shared contract with::

    from neardup.testing import IndexContract

    class TestMyIndex(IndexContract):
        @pytest.fixture
        def index_cls(self):
            return MyIndex

:mod:`neardup.testing.data` (planted hashes, brute-force answers) needs only numpy;
``IndexContract`` (:mod:`neardup.testing.contract`) needs pytest and is imported on first
use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neardup import lazy_attributes

__getattr__, __dir__ = lazy_attributes(
    __name__,
    {"IndexContract": "neardup.testing.contract", "planted_hashes": "neardup.testing.data"},
)

if TYPE_CHECKING:
    from neardup.testing.contract import IndexContract
    from neardup.testing.data import planted_hashes

__all__ = ["IndexContract", "planted_hashes"]
