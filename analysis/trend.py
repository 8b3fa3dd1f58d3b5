"""Render a KRI History: table with sparklines, JSON, CSV, or a PNG chart per KRI."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from entra_kri.analysis.history import History, TrendPoint
from entra_kri.analysis.report_svg import band_spans
from entra_kri.analysis.rows import render_csv, render_table

from entra_kri.errors import ConfigurationError
from entra_kri.kris import DEFAULT_THRESHOLDS, Threshold, kri_by_slug

SPARKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 60
CSV_COLUMNS = ("snapshot_id", "captured_at", "slug", "value", "status", "degraded",
               "sql_sha256", "tool_version")
_STATUS_MARK = {"ok": "", "warn": " (warn)", "breach": " (BREACH)"}


def sparkline(values: list[float | int | None], width: int = SPARK_WIDTH) -> str:
    """One block character per value (evenly sampled down to `width`); a gap for null."""
    if len(values) > width:
        values = [values[round(i * (len(values) - 1) / (width - 1))] for i in range(width)]
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    low, high = min(known), max(known)
    span = (high - low) or 1
    return "".join(
        " " if v is None else SPARKS[round((v - low) / span * (len(SPARKS) - 1))]
        for v in values
    )


def by_slug(history: History) -> dict[str, list[TrendPoint]]:
    series: dict[str, list[TrendPoint]] = {slug: [] for slug in history.slugs}
    for point in history.points:
        series[point.slug].append(point)
    return series


def render_trend(history: History, fmt: str) -> str:
    """`history` as text in `fmt` (table, json or csv)."""
    rows = [p.as_dict() for p in history.points]
    if fmt == "json":
        return json.dumps({"tenant_id": history.tenant_id, "kris": list(history.slugs),
                           "points": rows}, indent=2) + "\n"
    if fmt == "csv":
        return render_csv(CSV_COLUMNS, rows)
    return _table(history)


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "null"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _table(history: History) -> str:
    series = by_slug(history)
    summary: list[dict[str, Any]] = []
    for slug, points in series.items():
        values = [p.value for p in points]
        known = [v for v in values if v is not None]
        summary.append({
            "KRI": slug,
            "first": _fmt(values[0]) if values else "",
            "last": _fmt(values[-1]) if values else "",
            "min": _fmt(min(known)) if known else "",
            "max": _fmt(max(known)) if known else "",
            "trend": sparkline(values),
            "status": points[-1].status if points else "",
        })
    snapshots = sorted({(p.snapshot_id, p.captured_at) for p in history.points})
    title = (f"tenant {history.tenant_id}: {len(snapshots)} snapshot(s)"
             + (f", {snapshots[0][0]} to {snapshots[-1][0]}" if snapshots else ""))
    text = render_table(["KRI", "first", "last", "min", "max", "trend", "status"], summary,
                        title=title, width=140)
    per_snapshot: dict[str, dict[str, Any]] = {}
    for p in history.points:
        row = per_snapshot.setdefault(p.snapshot_id, {"snapshot": p.snapshot_id})
        row[_short(p.slug)] = _fmt(p.value) + _STATUS_MARK[p.status] + (
            " degraded" if p.degraded else "")
    columns = ["snapshot", *(_short(s) for s in history.slugs)]
    return text + render_table(columns, list(per_snapshot.values()), width=160)


PNG_BAND_COLOURS = {"warn": "orange", "breach": "red"}


def _short(slug: str) -> str:
    return kri_by_slug(slug).short_name


def write_png(history: History, out: Path,
              thresholds: Mapping[str, Threshold] | None = None) -> None:
    """One chart per KRI, values over time, with the warn and breach bands of `thresholds`
    (default: docs/kri.md's) shaded."""
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    # Imported here: matplotlib takes seconds to load, and only --format png needs it
    # (the `png` extra; the HTML report draws its own SVG, docs/architecture.md).
    try:
        import matplotlib
    except ImportError:
        raise ConfigurationError(
            "trend --format png needs matplotlib, which is not installed.",
            "Install it with: pip install 'entra-kri[png]'; or use --format table, json or "
            "csv, or `entra-kri report` for charts in HTML.",
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = by_slug(history)
    fig, axes = plt.subplots(len(series), 1, figsize=(10, 2.2 * len(series)), squeeze=False,
                             sharex=True)
    for ax, (slug, points) in zip(axes[:, 0], series.items(), strict=True):
        times = [datetime.strptime(p.captured_at[:19], "%Y-%m-%dT%H:%M:%S") for p in points]
        values = [float("nan") if p.value is None else p.value for p in points]
        ax.plot(times, values, marker=".", color="black", linewidth=1)
        _bands(ax, limits[slug], [v for v in values if v == v])
        ax.set_title(slug, fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
    fig.suptitle(f"tenant {history.tenant_id}", fontsize=10)
    fig.autofmt_xdate()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, format="png")
    plt.close(fig)


def _bands(ax: Any, threshold: Threshold, values: list[float]) -> None:
    """The report's bands (report_svg.band_spans), painted by matplotlib."""
    levels = {k: v for k, v in (("warn", threshold.warn), ("breach", threshold.breach))
              if v is not None}
    low = min([*values, *levels.values(), 0])
    high = max([*values, *levels.values()]) * 1.1 + 1
    for kind, (start, end) in band_spans(threshold, low, high, levels).items():
        ax.axhspan(start, end, color=PNG_BAND_COLOURS[kind], alpha=0.15)
    ax.set_ylim(low, high)
