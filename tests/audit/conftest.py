"""Fixtures of the audit tests: the daily snapshot series (tests/series_builder.py), built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.series_builder import build_series
from tests.snapshot_builder import TENANT_ID


@pytest.fixture(scope="session")
def series_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ROOT holding the series. Read-only: tests that change files use `series_copy`."""
    root = tmp_path_factory.mktemp("series")
    build_series(root)
    return root


@pytest.fixture
def series_copy(series_root: Path, tmp_path: Path) -> Path:
    """A private copy of the series ROOT that a test may tamper with."""
    root = tmp_path / "root"
    shutil.copytree(series_root, root, ignore=shutil.ignore_patterns("history*"))
    return root


@pytest.fixture
def tenant_dir(series_copy: Path) -> Path:
    return series_copy / TENANT_ID
