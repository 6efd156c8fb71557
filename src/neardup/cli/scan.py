"""``neardup scan``: find near-duplicate images."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from neardup.cli.common import (
    EXIT_DUPLICATES,
    CatalogOpt,
    FormatOpt,
    OutputFormat,
    OutputOpt,
    QuietOpt,
    VerboseOpt,
    console,
    err_console,
    output_stream,
    progress_bar,
)
from neardup.cli.options import DECODING, FILES, MATCHING, SEARCH, with_scan_options
from neardup.model import ScanOptions

if TYPE_CHECKING:
    from neardup.model import ScanResult


@with_scan_options(*SEARCH, *FILES, *MATCHING, *DECODING)
def scan_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files and folders to scan; fsspec URLs (file://, memory://, s3://...) too.",
            show_default=False,
            metavar="PATH",
        ),
    ],
    options: ScanOptions,
    fmt: FormatOpt = OutputFormat.table,
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
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="SCHEDULER",
            help="Hash and search on a Dask cluster: local, local:N or a scheduler address "
            "(tcp://host:8786). Needs neardup[dask].",
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="URL",
            help="Keep hashes in a Parquet hash store (a folder or fsspec URL such as "
            "s3://bucket/hashes) instead of the catalog; only new and changed files are "
            "hashed. Needs neardup[dask].",
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

    Hashes, views and the alternates of --invariant and --crop are remembered in the
    catalog: a rescan decodes only new and changed files.
    """
    from neardup.catalog import save_last_scan

    result = scan_with_progress(
        paths,
        options,
        quiet=quiet,
        catalog=catalog,
        use_cache=not no_cache,
        rehash=rehash,
        dask=dask,
        store=store,
    )
    if save:
        save_last_scan(result)
    emit_scan(result, fmt, output, quiet=quiet, verbose=verbose)
    if fail_on_duplicates and result.groups:
        raise typer.Exit(EXIT_DUPLICATES)


def scan_or_last(
    paths: Sequence[str | Path] | None, options: ScanOptions, *, save: bool, quiet: bool
) -> ScanResult:
    """Scan ``paths`` with ``options`` (saving it as the last scan when ``save``), or load
    the last saved scan when no path is given: what ``delete`` and ``show`` act on."""
    from neardup.api import last_scan
    from neardup.catalog import save_last_scan

    if not paths:
        return last_scan()
    result = scan_with_progress(paths, options, quiet=quiet)
    if save:
        save_last_scan(result)
    return result


def scan_with_progress(
    paths: Sequence[str | Path],
    options: ScanOptions,
    *,
    quiet: bool,
    catalog: Path | None = None,
    use_cache: bool = True,
    rehash: bool = False,
    dask: str | None = None,
    store: str | None = None,
) -> ScanResult:
    """Run :func:`neardup.api.scan` with a progress bar (unless ``quiet``).

    Hashes come from the catalog (``catalog`` file, default location when ``None``)
    unless ``use_cache`` is false; ``rehash`` recomputes them.
    """
    from neardup.api import scan

    with progress_bar(not quiet, "hashing") as progress:
        return scan(
            paths,
            options,
            progress=progress,
            catalog=catalog,
            use_cache=use_cache,
            rehash=rehash,
            dask=dask,
            store=store,
            log=None if quiet else _note,
        )


def _note(message: str) -> None:
    err_console.print(message, markup=False, soft_wrap=True)


def emit_scan(
    result: ScanResult,
    fmt: OutputFormat,
    output: Path | None,
    *,
    quiet: bool = False,
    verbose: bool = False,
) -> None:
    """Print a scan result in the chosen format; the summary goes to stderr for JSON/CSV."""
    from neardup.report import render_groups, render_skipped, summary_line, write_csv, write_json

    if fmt is OutputFormat.table and output is None:
        if result.groups:
            console.print(render_groups(result))
        if verbose and result.skipped:
            console.print(render_skipped(result))
        if not quiet:
            console.print(summary_line(result), markup=False)
        return
    with output_stream(output) as stream:
        if fmt is OutputFormat.json:
            write_json(result.to_dict(), stream)
        elif fmt is OutputFormat.csv:
            write_csv(result, stream)
        else:
            from rich.console import Console

            Console(file=stream, width=160, no_color=True).print(render_groups(result))
    if verbose and result.skipped:
        err_console.print(render_skipped(result))
    if not quiet:
        err_console.print(summary_line(result), markup=False)
