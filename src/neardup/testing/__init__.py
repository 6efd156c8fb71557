"""Test helpers shipped with neardup, for neardup's own tests and third-party backends.

A backend package tests itself against the shared contract with::

    from neardup.testing import IndexContract

    class TestMyIndex(IndexContract):
        @pytest.fixture
        def index_cls(self):
            return MyIndex
"""

from neardup.testing.contract import IndexContract, planted_hashes

__all__ = ["IndexContract", "planted_hashes"]
