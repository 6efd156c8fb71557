"""The ``neardup`` command line (see :mod:`neardup.cli.app`)."""

from neardup.cli.app import app, main

__all__ = ["app", "main"]
