"""Render a KriReport as a rich table, JSON (docs/interface.md's shape) or CSV."""

from __future__ import annotations

import io
import json
from typing import Any, Literal

from entra_kri.analysis.compute import KriReport, KriResult
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from entra_kri.kris import Threshold
from entra_kri.tenant_text import csv_document, table_cell, visible

Format = Literal["table", "json", "csv"]
FORMATS: tuple[Format, ...] = ("table", "json", "csv")
CSV_COLUMNS = ("slug", "value", "status", "degraded", "warnings", "sql_sha256", "tool_version")

_STATUS_STYLE = {"ok": "green", "warn": "yellow", "breach": "bold red"}


def render(report: KriReport, fmt: Format = "table", *, width: int | None = None) -> str:
    """The text of `report` in `fmt`; ends with a newline."""
    if fmt == "json":
        return json.dumps(report_as_dict(report), indent=2) + "\n"
    if fmt == "csv":
        return render_csv(report)
    if fmt == "table":
        return render_table(report, width=width)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def report_as_dict(report: KriReport) -> dict[str, Any]:
    """docs/interface.md's `kri --format json` object, plus per KRI threshold and provenance."""
    return {
        "tenant_id": report.tenant_id,
        "snapshot_id": report.snapshot_id,
        "captured_at": report.captured_at,
        "kris": [_kri_as_dict(kri) for kri in report.kris],
        "warnings": list(report.warnings),
    }


def _kri_as_dict(kri: KriResult) -> dict[str, Any]:
    return {
        "slug": kri.slug,
        "value": kri.value,
        "status": kri.status,
        "degraded": kri.degraded,
        "warnings": list(kri.warnings),
        "threshold": kri.threshold.as_dict(),
        "sql_sha256": kri.sql_sha256,
        "tool_version": kri.tool_version,
    }


def render_csv(report: KriReport) -> str:
    """One row per KRI; a KRI's warnings are joined with ' | ' in one cell."""
    return csv_document(CSV_COLUMNS, (
        [
            kri.slug,
            "" if kri.value is None else kri.value,
            kri.status,
            "true" if kri.degraded else "false",
            " | ".join(kri.warnings),
            kri.sql_sha256,
            kri.tool_version,
        ]
        for kri in report.kris
    ))


def render_table(report: KriReport, *, width: int | None = None) -> str:
    """A table of the KRIs, then each KRI's and the run's warnings as a list."""
    console = Console(
        file=io.StringIO(), width=width or 100, force_terminal=False, color_system=None
    )
    console.print(
        visible(f"Tenant {report.tenant_id}, snapshot {report.snapshot_id} "
                f"(captured {report.captured_at})"),
        markup=False, highlight=False, emoji=False, soft_wrap=True,
    )
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("KRI")
    table.add_column("value", justify="right")
    table.add_column("status")
    table.add_column("warn at")
    table.add_column("breach at")
    table.add_column("degraded")
    for kri in report.kris:
        table.add_row(
            table_cell(kri.slug),
            _format_value(kri.value),
            Text(kri.status, style=_STATUS_STYLE[kri.status]),
            _format_limit(kri.threshold, kri.threshold.warn),
            _format_limit(kri.threshold, kri.threshold.breach),
            "DEGRADED" if kri.degraded else "",
        )
    console.print(table)
    notes = [(kri.slug, w) for kri in report.kris for w in kri.warnings]
    notes += [("run", w) for w in report.warnings]
    if notes:
        console.print("Warnings:")
        for source, warning in notes:
            console.print(visible(f"- {source}: {warning}"), markup=False, highlight=False,
                          emoji=False)
    return console.file.getvalue()


def _format_limit(threshold: Threshold, limit: float | None) -> str:
    if limit is None:
        return "-"
    operator = "<" if threshold.direction == "lower_is_worse" else ">="
    return f"{operator} {limit:g}"


def _format_value(value: float | int | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
