"""Rendering scan results: rich tables, stable JSON, CSV."""

from neardup.report.tabular import csv_rows, write_csv, write_json
from neardup.report.text import format_bytes, render_groups, render_skipped, summary_line

__all__ = [
    "csv_rows",
    "format_bytes",
    "render_groups",
    "render_skipped",
    "summary_line",
    "write_csv",
    "write_json",
]
