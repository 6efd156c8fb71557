"""The review page: one static HTML file listing every group, for a person deciding what to delete.

The page needs no network: styles and the filter script are inline, thumbnails sit in a
``thumbs/`` folder beside it (or, with ``embed=True``, inside it as ``data:`` URIs), and a
Content-Security-Policy forbids every other source. All text goes through Jinja2's
autoescaping, and the policy only runs the page's own script (by nonce), so a hostile file
name shows as text and never runs.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from neardup import __version__
from neardup.errors import UsageError
from neardup.model import ScanResult, parse_keep
from neardup.pipeline.keep import exif_datetime_ns
from neardup.report.review import ReviewGroup, ReviewMember, review_groups
from neardup.report.text import format_bytes
from neardup.report.thumbs import ThumbnailCache

REPORT_NAME = "report.html"
THUMBS_FOLDER = "thumbs"


@dataclass(frozen=True, slots=True)
class Thumb:
    """Where the page finds one thumbnail, and its pixel size."""

    src: str
    width: int
    height: int


def template_environment() -> Environment:
    """The package's Jinja2 templates (``report/templates``), autoescaped: the static report
    and the review web app render with the same settings."""
    return Environment(
        loader=PackageLoader("neardup.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def format_date(ns: int) -> str:
    """An instant in ns since the epoch as ``YYYY-MM-DD HH:MM`` (UTC).

    >>> format_date(0)
    '1970-01-01 00:00'
    """
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _thumb_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def place_thumbnails(
    members: Sequence[ReviewMember],
    cache: ThumbnailCache,
    out_dir: Path,
    *,
    embed: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[int, Thumb]:
    """Make (or reuse) the thumbnails of ``members`` and put them where the page finds them.

    Returns ``{row: Thumb}``; members whose image cannot be decoded are left out.
    """
    paths = cache.get_many([m.record for m in members], progress=progress)
    placed: dict[int, Thumb] = {}
    folder = out_dir / THUMBS_FOLDER
    for member, cached in zip(members, paths, strict=True):
        if cached is None:
            continue
        width, height = _thumb_size(cached)
        if embed:
            data = base64.b64encode(cached.read_bytes()).decode("ascii")
            src = f"data:image/jpeg;base64,{data}"
        else:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / cached.name
            if not target.is_file():
                shutil.copyfile(cached, target)
            src = f"{THUMBS_FOLDER}/{cached.name}"
        placed[member.row] = Thumb(src, width, height)
    return placed


def _member_view(m: ReviewMember, thumb: Thumb | None) -> dict[str, Any]:
    r = m.record
    exif = exif_datetime_ns(r.path)
    return {
        "path": r.path,
        "name": os.path.basename(r.path),
        "href": Path(r.path).as_uri() if os.path.isabs(r.path) else r.path,
        "thumb": thumb,
        "width": r.width,
        "height": r.height,
        "bytes": r.size,
        "bytes_human": format_bytes(r.size),
        "date": format_date(m.taken_ns),
        "date_source": "taken (EXIF)" if exif is not None else "modified",
        "distance": m.distance,
        "keeper": m.keeper,
        "within_threshold": m.within_threshold,
    }


def _group_view(g: ReviewGroup, thumbs: dict[int, Thumb]) -> dict[str, Any]:
    return {
        "number": g.number,
        "size": len(g.members),
        "removable": len(g.removable),
        "max_distance": g.max_distance,
        "chained": g.chained,
        "reclaimable": g.reclaimable_bytes,
        "reclaimable_human": format_bytes(g.reclaimable_bytes),
        "keeper_name": os.path.basename(g.keeper.record.path),
        "search": "\n".join(m.record.path for m in g.members).lower(),
        "members": [_member_view(m, thumbs.get(m.row)) for m in g.members],
        "command": g.delete_command,
    }


def render_report(
    result: ScanResult,
    groups: Sequence[ReviewGroup],
    thumbs: dict[int, Thumb],
    *,
    keep: Sequence[str],
    map_src: str | None = None,
) -> str:
    """The review page as a string (thumbnails must already be placed)."""
    s = result.settings
    template = template_environment().get_template("report.html.j2")
    return template.render(
        version=__version__,
        nonce=secrets.token_urlsafe(16),
        created=result.created,
        paths=s.paths,
        settings={
            "hash": f"{s.hash} ({s.spec.bits} bits)",
            "threshold": s.threshold,
            "index": s.index,
            "keep": ",".join(keep),
        },
        images=len(result.records),
        skipped=len(result.skipped),
        duplicates=sum(len(g.removable) for g in groups),
        reclaimable_human=format_bytes(sum(g.reclaimable_bytes for g in groups)),
        groups=[_group_view(g, thumbs) for g in groups],
        map_src=map_src,
    )


def write_report(
    result: ScanResult,
    out_dir: Path,
    *,
    keep: Sequence[str] | None = None,
    cache: ThumbnailCache | None = None,
    embed: bool = False,
    map_src: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write ``out_dir/report.html`` (and its thumbnails) for ``result``; return its path.

    Raises:
        UsageError: ``out_dir`` cannot be created or written.
    """
    groups = review_groups(result, keep)
    rules = parse_keep(keep if keep is not None else result.settings.keep)
    members = [m for g in groups for m in g.members]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        thumbs = place_thumbnails(
            members, cache or ThumbnailCache(), out_dir, embed=embed, progress=progress
        )
        page = render_report(result, groups, thumbs, keep=rules, map_src=map_src)
        target = out_dir / REPORT_NAME
        tmp = target.with_name(f".{REPORT_NAME}.tmp")
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        raise UsageError(f"cannot write the report into {out_dir}: {exc.strerror or exc}") from None
    return target
