"""Rendering an :class:`~neardup.tools.evaluation.Evaluation`: rich tables and a
precision–recall plot."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.table import Table

from neardup.errors import NeardupError, install_hint
from neardup.tools.evaluation import TARGET_PRECISION, Evaluation, MethodResult


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _label(m: MethodResult) -> str:
    grouping = "" if m.method.grouping == "centre" else " (components)"
    return m.method.name + grouping


def render_summary(ev: Evaluation) -> Table:
    """One row per method at its threshold reaching the target precision."""
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
    """Recall per transform for each centre-grouped method and baseline: one table per
    slice of transforms, as many columns as fit in ``width``."""
    rows: list[tuple[str, dict[str, str]]] = []
    for m in ev.methods:
        if m.method.grouping != "centre":
            continue
        row = m.at(m.best_threshold())
        name = f"{m.method.name}@{row[0]}" if row else m.method.name
        per = row[2] if row else None
        rows.append((name, {t: _pct(per[t].recall_photos) if per else "–" for t in per or {}}))
    for name, _, _, per_b in ev.baselines:
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
            else "Recall % per transform on variants of the photos (stress images left out; "
            "each method at its own threshold above)",
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
