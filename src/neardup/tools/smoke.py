"""Smoke checks of optional extras: importing a package is not proof that it works, so
each check runs a tiny real job with it (a HEIC round trip, a Dask sum, a faiss search...)."""

from __future__ import annotations

import functools
import importlib
import io
import re
from collections.abc import Callable, Iterable
from importlib import metadata
from typing import Any


def normalise_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _top_level_modules(dist: str) -> list[str]:
    """Importable top-level module names a distribution provides."""
    owners = metadata.packages_distributions()
    want = normalise_name(dist)
    mods = sorted(
        m
        for m, dists in owners.items()
        if any(normalise_name(d) == want for d in dists)
        and not m.startswith("_")
        and m.isidentifier()
    )
    return mods


def _import_check(dists: Iterable[str]) -> str:
    imported: list[str] = []
    for dist in dists:
        mods = _top_level_modules(dist)
        for mod in mods[:1]:
            importlib.import_module(mod)
            imported.append(mod)
    return "imports " + ", ".join(imported) if imported else "nothing to import"


def _tiny_image() -> Any:
    from PIL import Image

    img = Image.new("RGB", (32, 24), (200, 40, 40))
    img.paste((20, 40, 220), (0, 0, 16, 24))
    return img


def roundtrip(fmt: str) -> str:
    """Encode a tiny image as ``fmt`` in memory and decode it again."""
    from PIL import Image

    buf = io.BytesIO()
    _tiny_image().save(buf, format=fmt)
    buf.seek(0)
    with Image.open(buf) as im:
        im.load()
        if im.size != (32, 24):
            raise RuntimeError(f"{fmt} round trip changed the size to {im.size}")
    return f"encoded and decoded a {fmt} image"


def _smoke_heic() -> str:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return roundtrip("HEIF")


def _smoke_dask() -> str:
    from dask.base import compute
    from dask.delayed import delayed

    total = compute(delayed(sum)([1, 2, 3]), scheduler="synchronous")[0]  # type: ignore[no-untyped-call]
    if total != 6:
        raise RuntimeError("dask computed a wrong result")
    return "ran a task graph"


def _smoke_faiss() -> str:
    import faiss
    import numpy as np

    index = faiss.IndexBinaryFlat(64)
    data = np.arange(32, dtype=np.uint8).reshape(4, 8)
    index.add(data)
    dist, ids = index.search(data[:1], 1)
    if int(ids[0][0]) != 0 or int(dist[0][0]) != 0:
        raise RuntimeError("faiss binary search returned a wrong neighbour")
    return "built and searched a binary index"


def _smoke_numba() -> str:
    import numba

    @numba.njit(cache=False)  # type: ignore[untyped-decorator,unused-ignore]
    def popcount(x: int) -> int:
        n = 0
        while x:
            x &= x - 1
            n += 1
        return n

    if popcount(0xFF) != 8:
        raise RuntimeError("numba compiled a wrong function")
    return "compiled a function"


def _smoke_pykdtree() -> str:
    import numpy as np
    from pykdtree.kdtree import KDTree

    pts = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    _, idx = KDTree(pts).query(np.array([[0.9, 0.9]]), k=1)
    if int(idx[0]) != 1:
        raise RuntimeError("pykdtree returned a wrong neighbour")
    return "built and queried a k-d tree"


def _smoke_datasketch() -> str:
    from datasketch import MinHash

    a, b = MinHash(num_perm=32), MinHash(num_perm=32)
    for token in (b"a", b"b", b"c"):
        a.update(token)
        b.update(token)
    if a.jaccard(b) != 1.0:
        raise RuntimeError("datasketch MinHash gave a wrong similarity")
    return "compared two MinHash signatures"


def _smoke_matplotlib() -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    buf = io.BytesIO()
    Figure(figsize=(1, 1)).savefig(buf, format="png")
    return "rendered a PNG figure"


#: Real smoke checks by the distribution they exercise; other distributions are imported.
SMOKE_BY_DIST: dict[str, Callable[[], str]] = {
    "pillow-heif": _smoke_heic,
    "dask": _smoke_dask,
    "faiss-cpu": _smoke_faiss,
    "faiss": _smoke_faiss,
    "numba": _smoke_numba,
    "pykdtree": _smoke_pykdtree,
    "datasketch": _smoke_datasketch,
    "matplotlib": _smoke_matplotlib,
}


@functools.cache
def smoke_check(dist: str) -> tuple[bool, str]:
    """Run the smoke check of one installed distribution once: ``(works, detail)``."""
    smoke = SMOKE_BY_DIST.get(normalise_name(dist))
    try:
        return True, smoke() if smoke else _import_check([dist])
    except Exception as exc:  # a broken optional dependency is a finding, not a crash
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return False, f"{type(exc).__name__}: {first}"[:200]
