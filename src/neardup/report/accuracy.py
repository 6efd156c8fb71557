"""Rendering an :class:`~neardup.tools.evaluation.Evaluation`: rich tables and a
precision–recall plot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Group
from rich.table import Table

from neardup.errors import NeardupError, install_hint
from neardup.tools.evaluation import (
    DEFAULT_METHOD,
    TARGET_PRECISION,
    Evaluation,
    MethodResult,
    Part,
)
from neardup.tools.scoring import Score, family_class

#: The methods the side-by-side table shows (those measured), with their column names.
SIDE_BY_SIDE = (
    (DEFAULT_METHOD, "default"),
    ("phash-8+trim+verify", "--no-crop"),
    ("phash-8+trim+invariant+crop+verify", "--invariant"),
)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _label(m: MethodResult) -> str:
    grouping = "" if m.method.grouping == "centre" else " (components)"
    return m.method.name + grouping


def _halves(ev: Evaluation) -> tuple[Part, Part] | None:
    parts = [ev.splits.get(name) for name in ("tuning", "held_out")]
    return (parts[0], parts[1]) if parts[0] is not None and parts[1] is not None else None


def _cells(s: Score | None) -> list[str]:
    if s is None:
        return ["–", "–", "–"]
    return [_pct(s.precision), _pct(s.recall), str(s.wrong_pairs)]


def render_summary(ev: Evaluation) -> Table:
    """One row per method at the largest threshold whose precision on the tuning half
    reaches the target, with the tuning and held-out figures at that threshold."""
    halves = _halves(ev)
    if halves is None:
        return _render_summary_whole(ev)
    tuning, held = halves
    table = Table(
        title="Largest threshold with co-membership precision >= "
        f"{100 * TARGET_PRECISION:g}% on the tuning half, and the held-out half at it",
        title_justify="left",
    )
    table.add_column("method")
    table.add_column("threshold", justify="right")
    for half in ("tuning", "held-out"):
        for col in ("precision %", "recall %", "wrong pairs"):
            table.add_column(f"{half} {col}", justify="right")
    for m, mt, mh in zip(ev.methods, tuning.methods, held.methods, strict=True):
        t = mt.best_threshold()
        if t is None:
            table.add_row(_label(m), "none", *["–"] * 6)
            continue
        rt, rh = mt.at(t), mh.at(t)
        table.add_row(
            _label(m), str(t), *_cells(rt[1] if rt else None), *_cells(rh[1] if rh else None)
        )
    for (name, info, _, _), bt, bh in zip(
        ev.baselines, tuning.baselines, held.baselines, strict=True
    ):
        table.add_row(
            f"baseline: {name}", str(info.get("threshold", "")), *_cells(bt[2]), *_cells(bh[2])
        )
    return table


def render_splits(ev: Evaluation, threshold: int) -> Table | None:
    """The scan's options at ``threshold``, tuning and held-out side by side: precision,
    wrong pairs by family, recall per transform (on the photos)."""
    halves = _halves(ev)
    if halves is None:
        return None
    shown = [(name, label) for name, label in SIDE_BY_SIDE if name in _names(ev)]
    if not shown:
        return None
    table = Table(
        title=f"At threshold {threshold}: tuning | held-out (each half grouped on its own)",
        title_justify="left",
    )
    table.add_column("")
    rows: list[tuple[Score, dict[str, Score]] | None] = []
    for name, label in shown:
        for half, part in zip(("tuning", "held-out"), halves, strict=True):
            table.add_column(f"{label}\n{half}", justify="right")
            row = part.method(name).at(threshold)
            rows.append(None if row is None else (row[1], row[2]))
    classes = sorted({family_class(f) for f in ("photos", *ev.config.families)})

    def line(label: str, cell: Callable[[Score, dict[str, Score]], str]) -> None:
        table.add_row(label, *["–" if r is None else cell(*r) for r in rows])

    line("precision %", lambda s, _: f"{100 * s.precision:.2f}")
    line("wrong pairs", lambda s, _: str(s.wrong_pairs))
    for c in classes:
        line(f"  with {c}", _wrong_with(c))
    line("recall % (all pairs)", lambda s, _: _pct(s.recall))
    for t in ev.config.transforms:
        line(f"recall % {t}", _recall_of(t))
    return table


def _wrong_with(family: str) -> Callable[[Score, dict[str, Score]], str]:
    return lambda s, _: str((s.wrong_by_class or {}).get(family, 0))


def _recall_of(transform: str) -> Callable[[Score, dict[str, Score]], str]:
    return lambda _, per: _pct(per[transform].recall_photos) if transform in per else "–"


def _names(ev: Evaluation) -> set[str]:
    return {m.method.name for m in ev.methods}


def _render_summary_whole(ev: Evaluation) -> Table:
    table = Table(
        title=f"Largest threshold with co-membership precision >= {100 * TARGET_PRECISION:g}%",
        title_justify="left",
    )
    for col in ("method", "threshold", "precision %", "recall %", "F1", "wrong pairs"):
        table.add_column(col, justify="left" if col == "method" else "right")
    for m in ev.methods:
        row = m.at(m.best_threshold())
        if row is None:
            table.add_row(_label(m), "none", "–", "–", "–", "–")
            continue
        t, s, _ = row
        table.add_row(
            _label(m), str(t), _pct(s.precision), _pct(s.recall), f"{s.f1:.3f}", str(s.wrong_pairs)
        )
    for name, info, s, _ in ev.baselines:
        table.add_row(
            f"baseline: {name}",
            str(info.get("threshold", "")),
            _pct(s.precision),
            _pct(s.recall),
            f"{s.f1:.3f}",
            str(s.wrong_pairs),
        )
    return table


def render_recall(ev: Evaluation, width: int = 120) -> Group:
    """Recall per transform on the held-out half for each centre-grouped method (at its
    threshold chosen on the tuning half) and baseline: one table per slice of transforms,
    as many columns as fit in ``width``."""
    halves = _halves(ev)
    chosen = halves[0].methods if halves else ev.methods
    shown = halves[1].methods if halves else ev.methods
    baselines = halves[1].baselines if halves else ev.baselines
    rows: list[tuple[str, dict[str, str]]] = []
    for pick, m in zip(chosen, shown, strict=True):
        if m.method.grouping != "centre":
            continue
        row = m.at(pick.best_threshold())
        name = f"{m.method.name}@{row[0]}" if row else m.method.name
        per = row[2] if row else None
        rows.append((name, {t: _pct(per[t].recall_photos) if per else "–" for t in per or {}}))
    for name, _, _, per_b in baselines:
        rows.append((name, {t: _pct(per_b[t].recall_photos) for t in per_b}))
    names = list(ev.config.transforms)
    label = max((len(n) for n, _ in rows), default=6)
    fit = max(3, (width - label - 4) // 10)
    tables: list[Table] = []
    for start in range(0, len(names), fit):
        part = names[start : start + fit]
        table = Table(
            title=None
            if start
            else "Recall % per transform on variants of the photos"
            + (" of the held-out half" if halves else "")
            + " (stress images left out; each method at its own threshold above)",
            title_justify="left",
        )
        table.add_column("method", no_wrap=True)
        for t in part:
            table.add_column(t, justify="right", no_wrap=True)
        for name, values in rows:
            table.add_row(name, *[values.get(t, "–") for t in part])
        tables.append(table)
    return Group(*tables)


def plot(ev: Evaluation, path: str | Path) -> None:
    """Precision–recall curves (one per method, thresholds as points) saved as PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise NeardupError("--plot needs matplotlib", hint=install_hint("plot")) from None
    fig, ax = plt.subplots(figsize=(10, 6.5), dpi=110)
    for m in ev.methods:
        if m.method.grouping != "centre":
            continue
        rec = [s.recall for _, s, _ in m.rows]
        prec = [s.precision for _, s, _ in m.rows]
        style = "-" if "+" not in m.method.name else "--"
        ax.plot(rec, prec, style, marker=".", markersize=3, linewidth=1.2, label=m.method.name)
    for name, _, s, _ in ev.baselines:
        ax.plot([s.recall], [s.precision], marker="*", markersize=12, linestyle="", label=name)
    ax.axhline(TARGET_PRECISION, color="grey", linewidth=0.8, linestyle=":")
    ax.set_ylim(0.9, 1.0015)
    ax.set_xlim(0, 1)
    ax.set_xlabel("recall (all identity pairs)")
    ax.set_ylabel("group co-membership precision")
    ax.set_title(
        f"{ev.counts['originals']} photos + {ev.counts['stress_originals']} stress images, "
        f"{len(ev.config.transforms)} transforms each ({ev.counts['images']} images)"
    )
    ax.legend(fontsize=7, ncol=2, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as exc:
        raise NeardupError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
