"""Human output: a rich table per scan and a one-line summary."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from rich.console import Console, ConsoleOptions
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from neardup.model import ScanResult


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


class PathCell:
    """A file name in a table cell that wraps after path separators, never inside a
    folder or file name unless one alone is wider than the cell.

    >>> from rich.console import Console
    >>> console = Console(width=20, color_system=None)
    >>> with console.capture() as cap:
    ...     console.print(PathCell("/photos/2019/summer/IMG_0001.jpg"))
    >>> print(cap.get().rstrip())
    /photos/2019/summer/
    IMG_0001.jpg
    """

    def __init__(self, path: str, style: str = "") -> None:
        self.path = printable(path)
        self.style = style

    def _parts(self) -> list[str]:
        return [p for p in re.split(r"(?<=[/\\])", self.path) if p]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        parts = self._parts() or [""]
        longest = max(len(p) for p in parts)
        return Measurement(longest, len(self.path)).with_maximum(options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        width = max(1, options.max_width)
        line = ""
        for part in self._parts():
            while len(part) > width:  # a single name wider than the cell: fold it
                if line:
                    yield Text(line, style=self.style)
                    line = ""
                yield Text(part[:width], style=self.style)
                part = part[width:]
            if len(line) + len(part) > width:
                yield Text(line, style=self.style)
                line = ""
            line += part
        yield Text(line, style=self.style)


#: How a member matched its keeper, as the distance column shows it (nothing for ``whole``).
MATCH_LABELS: Final = {"trimmed": "trim", "flipped": "flip", "cropped": "crop", "flat": "flat"}


def cells(*texts: str) -> list[Text]:
    """Plain table cells, each :func:`printable`: rich parses a string cell as markup, which
    costs more than the rest of a large table's rendering (and a file name must not be read
    as markup, nor written to the terminal as it is)."""
    return [Text(printable(t)) for t in texts]


def render_groups(result: ScanResult) -> Table:
    """One table, a block of rows per group; the keeper is marked, chained members flagged."""
    table = Table(title=None, show_lines=False, expand=False)
    table.add_column("group", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("file", overflow="fold", ratio=1)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("pixels", justify="right", no_wrap=True)
    table.add_column("dist", justify="right", no_wrap=True)
    for gid, g in enumerate(result.groups, start=1):
        for k, (row, dist) in enumerate(zip(g.members, g.distances, strict=True)):
            r = result.records[row]
            if k == 0:
                mark = Text.assemble(("keep", "green"))
            elif dist > g.threshold:
                mark = Text.assemble(("chained", "yellow"))
            else:
                mark = Text("dup")
            group, size, pixels, distance = cells(
                str(gid) if k == 0 else "",
                format_bytes(r.size),
                f"{r.width}x{r.height}",
                "–" if k == 0 else f"{dist} {MATCH_LABELS.get(g.match(k), '')}".rstrip(),
            )
            table.add_row(
                group, mark, PathCell(r.path), size, pixels, distance, end_section=k == len(g) - 1
            )
    return table


def render_skipped(result: ScanResult) -> Table:
    table = Table(title="skipped files")
    table.add_column("reason", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("detail", overflow="fold")
    for s in result.skipped:
        table.add_row(*cells(s.reason, s.path, s.detail))
    return table


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and the word, in the plural unless ``n`` is 1.

    >>> plural(1, "file"), plural(2, "file"), plural(0, "duplicate")
    ('1 file', '2 files', '0 duplicates')
    """
    return f"{n} {word if n == 1 else (many or word + 's')}"


def summary_line(result: ScanResult) -> str:
    """The scan's one-line summary (plain text). The counts add up: every file met is an
    image, skipped, or not an image; every image was hashed now or came from the catalog.

    >>> from neardup.model import ScanOptions, ScanResult
    >>> r = ScanResult(ScanOptions().settings(["/p"]), [], [], [], files_seen=1)
    >>> summary_line(r)
    '1 file scanned: 0 images, 0 skipped; 0 groups, 0 duplicates (0 B reclaimable) in 0.0 s'
    """
    s = result.summary()
    reasons = ", ".join(f"{k} {v}" for k, v in s["skipped_by_reason"].items())
    skipped = f"{s['skipped']} skipped" + (f" ({reasons})" if reasons else "")
    ignored = f", {s['ignored_not_images']} not images" if s["ignored_not_images"] else ""
    chained = f", {s['chained_groups']} chained" if s["chained_groups"] else ""
    images = s["images_hashed"]
    cached = s.get("images_from_catalog", 0)
    origin = f" ({images - cached} hashed, {cached} from catalog)" if cached else ""
    return (
        f"{plural(s['files_seen'], 'file')} scanned: {plural(images, 'image')}{origin}, "
        f"{skipped}{ignored}; {plural(s['groups'], 'group')}{chained}, "
        f"{plural(s['duplicates'], 'duplicate')} "
        f"({format_bytes(s['reclaimable_bytes'])} reclaimable) in {s['seconds']:.1f} s"
    )
