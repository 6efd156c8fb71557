"""Rendering scan results: rich tables, stable JSON, CSV."""

from neardup.report.tabular import csv_rows, write_csv, write_json
from neardup.report.text import format_bytes, render_groups, render_skipped, summary_line

#: The map ``show`` draws: file name, and how many images and thumbnails it places.
MAP_NAME = "map.png"
DEFAULT_MAX_POINTS = 10_000
DEFAULT_MAX_THUMBNAILS = 2_000
DEFAULT_SEED = 0

__all__ = [
    "csv_rows",
    "format_bytes",
    "render_groups",
    "render_skipped",
    "summary_line",
    "write_csv",
    "write_json",
]
