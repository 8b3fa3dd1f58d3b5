"""analysis/sql/{audit,explain,trend}: the house rules of tests/test_analysis_sql.py."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

from entra_kri.kris import KRI_SLUGS
from tests.test_analysis_sql import code_of

SQL = files("entra_kri.analysis").joinpath("sql")
FILES = [f for layer in ("audit", "explain", "trend") for f in SQL.joinpath(layer).iterdir()
         if f.name.endswith(".sql")]


def test_one_explain_file_per_kri():
    names = sorted(f.name for f in SQL.joinpath("explain").iterdir())
    assert names == sorted(f"{slug}.sql" for slug in KRI_SLUGS)


@pytest.mark.parametrize("sql_file", FILES, ids=lambda f: f.name)
def test_header_no_wall_clock_one_statement(sql_file):
    text = sql_file.read_text("utf-8")
    assert text.startswith(f"-- {sql_file.name.removesuffix('.sql')}\n")
    assert "-- Grain:" in text
    code = code_of(text)
    assert ";" not in code
    assert not re.search(r"\b(now|today|current_timestamp|current_date|get_current)\b", code)
