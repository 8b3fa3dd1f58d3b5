"""Fixtures of the audit tests: the daily snapshot series (tests/series_builder.py), built once."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from entra_kri.analysis.history import kri_history
from entra_kri.analysis.report_data import ReportData, gather_report

from entra_kri.kris import KRI_SLUGS
from tests.series_builder import DAYS, build_series
from tests.snapshot_builder import TENANT_ID


@pytest.fixture(scope="session")
def series_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ROOT holding the series. Read-only: tests that change files use `series_copy`."""
    root = tmp_path_factory.mktemp("series")
    build_series(root)
    return root


@pytest.fixture(scope="session")
def series_history_root(series_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the series with its history cache filled once, every value computed.

    Read-only as well: computing the history of 35 snapshots is the slow part.
    """
    copy = tmp_path_factory.mktemp("history") / "root"
    shutil.copytree(series_root, copy)
    assert kri_history(copy).computed == DAYS * len(KRI_SLUGS)
    return copy


@pytest.fixture(scope="session")
def series_report(series_history_root: Path) -> ReportData:
    """What `entra-kri report` shows about the series, gathered once."""
    return gather_report(series_history_root, now=datetime(2026, 11, 5, 8, 0, tzinfo=UTC))


@pytest.fixture
def series_copy(series_root: Path, tmp_path: Path) -> Path:
    """A private copy of the series ROOT that a test may tamper with."""
    root = tmp_path / "root"
    shutil.copytree(series_root, root, ignore=shutil.ignore_patterns("history*"))
    return root


@pytest.fixture
def tenant_dir(series_copy: Path) -> Path:
    return series_copy / TENANT_ID
