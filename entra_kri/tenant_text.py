"""Tenant strings are data: shown exactly, never run as markup, formulas or escape sequences.

Any user can set their own display name and any admin names policies and groups, so
every string that comes from a snapshot is hostile input by the time it reaches a
person. Every human-readable output passes it through this module
(docs/output-safety.md):

- `visible`: control characters as backslash escapes, so a terminal, a pager or a
  redirected file all show the same characters and none of them is interpreted
  (`visible_lines` keeps a document's own line breaks);
- `table_cell`: a rich `Text`, which rich never parses as console markup or emoji codes;
- `csv_document`: CSV through the csv module, every text cell quoted and a text cell
  that a spreadsheet would take for a formula prefixed with a single quote.

JSON output does not come here: it carries the exact strings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from rich.text import Text

# C0 controls (ESC, BEL, CR, LF, TAB...), DEL and C1 controls (CSI 0x9b, OSC 0x9d...)
# drive terminals; lone surrogates cannot be encoded for output; line and paragraph
# separators break lines; the bidirectional controls reorder what is shown ("Trojan
# Source"). Each is written as Python writes it in a string literal.
_ESCAPED = (
    [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F, 0x2028, 0x2029,
     *range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0xD800, 0xE000)]
)
_VISIBLE = {code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" for code in _ESCAPED}

# OWASP, CSV injection: a cell starting with one of these is a formula to a spreadsheet.
# (`visible` already writes tab and CR as escapes; they are listed to follow OWASP.)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def visible(text: str) -> str:
    """`text` with every control character written as an escape (ESC as `\\x1b`)."""
    return text.translate(_VISIBLE)


def visible_lines(text: str) -> str:
    """`text` made `visible` line by line: its own line breaks kept, every other control
    escaped. For a document assembled from lines, such as the HTML report."""
    return "\n".join(visible(line) for line in text.split("\n"))


def table_cell(text: str) -> Text:
    """`text` as a rich table cell: its exact characters, controls made visible."""
    return Text(visible(text))


def csv_field(value: Any) -> str | int | float:
    """A CSV cell: numbers as they are; text made visible and kept from being a formula.

    Only text cells are guarded: a negative number in a numeric column is a number to
    a spreadsheet, not a formula, and stays as it is.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = visible("" if value is None else str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_document(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text: a header line and one line per row, text cells quoted (docs/output-safety.md).

    Quoting every text cell keeps a cell whole in spreadsheets whose separator is `;`,
    where `a;=1+2` would otherwise split into a second cell holding a formula.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([csv_field(name) for name in header])
    for row in rows:
        writer.writerow([csv_field(value) for value in row])
    return out.getvalue()
