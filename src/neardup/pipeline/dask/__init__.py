"""Scale-out on Dask: hash and search collections that outgrow one machine.

Nothing here imports Dask at module import time; :func:`require_dask` turns a missing
extra into a one-line error with the install hint.
"""

from __future__ import annotations

from neardup.errors import DaskUnavailable, install_hint


def require_dask() -> None:
    """Raise :class:`DaskUnavailable` unless dask and distributed are importable."""
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise DaskUnavailable(
            f"--dask needs the dask extra ({exc.name or exc} is missing): " + install_hint("dask")
        ) from None
