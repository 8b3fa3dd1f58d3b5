"""Render rows of dicts (explain, query, trend) as a plain table or CSV.

Cells hold tenant strings: they reach the table and the CSV only through
entra_kri.tenant_text (docs/output-safety.md).
"""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from entra_kri.tenant_text import csv_document, table_cell, visible


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
    """A header line and one CSV line per row; numbers stay numbers."""
    return csv_document(columns, ([_csv_value(row.get(c)) for c in columns] for row in rows))


def _csv_value(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return cell(value)


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
    table = Table(title=table_cell(title) if title else None, box=box.SIMPLE_HEAD)
    for column in columns:
        table.add_column(table_cell(column), overflow="fold")
    for row in rows:
        table.add_row(*(table_cell(cell(row.get(c))) for c in columns))
    console.print(table)
    for note in notes:
        console.print(visible(note), markup=False, highlight=False, emoji=False)
    return console.file.getvalue()  # type: ignore[attr-defined]


def render_records(
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    title: str | None = None,
    notes: Sequence[str] = (),
    width: int = 120,
) -> Iterator[str]:
    """One block per row, a line per column and per list item, wrapped at `width`: the
    text in pieces (the title, each row's block, the notes), each line ending in a newline.

    For rows whose cells hold several long lines (the exact CA explain's uncovered
    contexts and candidate policies) a table of narrow columns is unreadable.
    Text goes through entra_kri.tenant_text.visible. Pieces let a caller write a
    hundred thousand blocks without holding them all; a list that several rows share
    (one object, as explain's shared columns are) is wrapped once.
    """
    if title:
        yield f"{title}\n\n"
    first, *rest = columns
    wrapped_lists: dict[tuple[str, int], tuple[Any, list[str]]] = {}
    for row in rows:
        lines = _wrapped(f"{first}: {cell(row.get(first))}", "", width)
        for column in rest:
            value = row.get(column)
            if isinstance(value, list | tuple) and value:
                key = (column, id(value))
                if key not in wrapped_lists:
                    items = [f"  {column}:"]
                    for item in value:
                        items += _wrapped(f"    - {cell(item)}", "      ", width)
                    wrapped_lists[key] = (value, items)  # the value kept, so its id stays its own
                lines += wrapped_lists[key][1]
            else:
                lines += _wrapped(f"  {column}: {cell(value) or '-'}", "    ", width)
        lines.append("")
        yield "".join(f"{line}\n" for line in lines)
    closing = [line for note in notes for line in _wrapped(note, "  ", width)]
    if closing:
        yield "".join(f"{line}\n" for line in closing)


def _wrapped(text: str, indent: str, width: int) -> list[str]:
    printable = visible(text)
    return textwrap.wrap(printable, width, subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=True) or [printable]
