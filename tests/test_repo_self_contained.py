"""The repo stands on its own: code and docs cite its docs/, nothing outside it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["entra_kri", "snapshotter", "analysis", "fake_graph", "bench", "tests", "docs",
           "deploy", "fixtures", ".ci"]
SUFFIXES = {".py", ".sql", ".md", ".toml", ".yaml", ".yml", ".sh", ".service", ".timer", ""}
# Written in pieces so that this file does not match itself.
OUTSIDE = re.compile("|".join([
    r"\.\./" + "shared", "shared/" + "(?:spec|notes|graph-schemas)", "STYLE" + r"\.md",
    "graph-" + "facts", "steering" + " repo",
    r"\b[Ii]ssue" + r" \d+", r"\bthe " + "seed",
]))
DOC_CITATION = re.compile(r"docs/([\w.-]+\.md)")


def text_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml"]
    for top in SOURCES:
        files += [p for p in (ROOT / top).rglob("*")
                  if p.is_file() and p.suffix in SUFFIXES and "results" not in p.parts
                  and not any(part == "__pycache__" or part.endswith(".egg-info")
                              for part in p.parts)]
    return [f for f in files if f.exists()]


@pytest.mark.parametrize("path", text_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_cites_only_the_repo(path):
    """No file points at documents outside the repo or at tracker issues."""
    text = path.read_text(encoding="utf-8", errors="replace")
    assert not [m.group(0) for m in OUTSIDE.finditer(text)]
    missing = {name for name in DOC_CITATION.findall(text) if not (ROOT / "docs" / name).exists()}
    assert not missing, f"cites docs that do not exist: {sorted(missing)}"
