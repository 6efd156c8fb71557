"""``neardup scan``: find near-duplicate images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from neardup.api import (
    DEFAULT_GROUPING,
    DEFAULT_INDEX,
    DEFAULT_THRESHOLD,
    scan,
)
from neardup.cli import app
from neardup.cli.common import (
    EXIT_DUPLICATES,
    CatalogOpt,
    CompatOpt,
    ExcludeOpt,
    FormatOpt,
    HashOpt,
    HashSizeOpt,
    HiddenOpt,
    IndexOpt,
    IndexOptOpt,
    JobsOpt,
    MaxPixelsOpt,
    OutputFormat,
    OutputOpt,
    QuietOpt,
    RecursiveOpt,
    ThresholdOpt,
    TrimOpt,
    VerboseOpt,
    VerifyMinOpt,
    VerifyOpt,
    console,
    err_console,
    output_stream,
    parse_index_options,
    progress_bar,
)
from neardup.decode import DEFAULT_MAX_PIXELS
from neardup.features import DEFAULT_VERIFY_MIN
from neardup.report import render_groups, render_skipped, summary_line, write_csv, write_json
from neardup.result import ScanResult
from neardup.state import load_last_scan, save_last_scan


@app.command("scan")
def scan_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files and folders to scan; fsspec URLs (file://, memory://, s3://...) too.",
            show_default=False,
        ),
    ],
    index: IndexOpt = DEFAULT_INDEX,
    index_opt: IndexOptOpt = None,
    hash: HashOpt = "phash",
    hash_size: HashSizeOpt = 8,
    threshold: ThresholdOpt = DEFAULT_THRESHOLD,
    recursive: RecursiveOpt = True,
    exclude: ExcludeOpt = None,
    hidden: HiddenOpt = False,
    format: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    fail_on_duplicates: Annotated[
        bool,
        typer.Option("--fail-on-duplicates", help="Exit with code 3 when any group is found."),
    ] = False,
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Save the result as the last scan.")
    ] = True,
    catalog: CatalogOpt = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write cached hashes.")
    ] = False,
    rehash: Annotated[
        bool,
        typer.Option("--rehash", help="Hash every file again, ignoring cached hashes."),
    ] = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    grouping: Annotated[
        str,
        typer.Option(
            "--grouping",
            help="centre: every member within the threshold of its group's centre (no "
            "chaining); components: connected components of the pairs (may chain).",
        ),
    ] = DEFAULT_GROUPING,
    trim: TrimOpt = None,
    invariant: Annotated[
        str | None,
        typer.Option(
            "--invariant", help="Also match mirrored/rotated copies: flip, rotate or flip,rotate."
        ),
    ] = None,
    crop: Annotated[
        bool,
        typer.Option("--crop", help="Also match on hashes of centred sub-regions (crops)."),
    ] = False,
    verify: VerifyOpt = None,
    verify_min: VerifyMinOpt = DEFAULT_VERIFY_MIN,
    jobs: JobsOpt = 0,
    compat: CompatOpt = False,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="SCHEDULER",
            help="Hash and search on a Dask cluster: local, local:N or a scheduler address "
            "(tcp://host:8786). Needs neardup[dask].",
        ),
    ] = None,
) -> None:
    """Scan PATHS for near-duplicate images and print the groups.

    Images are hashed with a perceptual hash; pairs within --threshold bits are grouped
    around centres, so every member is within the threshold of its group's centre
    ('--grouping components' joins chains instead; a member further than the threshold
    from the keeper is marked 'chained'). Each image is also hashed without its uniform
    margins, and every candidate pair is confirmed by comparing small greyscale views
    (--no-trim, --no-verify turn that off; docs/accuracy.md). The result is saved as the
    last scan for 'delete' and 'show'.

    Hashes and views are remembered in the catalog: a rescan decodes only new and changed
    files (--invariant and --crop decode every image on every scan).
    """
    result = scan_with_progress(
        paths,
        quiet=quiet,
        index=index,
        index_opt=index_opt,
        hash=hash,
        hash_size=hash_size,
        threshold=threshold,
        recursive=recursive,
        exclude=exclude,
        hidden=hidden,
        matching={
            "grouping": grouping,
            "trim": trim,
            "invariant": invariant,
            "crop": crop,
            "verify": verify,
            "verify_min": verify_min,
        },
        catalog=catalog,
        use_cache=not no_cache,
        rehash=rehash,
        jobs=jobs,
        compat=compat,
        max_pixels=max_pixels,
        dask=dask,
    )
    if save:
        save_last_scan(result)
    emit_scan(result, format, output, quiet=quiet, verbose=verbose)
    if fail_on_duplicates and result.groups:
        raise typer.Exit(EXIT_DUPLICATES)


def scan_or_last(
    paths: Sequence[str | Path] | None,
    *,
    save: bool,
    quiet: bool,
    index: str,
    index_opt: list[str] | None,
    hash: str,
    hash_size: int,
    threshold: int,
    recursive: bool,
    exclude: list[str] | None,
    hidden: bool,
) -> ScanResult:
    """Scan ``paths`` with the shared scan options (saving it as the last scan when
    ``save``), or load the last saved scan when no path is given: what ``delete`` and
    ``show`` act on."""
    if not paths:
        return load_last_scan()
    result = scan_with_progress(
        paths,
        quiet=quiet,
        index=index,
        index_opt=index_opt,
        hash=hash,
        hash_size=hash_size,
        threshold=threshold,
        recursive=recursive,
        exclude=exclude,
        hidden=hidden,
    )
    if save:
        save_last_scan(result)
    return result


def scan_with_progress(
    paths: Sequence[str | Path],
    *,
    quiet: bool,
    index: str,
    index_opt: list[str] | None,
    hash: str,
    hash_size: int,
    threshold: int,
    recursive: bool,
    exclude: list[str] | None,
    hidden: bool,
    matching: Mapping[str, Any] | None = None,
    catalog: Path | None = None,
    use_cache: bool = True,
    rehash: bool = False,
    jobs: int = 0,
    compat: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    dask: str | None = None,
) -> ScanResult:
    """Run :func:`neardup.api.scan` with the shared scan options and a progress bar.

    Hashes come from the catalog (``catalog`` file, default location when ``None``)
    unless ``use_cache`` is false; ``rehash`` recomputes them. ``matching`` holds the
    grouping/trim/invariant/crop/verify keyword arguments.
    """
    with progress_bar(not quiet, "hashing") as progress:
        return scan(
            paths,
            index=index,
            hash=hash,
            hash_size=hash_size,
            threshold=threshold,
            recursive=recursive,
            exclude=exclude or (),
            hidden=hidden,
            index_options=parse_index_options(index_opt),
            progress=progress,
            **dict(matching or {}),
            catalog=catalog,
            use_cache=use_cache,
            rehash=rehash,
            jobs=jobs,
            compat=compat,
            max_pixels=max_pixels,
            dask=dask,
            log=None if quiet else _note,
        )


def _note(message: str) -> None:
    err_console.print(message, markup=False, soft_wrap=True)


def emit_scan(
    result: ScanResult,
    format: OutputFormat,
    output: Path | None,
    *,
    quiet: bool = False,
    verbose: bool = False,
) -> None:
    """Print a scan result in the chosen format; the summary goes to stderr for JSON/CSV."""
    if format is OutputFormat.table and output is None:
        if result.groups:
            console.print(render_groups(result))
        if verbose and result.skipped:
            console.print(render_skipped(result))
        if not quiet:
            console.print(summary_line(result), markup=False)
        return
    with output_stream(output) as stream:
        if format is OutputFormat.json:
            write_json(result.to_dict(), stream)
        elif format is OutputFormat.csv:
            write_csv(result, stream)
        else:
            from rich.console import Console

            Console(file=stream, width=160, no_color=True).print(render_groups(result))
    if verbose and result.skipped:
        err_console.print(render_skipped(result))
    if not quiet:
        err_console.print(summary_line(result), markup=False)
