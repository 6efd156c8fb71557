"""``neardup show``: a t-SNE map of the collection and an HTML review page."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from neardup.cli.common import QuietOpt, console, err_console, progress_bar
from neardup.cli.options import FILES, SEARCH, with_scan_options
from neardup.cli.scan import scan_or_last
from neardup.errors import UsageError, install_hint
from neardup.model import KEEP_RULES, ScanOptions, parse_keep
from neardup.report import DEFAULT_MAX_POINTS, DEFAULT_MAX_THUMBNAILS, DEFAULT_SEED, MAP_NAME

DEFAULT_OUTPUT = Path("neardup-show")


@with_scan_options(*SEARCH, *FILES)
def show_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files and folders to scan first; without PATH the last scan is shown.",
            show_default=False,
            metavar="PATH",
        ),
    ] = None,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Folder for report.html, map.png and the report's thumbnails.",
            file_okay=False,
        ),
    ] = DEFAULT_OUTPUT,
    map_: Annotated[
        bool | None,
        typer.Option(
            "--map/--no-map",
            help="Draw the t-SNE map (needs the 'show' extra; by default skipped with a "
            "note when that is missing).",
            show_default=False,
        ),
    ] = None,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write the HTML review page.")
    ] = True,
    open_: Annotated[
        bool, typer.Option("--open", help="Open the result in the web browser.")
    ] = False,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the map's layout and sampling.", min=0)
    ] = DEFAULT_SEED,
    keep: Annotated[
        str | None,
        typer.Option(
            "--keep",
            help=f"Keep rules for the review ({', '.join(KEEP_RULES)}); default: the scan's.",
            show_default=False,
        ),
    ] = None,
    max_points: Annotated[
        int,
        typer.Option(
            "--max-points", min=1, help="Most images the map embeds (group members always)."
        ),
    ] = DEFAULT_MAX_POINTS,
    max_thumbnails: Annotated[
        int,
        typer.Option("--max-thumbnails", min=0, help="Most thumbnails drawn on the map."),
    ] = DEFAULT_MAX_THUMBNAILS,
    embed: Annotated[
        bool,
        typer.Option("--embed", help="Put the thumbnails inside report.html (one file, larger)."),
    ] = False,
    options: ScanOptions = ScanOptions(),
    save: Annotated[
        bool,
        typer.Option("--save/--no-save", help="With PATH: save the scan as the last scan."),
    ] = True,
    quiet: QuietOpt = False,
) -> None:
    """Draw a map of the collection and write an HTML page to review the groups.

    The map (map.png) places every image by t-SNE of its hash, so near-duplicates cluster;
    each group is drawn in its own colour. The review page (report.html) lists every
    group, most reclaimable bytes first, with thumbnails, sizes, dates, distances, the
    keeper and the 'neardup delete' command for that group. Both work offline. Thumbnails
    are cached, so showing the same files again is fast.
    """
    from neardup.report.html import write_report
    from neardup.report.review import review_groups
    from neardup.report.thumbs import ThumbnailCache
    from neardup.report.visual import map_available, require_show_extra, write_map

    if map_ is False and not report:
        raise UsageError("nothing to do: both --no-map and --no-report were given")
    rules = parse_keep(keep) if keep is not None else None
    draw_map = map_ is not False
    if map_ or not report:
        require_show_extra()
    elif draw_map and not map_available():
        draw_map = False
        if not quiet:
            err_console.print(
                f"note: no map: it needs openTSNE: {install_hint('show')}", markup=False
            )
    result = scan_or_last(paths, options, save=save, quiet=quiet)
    cache = ThumbnailCache()
    written: list[Path] = []
    map_src: str | None = None
    if draw_map:
        if not quiet:
            placed = min(
                len(result.records), max(max_points, result.duplicates + len(result.groups))
            )
            err_console.print(
                f"map: placing {placed} images with t-SNE (seed {seed})", markup=False
            )
        with progress_bar(not quiet, "map thumbnails") as progress:
            try:
                info = write_map(
                    result,
                    review_groups(result, rules),
                    output / MAP_NAME,
                    seed=seed,
                    max_points=max_points,
                    max_thumbnails=max_thumbnails,
                    cache=cache,
                    progress=progress,
                )
            except OSError as exc:
                raise UsageError(f"cannot write the map into {output}: {exc}") from None
        written.append(info.path)
        map_src = MAP_NAME
    if report:
        with progress_bar(not quiet, "thumbnails") as progress:
            written.append(
                write_report(
                    result,
                    output,
                    keep=rules,
                    cache=cache,
                    embed=embed,
                    map_src=map_src,
                    progress=progress,
                )
            )
    if not quiet:
        groups = len(result.groups)
        console.print(
            f"{len(result.records)} images, {groups} group{'' if groups == 1 else 's'}; "
            f"{cache.made} thumbnails made, the rest from the cache",
            markup=False,
        )
        for path in written:
            console.print(f"wrote {path}", markup=False)
    if open_:
        url = written[-1].resolve().as_uri()
        if not webbrowser.open(url):
            err_console.print(f"note: no web browser could be started; open {url}", markup=False)
