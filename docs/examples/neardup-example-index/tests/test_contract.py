"""The example backend passes neardup's shared backend contract."""

import pytest
from neardup_example_index import PrefixIndex

from neardup.testing import IndexContract


class TestPrefixIndex(IndexContract):
    @pytest.fixture
    def index_cls(self):
        return PrefixIndex
