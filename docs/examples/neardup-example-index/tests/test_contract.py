"""The example backend passes neardup's shared backend contract."""

import pytest

from neardup.testing import IndexContract
from neardup_example_index import PrefixIndex


class TestPrefixIndex(IndexContract):
    @pytest.fixture
    def index_cls(self):
        return PrefixIndex
