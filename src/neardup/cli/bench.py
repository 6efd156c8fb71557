"""``neardup bench``: every installed backend side by side on the same hashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from neardup.cli.common import TableJsonOpt, TableOrJson, console, err_console
from neardup.errors import UsageError

if TYPE_CHECKING:
    from neardup.tools.bench import BenchResult, Dataset

#: Numbers of hashes benchmarked by default.
DEFAULT_SIZES = "10k,100k"


def bench_command(
    sizes: Annotated[
        str,
        typer.Option("--sizes", help="Comma-separated numbers of hashes, e.g. 10k,100k,1M."),
    ] = DEFAULT_SIZES,
    radius: Annotated[
        int, typer.Option("--radius", "-r", min=0, help="Hamming radius of the all-pairs search.")
    ] = 10,
    bits: Annotated[int, typer.Option("--bits", help="Hash width: 64 or 256.")] = 64,
    backends: Annotated[
        str, typer.Option("--backends", help="Comma-separated backend names, or 'all'.")
    ] = "all",
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds allowed per backend and size.")
    ] = 120,
    fmt: TableJsonOpt = TableOrJson.table,
    plot_file: Annotated[
        Path | None,
        typer.Option("--plot", help="Write a log-log plot of time against N to FILE.png."),
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Option("--folder", help="Benchmark on the real hashes of the images under PATH."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic hashes.")] = 0,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="SCHEDULER",
            help="Also run the distributed join on a Dask cluster (local, local:N or an "
            "address) on the same hashes; needs neardup[dask].",
        ),
    ] = None,
) -> None:
    """Time every installed backend (each in a fresh process): build, all pairs, memory, recall."""
    from neardup.tools.bench import (
        folder_dataset,
        machine,
        parse_size,
        plot,
        run_benchmark,
        synthetic,
    )

    if bits not in (64, 256):
        raise UsageError(f"--bits must be 64 or 256, got {bits}")
    names = [b.strip() for b in backends.split(",") if b.strip()]
    datasets: list[Dataset]
    if folder is not None:
        datasets = [folder_dataset(folder, bits)]
    else:
        datasets = [synthetic(parse_size(s), bits, radius, seed) for s in sizes.split(",")]

    def progress(result: BenchResult) -> None:
        if fmt is TableOrJson.table:
            err_console.print(
                f"{result.dataset:>6} {_label(result):<10} {result.status}", highlight=False
            )

    if dask is not None:
        from neardup.pipeline.dask import require_dask
        from neardup.pipeline.dask.cluster import parse_scheduler

        parse_scheduler(dask)  # a bad value is a usage error before any work
        require_dask()
    results = run_benchmark(datasets, radius, names, timeout, on_result=progress, dask=dask)
    if plot_file is not None:
        plot(results, plot_file)
    if fmt is TableOrJson.json:
        doc = {
            "radius": radius,
            "bits": bits,
            "timeout_s": timeout,
            "machine": machine(),
            "results": [r.to_dict() for r in results],
        }
        typer.echo(json.dumps(doc, indent=2))
        return
    console.print(render_table(results))


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _label(r: BenchResult) -> str:
    return f"{r.backend} (dask {r.dask})" if r.dask else r.backend


def _peak(r: BenchResult) -> str:
    """Peak RSS; for the distributed join the client's + workers × the largest worker's."""
    if r.dask and r.dask_peak_worker_mb is not None:
        return f"{_num(r.peak_rss_mb, 0)}+{r.dask_workers}×{r.dask_peak_worker_mb:.0f}"
    return _num(r.peak_rss_mb, 0)


def render_table(results: list[BenchResult]) -> Group:
    """The benchmark as a rich table, one row per backend and size; why a backend did not
    run goes in numbered notes below it. The number columns never shrink (on a narrow
    terminal the backend's name wraps instead)."""
    notes: list[str] = []
    rows = []
    for r in results:
        status = r.status
        if r.detail and r.status != "ok":
            notes.append(f"{r.status}: {r.detail}")
            status = f"[{len(notes)}]"
        rows.append((
            r.dataset, _label(r), status, _num(r.build_s), _num(r.pairs_s), _num(r.total_s),
            _peak(r), "–" if r.pairs is None else f"{r.pairs:,}", _num(r.recall, 3),
            _num(r.planted_recall, 3),
        ))  # fmt: skip
    headers = ("N", "backend", "status", "build\ns", "pairs\ns", "total\ns", "peak\nMB",
               "pairs", "recall", "planted\nrecall")  # fmt: skip
    table = Table(
        title=f"all pairs within radius {results[0].radius}" if results else None,
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
    )
    for k, header in enumerate(headers):
        if header == "backend":
            table.add_column(header, overflow="fold", min_width=7)
            continue
        widest = max([len(row[k]) for row in rows] + [len(p) for p in header.split("\n")])
        table.add_column(header, justify="right", no_wrap=True, min_width=widest)
    for row in rows:
        table.add_row(*row)
    lines = [Text(f"[{k}] {note}", overflow="fold") for k, note in enumerate(notes, 1)]
    return Group(table, *lines)
