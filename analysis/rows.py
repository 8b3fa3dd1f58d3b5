"""Render rows of dicts (explain, query, trend) as a plain table or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table


def cell(value: Any) -> str:
    """One value as text: null as empty, lists joined with '; ', floats as given."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def render_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """A header line and one CSV line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return out.getvalue()


def render_table(
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    title: str | None = None,
    notes: Sequence[str] = (),
    width: int = 120,
) -> str:
    """A plain-text table (no colour), then `notes` one per line."""
    console = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(cell(row.get(c)) for c in columns))
    console.print(table)
    for note in notes:
        console.print(note, markup=False, highlight=False)
    return console.file.getvalue()  # type: ignore[attr-defined]
