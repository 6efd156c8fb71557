"""The scan options of the command line, declared once and built into a
:class:`~neardup.model.ScanOptions`.

Every command that scans (``scan``, ``delete PATH``, ``show PATH``, ``find``, ``eval``)
takes some of these options. :func:`with_scan_options` adds the chosen ones to a command's
parameters and hands the command one checked ``options: ScanOptions`` instead, so each
option's flag, help and default exist in one place (the defaults in ``ScanOptions``).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from neardup.cli.common import parse_index_options
from neardup.model import ALGORITHMS, GROUPINGS, ScanOptions

_DEFAULTS = {f.name: f.default for f in dataclasses.fields(ScanOptions) if f.init}

#: Each scan option: its command-line parameter (type and ``typer.Option``) and its default.
#: ``None`` as a default means "the :class:`ScanOptions` default, not shown as a value".
SCAN_OPTIONS: dict[str, tuple[Any, Any]] = {
    "index": (
        Annotated[
            str, typer.Option("--index", "-i", help="Search backend (see 'neardup backends').")
        ],
        _DEFAULTS["index"],
    ),
    "index_options": (
        Annotated[
            list[str] | None,
            typer.Option(
                "--index-opt", help="Backend option key=value (repeatable).", show_default=False
            ),
        ],
        None,
    ),
    "hash": (
        Annotated[str, typer.Option("--hash", help=f"Hash algorithm: {', '.join(ALGORITHMS)}.")],
        _DEFAULTS["hash"],
    ),
    "hash_size": (
        Annotated[
            int, typer.Option("--hash-size", help="Hash grid side: 8 (64 bits) or 16 (256 bits).")
        ],
        _DEFAULTS["hash_size"],
    ),
    "threshold": (
        Annotated[
            int,
            typer.Option(
                "--threshold",
                "-t",
                min=0,
                help="Largest Hamming distance that counts as a near-duplicate.",
            ),
        ],
        _DEFAULTS["threshold"],
    ),
    "recursive": (
        Annotated[
            bool, typer.Option("--recursive/--no-recursive", help="Descend into sub-folders.")
        ],
        _DEFAULTS["recursive"],
    ),
    "exclude": (
        Annotated[
            list[str] | None,
            typer.Option("--exclude", help="Glob of names or relative paths to skip (repeatable)."),
        ],
        None,
    ),
    "hidden": (
        Annotated[
            bool,
            typer.Option(
                "--hidden", help="Include hidden files and folders (names starting with '.')."
            ),
        ],
        _DEFAULTS["hidden"],
    ),
    "grouping": (
        Annotated[
            str,
            typer.Option(
                "--grouping",
                help="centre: every member within the threshold of its group's centre (no "
                "chaining); components: connected components of the pairs (may chain). "
                f"One of: {', '.join(GROUPINGS)}.",
            ),
        ],
        _DEFAULTS["grouping"],
    ),
    "trim": (
        Annotated[
            bool | None,
            typer.Option(
                "--trim/--no-trim",
                help="Also hash each image without uniform margins (frames, letterboxing) and "
                "match on either hash. Default: on.",
                show_default=False,
            ),
        ],
        None,
    ),
    "invariant": (
        Annotated[
            str | None,
            typer.Option(
                "--invariant",
                help="Also match mirrored/rotated copies: flip, rotate or flip,rotate.",
            ),
        ],
        None,
    ),
    "crop": (
        Annotated[
            bool,
            typer.Option(
                "--crop/--no-crop",
                help="Also match on hashes of centred sub-regions, so small crops and "
                "rotations are found. Default: on.",
                show_default=False,
            ),
        ],
        _DEFAULTS["crop"],
    ),
    "verify": (
        Annotated[
            bool | None,
            typer.Option(
                "--verify/--no-verify",
                help="Confirm every pair by correlating small greyscale views of the two "
                "images. Default: on.",
                show_default=False,
            ),
        ],
        None,
    ),
    "verify_min": (
        Annotated[
            float,
            typer.Option(
                "--verify-min", min=-1.0, max=1.0, help="Smallest correlation verification accepts."
            ),
        ],
        _DEFAULTS["verify_min"],
    ),
    "jobs": (
        Annotated[
            int,
            typer.Option(
                "--jobs",
                "-j",
                min=0,
                help="Hashing processes; 0 uses every core, 1 hashes in-process.",
            ),
        ],
        0,
    ),
    "compat": (
        Annotated[
            bool,
            typer.Option(
                "--compat",
                help="Decode images in full and hash them bit-for-bit as ImageHash (slower).",
            ),
        ],
        _DEFAULTS["compat"],
    ),
    "max_pixels": (
        Annotated[
            int,
            typer.Option(
                "--max-pixels",
                min=1,
                help="Skip images with more pixels than this (decompression bombs).",
            ),
        ],
        _DEFAULTS["max_pixels"],
    ),
}

#: What to hash and search with, and which files: every scanning command takes these.
SEARCH = ("index", "index_options", "hash", "hash_size", "threshold")
FILES = ("recursive", "exclude", "hidden")
#: How pairs are matched and grouped.
MATCHING = ("grouping", "trim", "invariant", "crop", "verify", "verify_min")
#: How images are decoded.
DECODING = ("jobs", "compat", "max_pixels")

F = TypeVar("F", bound=Callable[..., Any])


def scan_options(values: dict[str, Any], base: ScanOptions | None = None) -> ScanOptions:
    """A checked :class:`ScanOptions` from command-line values (``None``: the default)."""
    given = dict(values)
    if "index_options" in given:
        given["index_options"] = parse_index_options(given["index_options"])
    return ScanOptions.of(base, **given)


def with_scan_options(*names: str) -> Callable[[F], F]:
    """Add the scan options ``names`` (see :data:`SCAN_OPTIONS`) to a command, where its
    ``options`` parameter stands, and call it with ``options=ScanOptions(...)`` built from
    them."""
    unknown = [n for n in names if n not in SCAN_OPTIONS]
    if unknown:
        raise ValueError(f"unknown scan options {unknown}")

    def decorate(func: F) -> F:
        hints = typing.get_type_hints(func, include_extras=True)
        given = list(inspect.signature(func).parameters.values())
        at = [p.name for p in given].index("options")
        own = [
            p.replace(
                annotation=hints.get(p.name, p.annotation), kind=inspect.Parameter.KEYWORD_ONLY
            )
            for p in given
            if p.name != "options"
        ]
        added = [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=SCAN_OPTIONS[name][1],
                annotation=SCAN_OPTIONS[name][0],
            )
            for name in names
        ]  # fmt: skip

        @functools.wraps(func)
        def command(**kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in names}
            return func(options=scan_options(values), **kwargs)

        params = own[:at] + added + own[at:]
        setattr(command, "__signature__", inspect.Signature(params))  # noqa: B010
        command.__annotations__ = {p.name: p.annotation for p in params}
        del command.__wrapped__
        return typing.cast(F, command)

    return decorate


__all__ = [
    "DECODING",
    "FILES",
    "MATCHING",
    "SCAN_OPTIONS",
    "SEARCH",
    "scan_options",
    "with_scan_options",
]
