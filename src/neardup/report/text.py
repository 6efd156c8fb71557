"""Human output: a rich table per scan and a one-line summary."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from neardup.result import ScanResult


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: bytes of a file name that are not UTF-8 as
    ``\\xHH``, control and other invisible characters (escape sequences, newlines,
    bidirectional overrides) as Python escapes; everything else unchanged.

    >>> printable("a\\x1b[2Jb\\nc.jpg"), printable("caf\\udce9.jpg"), printable("été.jpg")
    ('a\\\\x1b[2Jb\\\\nc.jpg', 'caf\\\\xe9.jpg', 'été.jpg')
    """
    if text.isprintable():
        return text
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file name decodes to
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def shown(text: str) -> str:
    """:func:`printable` and escaped for rich markup: how file names go into tables."""
    return escape(printable(text))


def format_bytes(n: float) -> str:
    """Human-readable byte count.

    >>> format_bytes(0), format_bytes(1536), format_bytes(5 * 1024**3)
    ('0 B', '1.5 KiB', '5.0 GiB')
    """
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def render_groups(result: ScanResult) -> Table:
    """One table, a block of rows per group; the keeper is marked, chained members flagged."""
    table = Table(title=None, show_lines=False, expand=False)
    table.add_column("group", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("pixels", justify="right", no_wrap=True)
    table.add_column("dist", justify="right", no_wrap=True)
    for gid, g in enumerate(result.groups, start=1):
        for k, (row, dist) in enumerate(zip(g.members, g.distances, strict=True)):
            r = result.records[row]
            if k == 0:
                mark = "[green]keep[/]"
            elif dist > g.threshold:
                mark = "[yellow]chained[/]"
            else:
                mark = "dup"
            table.add_row(
                str(gid) if k == 0 else "",
                mark,
                shown(r.path),
                format_bytes(r.size),
                f"{r.width}x{r.height}",
                "–" if k == 0 else str(dist),
                end_section=k == len(g) - 1,
            )
    return table


def render_skipped(result: ScanResult) -> Table:
    table = Table(title="skipped files")
    table.add_column("reason", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("detail", overflow="fold")
    for s in result.skipped:
        table.add_row(s.reason, shown(s.path), shown(s.detail))
    return table


def summary_line(result: ScanResult) -> str:
    """The scan's one-line summary (plain text)."""
    s = result.summary()
    reasons = ", ".join(f"{k} {v}" for k, v in s["skipped_by_reason"].items())
    skipped = f"{s['skipped']} skipped" + (f" ({reasons})" if reasons else "")
    chained = f", {s['chained_groups']} chained" if s["chained_groups"] else ""
    cached = s.get("images_from_catalog", 0)
    hashed = f"{s['images_hashed']} images hashed" + (f" ({cached} from catalog)" if cached else "")
    return (
        f"{s['files_seen']} files scanned, {hashed}, {skipped}, "
        f"{s['groups']} groups{chained}, {s['duplicates']} duplicates "
        f"({format_bytes(s['reclaimable_bytes'])} reclaimable) in {s['seconds']:.1f} s"
    )
