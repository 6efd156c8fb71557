"""Every backend registered under ``neardup.indexes`` passes the shared contract."""

from __future__ import annotations

import pytest

from neardup import index as registry
from neardup.errors import IndexUnavailable
from neardup.index.base import Index
from neardup.testing import IndexContract

NAMES = [name for name in registry.available() if not name.startswith("test")]

#: The pure-Python BK-tree needs many seconds for these two at radius 10 on thousands of
#: hashes; they run with the slow tests. Its other contract cases stay in the default run.
SLOW_CASES = {"test_matches_brute[bktree-10]", "test_planted_distances[bktree]"}


class TestEveryBackend(IndexContract):
    @pytest.fixture(params=NAMES)
    def index_cls(self, request: pytest.FixtureRequest) -> type[Index]:
        try:
            return registry.load(request.param)
        except IndexUnavailable as exc:
            pytest.skip(f"{request.param}: {exc}")


def test_builtin_backends_registered() -> None:
    assert {"brute", "bktree"} <= set(NAMES)
