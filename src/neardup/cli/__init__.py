"""The ``neardup`` command line (see :mod:`neardup.cli.application`).

``neardup --version`` answers here, before the app and its commands are imported: it is
what scripts and package managers call to check an installation.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from neardup import __version__, lazy_attributes

__getattr__, __dir__ = lazy_attributes(__name__, {"app": "neardup.cli.application"})

if TYPE_CHECKING:
    from neardup.cli.application import app


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point (see :func:`neardup.cli.application.main`)."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        print(f"neardup {__version__}")
        sys.exit(0)
    single_threaded_blas()
    from neardup.cli.application import main as run

    return run(argv)


#: Thread counts of the BLAS libraries numpy may be built with (OpenBLAS in numpy's wheels).
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def single_threaded_blas() -> None:
    """One BLAS thread in the command and its workers, unless the user set a number.

    The work runs in processes (``--jobs``), and its matrix products are small (a 32×32
    DCT, vectors of a few thousand values): a BLAS thread pool only starts threads that
    spin at import, about 0.1 s of CPU per process. Must run before numpy is imported;
    the worker processes inherit it. OpenMP (``OMP_NUM_THREADS``) is left alone: pykdtree
    queries with it.
    """
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")


__all__ = ["app", "main"]
