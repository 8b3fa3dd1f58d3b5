"""analysis/sql: house rules every KRI file keeps (docs/architecture.md, docs/kri.md's "now")."""

import re
from importlib.resources import files

import pytest

from entra_kri.kris import KRI_SLUGS


def code_of(text: str) -> str:
    """The SQL without comments and string literals."""
    return re.sub(r"--[^\n]*|'(?:[^']|'')*'", " ", text)


SQL = files("entra_kri.analysis").joinpath("sql")
KRI_FILES = sorted(f.name for f in SQL.joinpath("kri").iterdir() if f.name.endswith(".sql"))
ALL_FILES = [
    f for layer in ("staging", "intermediate", "kri", "fleet")
    for f in SQL.joinpath(layer).iterdir()
]


def test_one_kri_file_per_slug():
    assert sorted(f"{slug}.sql" for slug in KRI_SLUGS) == KRI_FILES


@pytest.mark.parametrize("sql_file", ALL_FILES, ids=lambda f: f.name)
def test_no_wall_clock(sql_file):
    """docs/kri.md: now is captured_at, "never the wall clock at analysis time"."""
    code = code_of(sql_file.read_text("utf-8"))
    assert not re.search(r"\b(now|today|current_timestamp|current_date|get_current)\b", code)


@pytest.mark.parametrize("sql_file", ALL_FILES, ids=lambda f: f.name)
def test_header_names_the_output(sql_file):
    """docs/architecture.md: one statement per file, named after its output, with a header."""
    text = sql_file.read_text("utf-8")
    assert text.startswith(f"-- {sql_file.name.removesuffix('.sql')}\n")
    assert "-- Grain:" in text
    assert ";" not in code_of(text)
