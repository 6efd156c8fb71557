"""faiss backend: exact range search with ``IndexBinaryFlat`` (``pip install neardup[faiss]``).

faiss compares every query with every stored code using SIMD popcounts and OpenMP threads,
so all-pairs costs ``O(n²)`` like :mod:`neardup.index.brute`, with a much smaller constant.
faiss's binary range search reports distances *strictly* below its radius; this backend
passes ``radius + 1`` so the radius stays inclusive like every neardup backend.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from neardup.bits import HashArray
from neardup.errors import IndexUnavailable, install_hint
from neardup.index.base import BaseIndex, IndexOption, Match, PairBlock

INSTALL_HINT = install_hint("faiss")


def _faiss() -> Any:
    try:
        return importlib.import_module("faiss")
    except ImportError:
        raise IndexUnavailable("index 'faiss' needs faiss-cpu", hint=INSTALL_HINT) from None


def as_codes(hashes: HashArray) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """``(n, words)`` ``uint64`` → ``(n, 8·words)`` bytes; Hamming distance is unchanged."""
    arr = np.ascontiguousarray(hashes, dtype=np.uint64)
    return arr.view(np.uint8).reshape(arr.shape[0], arr.shape[1] * 8)


class FaissIndex(BaseIndex):
    """faiss ``IndexBinaryFlat``: exhaustive, exact, multi-threaded range search."""

    name: ClassVar[str] = "faiss"
    exact: ClassVar[bool] = True
    options: ClassVar[dict[str, IndexOption]] = {
        "batch": IndexOption(int, 20_000, "query rows per range search (bounds memory)"),
    }

    @classmethod
    def viable(cls) -> bool:
        try:
            _faiss()
        except IndexUnavailable:
            return False
        return True

    def _setup(self) -> None:
        faiss = _faiss()
        self._codes = as_codes(self.hashes)
        self._index = faiss.IndexBinaryFlat(self.bits)
        if len(self):
            self._index.add(self._codes)

    def _range(self, codes: np.ndarray[Any, Any], radius: int) -> tuple[Any, Any, Any]:
        lims, dist, ids = self._index.range_search(codes, radius + 1)
        return lims, dist.astype(np.int64), ids.astype(np.int64)

    def query(self, h: HashArray, radius: int) -> list[Match]:
        r = self.check_radius(radius)
        row = self.check_query(h)
        if len(self) == 0:
            return []
        _, dist, ids = self._range(as_codes(row.reshape(1, -1)), r)
        return sorted(Match(int(d), int(i)) for d, i in zip(dist, ids, strict=True))

    def pairs(self, radius: int) -> Iterator[PairBlock]:
        r = self.check_radius(radius)
        n = len(self)
        batch = max(1, int(self.opts["batch"]))
        for start in range(0, n, batch):
            stop = min(n, start + batch)
            lims, dist, ids = self._range(self._codes[start:stop], r)
            rows = np.repeat(np.arange(start, stop, dtype=np.int64), np.diff(lims).astype(np.int64))
            keep = ids > rows
            if np.any(keep):
                yield PairBlock(rows[keep], ids[keep], dist[keep])
