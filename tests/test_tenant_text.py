"""entra_kri.tenant_text: tenant strings are data (docs/output-safety.md)."""

from __future__ import annotations

import csv
import io
import logging

import pytest

from entra_kri.logs import TextFormatter
from entra_kri.tenant_text import csv_document, csv_field, visible, visible_lines

CONTROLS = {
    "ESC CSI clear screen": ("\x1b[2J", "\\x1b[2J"),
    "OSC window title with BEL": ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
    "OSC 8 link": ("\x1b]8;;http://x\x1b\\y\x1b]8;;\x1b\\",
                   "\\x1b]8;;http://x\\x1b\\y\\x1b]8;;\\x1b\\"),
    "C1 CSI": ("\x9b2J", "\\x9b2J"),
    "DEL": ("a\x7fb", "a\\x7fb"),
    "newline and carriage return": ("a\nb\rc", "a\\x0ab\\x0dc"),
    "bidi override": ("abc\u202edcba", "abc\\u202edcba"),
    "lone surrogate": ("x\ud800y", "x\\ud800y"),
}


@pytest.mark.parametrize(("raw", "shown"), CONTROLS.values(), ids=CONTROLS.keys())
def test_controls_are_shown_escaped(raw, shown):
    assert visible(raw) == shown


def test_printable_text_is_unchanged():
    text = "Zoë [bold]Ñame[/] :warning: =1+2 \\x1b 名前"
    assert visible(text) == text


def test_visible_lines_keeps_the_documents_line_breaks():
    assert visible_lines("a\x1b[2J\nb\x07") == "a\\x1b[2J\nb\\x07"


FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-1+2", "@SUM(A1)"]


@pytest.mark.parametrize("text", FORMULAS)
def test_csv_formula_cells_get_a_single_quote(text):
    assert csv_field(text) == "'" + text


@pytest.mark.parametrize(("text", "cell"), [("\tx", "\\x09x"), ("\r=1", "\\x0d=1")])
def test_csv_tab_and_carriage_return_starts_are_escaped(text, cell):
    """OWASP lists tab and CR too: escaped, they no longer start the cell."""
    assert csv_field(text) == cell


def test_csv_negative_numbers_stay_numbers():
    """Only text cells are guarded: -5 in a numeric column is a number to a spreadsheet."""
    text = csv_document(["n", "s"], [[-5, "-5"], [-1.5, "x"]])
    assert text == '"n","s"\n-5,"\'-5"\n-1.5,"x"\n'


def test_csv_quotes_every_text_cell_so_semicolon_locales_do_not_split_it():
    text = csv_document(["name"], [['a;=1+2"b']])
    assert text == '"name"\n"a;=1+2""b"\n'
    assert list(csv.reader(io.StringIO(text))) == [["name"], ['a;=1+2"b']]


def test_log_lines_show_tenant_controls_escaped():
    record = logging.LogRecord("entra_kri", logging.WARNING, "x", 1, "policy %s", ("\x1b[2J",),
                               None)
    assert TextFormatter().format(record) == "entra-kri: WARNING: policy \\x1b[2J"
