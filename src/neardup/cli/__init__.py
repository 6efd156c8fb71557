"""The ``neardup`` command line (see :mod:`neardup.cli.application`).

``neardup --version`` answers here, before the app and its commands are imported: it is
what scripts and package managers call to check an installation.
"""

from __future__ import annotations

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
    from neardup.cli.application import main as run

    return run(argv)


__all__ = ["app", "main"]
