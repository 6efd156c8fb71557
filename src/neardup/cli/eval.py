"""``neardup eval``: measure precision and recall on variants of your own photos."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from neardup.cli.common import (
    FormatOpt,
    OutputFormat,
    OutputOpt,
    QuietOpt,
    console,
    err_console,
    output_stream,
    progress_bar,
)
from neardup.errors import UsageError
from neardup.model import ALGORITHMS, HASH_SIZES, HashSpec


def parse_thresholds(text: str) -> tuple[int, ...]:
    """``"0..32"``, ``"4,8,10"`` or a mix → sorted thresholds (in 64-bit units)."""
    out: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("..")
        try:
            out.update(range(int(lo), int(hi) + 1) if sep else [int(lo)])
        except ValueError:
            raise UsageError(f"--thresholds takes N, A..B or a comma list, got {text!r}") from None
    if not out or min(out) < 0 or max(out) > 64:
        raise UsageError(f"--thresholds must lie within 0..64, got {text!r}")
    return tuple(sorted(out))


def _csv(text: str, choices: tuple[str, ...], option: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    bad = [s for s in items if s not in choices]
    if bad or not items:
        raise UsageError(
            f"{option}: unknown {', '.join(bad) or text!r}; choose from: {', '.join(choices)}"
        )
    return items


def eval_command(
    originals: Annotated[
        Path,
        typer.Argument(
            help="Folder of distinct original photos.", show_default=False, metavar="ORIGINALS"
        ),
    ],
    transforms: Annotated[
        str, typer.Option("--transforms", help="'all' or a comma list of transform names.")
    ] = "all",
    algorithms_text: Annotated[
        str, typer.Option("--hash", help="Comma list of hash algorithms to compare.")
    ] = ",".join(ALGORITHMS),
    hash_size: Annotated[
        str, typer.Option("--hash-size", help="Comma list of hash sizes (8, 16).")
    ] = ",".join(map(str, HASH_SIZES)),
    thresholds: Annotated[
        str,
        typer.Option(
            "--thresholds", help="Thresholds for 64-bit hashes (A..B or a list); x4 for 256-bit."
        ),
    ] = "0..32",
    distractors: Annotated[
        Path | None,
        typer.Option("--distractors", help="Folder of unrelated images added as negatives."),
    ] = None,
    stress: Annotated[
        int,
        typer.Option("--stress", min=0, help="Generated look-alike images per family (0: none)."),
    ] = 25,
    families: Annotated[
        str,
        typer.Option(
            "--families",
            help="Generated families: 'all', 'none' or a comma list (night, product, "
            "document, texture, frame, template, flat, rotated, or one design such as "
            "frame-viewer).",
        ),
    ] = "all",
    extras: Annotated[
        bool,
        typer.Option(
            "--extras/--no-extras", help="Also measure trimming, invariance, crop hashes, verify."
        ),
    ] = True,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=0, help="Processes (0: one per CPU).")
    ] = 0,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Save a precision-recall plot as PNG (needs neardup[plot]).",
            dir_okay=False,
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Measure precision and recall on generated variants of ORIGINALS.

    Every photo in ORIGINALS gets deterministic variants (JPEG, resize, crop, brightness,
    contrast, greyscale, flip, rotations, watermark, noise, border, PNG, a screenshot);
    generated families add different images that look alike (same composition, same app
    frame, same template, flat colours, rotated pictures). Everything is hashed once per
    algorithm and size and grouped at each threshold. Precision counts every pair of files
    put in one group; recall is the share of variants grouped with their original. Every
    source is split into a tuning and a held-out half, each also grouped on its own and
    reported side by side. The originals should be distinct photos.
    """
    if fmt is OutputFormat.csv:
        raise UsageError("eval supports --format table or json")
    from neardup.report import write_json
    from neardup.tools.evaluation import evaluate
    from neardup.tools.measure import EvalConfig
    from neardup.tools.stress import parse_families
    from neardup.tools.transforms import parse_transforms

    sizes = tuple(int(s) for s in _csv(hash_size, tuple(map(str, HASH_SIZES)), "--hash-size"))
    algorithms = _csv(algorithms_text, ALGORITHMS, "--hash")
    for a in algorithms:
        HashSpec(a, sizes[0])
    config = EvalConfig(
        transforms=parse_transforms(transforms),
        algorithms=algorithms,
        sizes=sizes,
        thresholds=parse_thresholds(thresholds),
        stress_per_family=stress,
        families=parse_families(families),
        jobs=jobs,
        extras=extras,
    )
    if not originals.is_dir():
        raise UsageError(f"not a folder: {originals}")
    with progress_bar(not quiet, "hashing variants") as progress:
        ev = evaluate(originals, config, distractors, progress)
    if plot is not None:
        from neardup.report.accuracy import plot as save_plot

        save_plot(ev, plot)
    if fmt is OutputFormat.json:
        with output_stream(output) as stream:
            write_json(ev.to_dict(), stream)
    else:
        from rich.console import Console

        from neardup import api
        from neardup.report.accuracy import render_recall, render_splits, render_summary

        with output_stream(output) as stream:
            out = console if output is None else Console(file=stream, width=220, no_color=True)
            out.print(render_summary(ev))
            splits = render_splits(ev, api.DEFAULT_THRESHOLD)
            if splits is not None:
                out.print(splits)
            out.print(render_recall(ev, out.width))
    if not quiet:
        err_console.print(
            f"{ev.counts['images']} images ({ev.counts['originals']} originals) "
            f"evaluated in {ev.seconds:.0f} s",
            markup=False,
        )
