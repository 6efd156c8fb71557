"""MinHash-LSH backend (datasketch ``MinHashLSH``): approximate, never a wrong pair.

Tokens: a ``B``-bit hash becomes the set of ``B`` tokens "bit ``i`` is ``v``" (one per
position). Two hashes at Hamming distance ``d`` share ``B - d`` tokens out of ``B + d``, so
their Jaccard similarity is exactly ``J = (B - d) / (B + d)``: 0.73 at ``d = 10`` of 64
bits, 1/3 for unrelated hashes (``d ≈ 32``). MinHash estimates ``J``; LSH splits the
``num_perm`` MinHash values into ``bands`` bands of ``rows = num_perm // bands`` values and
makes two hashes candidates when any band matches exactly. A pair at distance ``d`` becomes
a candidate with probability ``1 - (1 - J(d)**rows)**bands``.

Every candidate is verified with the true Hamming distance, so the backend reports no
false pair; it may *miss* pairs (``exact = False``). Defaults (256 permutations, 42 bands
of 6 rows) were chosen from measured recall (``benchmarks/lsh_params.py``; numbers in
``docs/backends.md``): ≥ 99.9 % of pairs at distance 10 of 64 bits (and at the same
fraction of wider hashes), ≈ 99 % at 12, while about 8 % of unrelated pairs are candidates.

Identical hashes are indexed once (see :mod:`neardup.index.distinct`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from neardup.bits import HashArray, distances_to
from neardup.errors import IndexOptionError
from neardup.index.base import BaseIndex, IndexOption, Match, PairBlock, Requirement
from neardup.index.distinct import (
    DistinctHashes,
    blocks_of,
    expanded_blocks,
    pair_distances,
    unpack_bits,
)

#: Signature rows computed per numpy step (bounds memory: bits × num_perm × 4 bytes each).
_SIGNATURE_CHUNK = 512


class MinHashLSHIndex(BaseIndex):
    """datasketch MinHashLSH over per-bit tokens; candidates verified by Hamming distance."""

    name: ClassVar[str] = "lsh"
    exact: ClassVar[bool] = False
    requires: ClassVar[tuple[Requirement, ...]] = (
        Requirement("datasketch", "pip install datasketch"),
    )
    options: ClassVar[dict[str, IndexOption]] = {
        "num_perm": IndexOption(
            int, 256, "MinHash permutations (more: better recall, slower)", minimum=2
        ),
        "bands": IndexOption(
            int,
            42,
            "LSH bands; rows per band = num_perm // bands (more bands: better recall, "
            "more candidates); 0 lets datasketch choose bands and rows for 'threshold'",
            minimum=0,
        ),
        "threshold": IndexOption(
            float,
            0.7,
            "Jaccard threshold for datasketch's own choice of bands (only with bands=0); "
            "distance d of B bits has Jaccard (B-d)/(B+d)",
            minimum=0.0,
            maximum=1.0,
        ),
        "seed": IndexOption(int, 1, "seed of the MinHash permutations", minimum=0),
        "block_pairs": IndexOption(int, 100_000, "pairs per yielded block", minimum=1),
    }

    @classmethod
    def check_options(cls, opts: dict[str, Any]) -> None:
        bands, num_perm = opts["bands"], opts["num_perm"]
        if bands == 1 or bands > num_perm:
            raise IndexOptionError(
                f"index 'lsh' option 'bands' must be 0 (automatic) or between 2 and "
                f"num_perm ({num_perm}), got {bands}"
            )

    def _setup(self) -> None:
        from datasketch import LeanMinHash, MinHash, MinHashLSH

        self._distinct = DistinctHashes(self.hashes)
        num_perm, seed = int(self.opts["num_perm"]), int(self.opts["seed"])
        bands = int(self.opts["bands"])
        params = (bands, num_perm // bands) if bands else None
        self._lsh = MinHashLSH(
            threshold=float(self.opts["threshold"]), num_perm=num_perm, params=params
        )
        self.bands, self.rows = int(self._lsh.b), int(self._lsh.r)
        # The MinHash of a set is the element-wise minimum of its tokens' permuted hashes.
        # The token universe is tiny (two per bit position), so datasketch hashes each token
        # once and the signatures of all hashes are minima over rows of that table.
        bits = self.hashes.shape[1] * 64
        tokens = [str(t).encode() for t in range(2 * bits)]  # token 2·i + v: "bit i is v"
        table = np.stack(
            [
                m.hashvalues
                for m in MinHash.bulk([[t] for t in tokens], num_perm=num_perm, seed=seed)
            ]
        )
        self._token_table = table
        self._lean = LeanMinHash
        self._scheme = MinHash(num_perm=num_perm, seed=seed).scheme
        signatures = self._signatures(self._distinct.values)
        with self._lsh.insertion_session() as session:
            for key, sig in enumerate(signatures):
                session.insert(key, self._minhash(sig), check_duplication=False)

    def _minhash(self, signature: NDArray[Any]) -> Any:
        return self._lean(seed=int(self.opts["seed"]), hashvalues=signature, scheme=self._scheme)

    def _signatures(self, values: HashArray) -> NDArray[Any]:
        """MinHash signatures ``(n, num_perm)`` of the per-bit token sets of ``values``."""
        positions = 2 * np.arange(values.shape[1] * 64)
        out = np.empty((values.shape[0], self._token_table.shape[1]), self._token_table.dtype)
        for start in range(0, values.shape[0], _SIGNATURE_CHUNK):
            tokens = positions + unpack_bits(values[start : start + _SIGNATURE_CHUNK])
            out[start : start + tokens.shape[0]] = self._token_table[tokens].min(axis=1)
        return out

    def query(self, h: HashArray, radius: int) -> list[Match]:
        r = self.check_radius(radius)
        row = self.check_query(h)
        if not len(self._distinct):
            return []
        signature = self._signatures(row.reshape(1, -1))[0]
        found = np.asarray(sorted(self._lsh.query(self._minhash(signature))), dtype=np.int64)
        dist = distances_to(self._distinct.values[found], row)
        keep = dist <= r
        return self._distinct.matches(found[keep], dist[keep])

    def candidates(self) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64]]]:
        """Candidate pairs of distinct values ``(a, b)``, ``a < b``, one array pair per band.

        Two values are candidates when they share a bucket in some band; a pair may repeat
        across bands.
        """
        for table in self._lsh.hashtables:
            buckets = [list(table.get(key)) for key, n in table.itemcounts().items() if n > 1]
            if not buckets:
                continue
            sizes = np.fromiter((len(b) for b in buckets), dtype=np.int64, count=len(buckets))
            members = np.fromiter(
                (k for b in buckets for k in b), dtype=np.int64, count=int(sizes.sum())
            )
            yield _pairs_within(members, sizes)

    def pairs(self, radius: int) -> Iterator[PairBlock]:
        r = self.check_radius(radius)
        size = int(self.opts["block_pairs"])
        yield from blocks_of(self._distinct.identical_pairs(), size)
        m = len(self._distinct)
        found: list[NDArray[np.int64]] = []
        for a, b in self.candidates():
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            close = pair_distances(self._distinct.values, lo, hi) <= r
            found.append(lo[close] * m + hi[close])
        if not found:
            return
        codes = np.unique(np.concatenate(found))
        a, b = codes // m, codes % m
        dist = pair_distances(self._distinct.values, a, b)
        yield from expanded_blocks(self._distinct, a, b, dist, size)


def _pairs_within(
    members: NDArray[np.int64], sizes: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All pairs inside each bucket; ``members`` holds the buckets back to back.

    >>> a, b = _pairs_within(np.array([7, 8, 9, 1, 2]), np.array([3, 2]))
    >>> list(zip(a.tolist(), b.tolist()))
    [(7, 8), (7, 9), (8, 9), (1, 2)]
    """
    starts = np.cumsum(sizes) - sizes
    position = np.arange(members.size)
    bucket_end = np.repeat(starts + sizes, sizes)
    later = bucket_end - position - 1  # members after this one in its bucket
    first = np.repeat(position, later)
    step = np.arange(int(later.sum())) - np.repeat(np.cumsum(later) - later, later)
    return members[first], members[first + 1 + step]
