"""Inline SVG for the HTML report: status icons, sparklines, trend charts with threshold bands.

Every function returns markup with each text escaped. Charts carry role="img", a
<title> and a <desc> that say in words what the picture shows; the bands are labelled
in text so that colour is never the only signal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from html import escape

from entra_kri.analysis.report_data import KriTrend

from entra_kri.kris import Threshold

# Text colours reach at least 4.5:1 on white and on the band tints.
STATUS_COLOUR = {"ok": "#1b6e34", "warn": "#8a4b00", "breach": "#b3261e"}
BAND_FILL = {"warn": "#fdebc8", "breach": "#f9d4d2"}
LINE = "#1f2937"
MUTED = "#4b5563"

_ICON_SHAPES = {
    # ok: a circle with a tick; warn: a triangle with "!"; breach: an octagon with a cross.
    "ok": '<circle cx="8" cy="8" r="7"/><path d="M4.5 8.2l2.3 2.3 4.7-4.9" fill="none" '
          'stroke="#fff" stroke-width="1.8"/>',
    "warn": '<path d="M8 1l7.2 13H.8z"/><path d="M8 5.5v4.2M8 11.2v1.3" stroke="#fff" '
            'stroke-width="1.7"/>',
    "breach": '<path d="M5 1h6l4 4v6l-4 4H5l-4-4V5z"/><path d="M5.4 5.4l5.2 5.2M10.6 5.4'
              'l-5.2 5.2" stroke="#fff" stroke-width="1.8"/>',
    "degraded": '<circle cx="8" cy="8" r="6.2" fill="#fff" stroke="currentColor" '
                'stroke-width="1.6"/><path d="M8 1.8a6.2 6.2 0 0 1 0 12.4z"/>',
}


def status_icon(kind: str) -> str:
    """A 16 px icon of `kind` (ok, warn, breach, degraded) in the current text colour.

    Decorative: the text next to it says the same, so screen readers skip it.
    """
    return (f'<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" '
            f'focusable="false" fill="currentColor">{_ICON_SHAPES[kind]}</svg>')


def format_value(value: float | int | None, percent: bool) -> str:
    """A KRI value as text: one decimal and `%` for percentages, `no value` for null."""
    if value is None:
        return "no value"
    return f"{value:.1f} %" if percent else f"{value:g}"


def limit_text(threshold: Threshold, level: float | None) -> str:
    """`< 95` or `≥ 25`: when the value reaches `level`; `not set` for none."""
    if level is None:
        return "not set"
    operator = "<" if threshold.direction == "lower_is_worse" else "≥"
    return f"{operator} {level:g}"


def sparkline(values: Sequence[float | int | None], label: str) -> str:
    """A small line of `values` (oldest first), labelled for screen readers by `label`."""
    width, height, pad = 120, 28, 3
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    segments = _segments([
        None if v is None
        else (pad + i * step, height - pad - (v - low) / span * (height - 2 * pad))
        for i, v in enumerate(values)
    ])
    lines = "".join(
        f'<polyline points="{_points(s)}" fill="none" stroke="{LINE}" stroke-width="1.5"/>'
        for s in segments
    )
    last = next(p for s in reversed(segments) for p in reversed(s))
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{escape(label)}">{lines}'
            f'<circle cx="{last[0]:.1f}" cy="{last[1]:.1f}" r="2.5" fill="{LINE}"/></svg>')


def trend_chart(trend: KriTrend, title: str, description: str, percent: bool) -> str:
    """A line chart of one KRI over time with its warn and breach bands shaded and labelled."""
    chart = _Chart(trend, percent)
    ident = escape(trend.slug)
    parts = [
        f'<svg class="chart" viewBox="0 0 {_Chart.WIDTH} {_Chart.HEIGHT}" role="img" '
        f'aria-labelledby="chart-{ident}-title chart-{ident}-desc">',
        f'<title id="chart-{ident}-title">{escape(title)}</title>',
        f'<desc id="chart-{ident}-desc">{escape(description)}</desc>',
        *chart.bands(),
        *chart.grid(),
        *chart.line(),
        *chart.out_of_range_notes(),
        "</svg>",
    ]
    return "".join(parts)


class _Chart:
    WIDTH, HEIGHT = 760, 210
    LEFT, RIGHT, TOP, BOTTOM = 52, 132, 14, 30

    def __init__(self, trend: KriTrend, percent: bool) -> None:
        self.trend = trend
        self.percent = percent
        self.times = [_timestamp(p.captured_at) for p in trend.points]
        self.values = [p.value for p in trend.points]
        self.low, self.high, self.hidden = _value_range(
            [v for v in self.values if v is not None], trend.threshold, percent)

    def x(self, t: float) -> float:
        first, last = self.times[0], self.times[-1]
        inner = self.WIDTH - self.LEFT - self.RIGHT
        if last == first:
            return self.LEFT + inner / 2
        return self.LEFT + (t - first) / (last - first) * inner

    def y(self, v: float) -> float:
        inner = self.HEIGHT - self.TOP - self.BOTTOM
        return self.TOP + (self.high - v) / (self.high - self.low) * inner

    def bands(self) -> list[str]:
        t = self.trend.threshold
        shown = {k: v for k, v in (("warn", t.warn), ("breach", t.breach))
                 if v is not None and k not in self.hidden}
        parts = []
        for kind, (start, end) in band_spans(t, self.low, self.high, shown).items():
            top, bottom = self.y(end), self.y(start)
            if bottom - top < 0.5:
                continue
            label = f"{'Breach' if kind == 'breach' else 'Warning'} {limit_text(t, shown[kind])}"
            parts.append(
                f'<rect x="{self.LEFT}" y="{top:.1f}" width="{self.WIDTH - self.LEFT - 4}" '
                f'height="{bottom - top:.1f}" fill="{BAND_FILL[kind]}"/>'
                f'<line x1="{self.LEFT}" x2="{self.WIDTH - 4}" y1="{self.y(shown[kind]):.1f}" '
                f'y2="{self.y(shown[kind]):.1f}" stroke="{STATUS_COLOUR[kind]}" '
                f'stroke-dasharray="4 3"/>'
                f'<text x="{self.WIDTH - 8}" y="{(top + bottom) / 2 + 4:.1f}" '
                f'text-anchor="end" fill="{STATUS_COLOUR[kind]}" font-weight="600">'
                f'{escape(label)}</text>'
            )
        return parts

    def grid(self) -> list[str]:
        parts = []
        for tick in _ticks(self.low, self.high):
            y = self.y(tick)
            text = f"{tick:g}" + (" %" if self.percent else "")
            parts.append(
                f'<line x1="{self.LEFT}" x2="{self.WIDTH - self.RIGHT}" y1="{y:.1f}" '
                f'y2="{y:.1f}" stroke="#d1d5db" stroke-width="0.8"/>'
                f'<text x="{self.LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                f'fill="{MUTED}">{escape(text)}</text>'
            )
        points = self.trend.points
        picks = sorted({0, len(points) // 2, len(points) - 1})
        for i in picks:
            anchor = "start" if i == 0 else "end" if i == len(points) - 1 else "middle"
            parts.append(
                f'<text x="{self.x(self.times[i]):.1f}" y="{self.HEIGHT - 8}" '
                f'text-anchor="{anchor}" fill="{MUTED}">{escape(points[i].captured_at[:10])}'
                "</text>"
            )
        return parts

    def line(self) -> list[str]:
        coords = [None if v is None else (self.x(t), self.y(v))
                  for t, v in zip(self.times, self.values, strict=True)]
        parts = [f'<polyline points="{_points(s)}" fill="none" stroke="{LINE}" '
                 'stroke-width="1.8"/>' for s in _segments(coords)]
        for point, xy in zip(self.trend.points, coords, strict=True):
            if xy is None:
                continue
            colour = STATUS_COLOUR[point.status]
            fill = "#fff" if point.degraded else colour
            parts.append(f'<circle cx="{xy[0]:.1f}" cy="{xy[1]:.1f}" r="3.2" fill="{fill}" '
                         f'stroke="{colour}" stroke-width="1.5"/>')
        last = next(((p, xy) for p, xy in zip(reversed(self.trend.points), reversed(coords),
                                                strict=True) if xy), None)
        if last:
            point, (x, y) = last
            parts.append(f'<text x="{x + 7:.1f}" y="{y + 4:.1f}" font-weight="700" '
                         f'fill="{LINE}">{escape(format_value(point.value, self.percent))}</text>')
        return parts

    def out_of_range_notes(self) -> list[str]:
        t = self.trend.threshold
        notes = [f"{'Breach' if kind == 'breach' else 'Warning'} {limit_text(t, level)}"
                 for kind, level in (("warn", t.warn), ("breach", t.breach))
                 if level is not None and kind in self.hidden]
        if not notes:
            return []
        text = ", ".join(notes) + ": above this range"
        return [f'<text x="{self.WIDTH - 8}" y="{self.TOP + 10}" text-anchor="end" '
                f'fill="{MUTED}">{escape(text)}</text>']


def _value_range(
    values: list[float], threshold: Threshold, percent: bool
) -> tuple[float, float, set[str]]:
    """The y range, and the threshold levels left out of it (far above every value).

    Counts start at zero. A level more than twice the highest value is left out, so
    that a count of 5 against a warning at 100 still shows its ups and downs.
    Percentages stay within 0 to 100.
    """
    top = max(values, default=0)
    levels = {k: v for k, v in (("warn", threshold.warn), ("breach", threshold.breach))
              if v is not None}
    hidden = set() if percent else {k for k, v in levels.items() if v > max(2 * top, top + 5)}
    span = [*values, *(v for k, v in levels.items() if k not in hidden)] or [0.0]
    if percent:
        pad = (max(span) - min(span)) * 0.1 or 1
        return max(0.0, min(span) - pad), min(100.0, max(span) + pad), hidden
    # Room above a band that starts at the top of the range, for its label.
    headroom = 1.3 if max(span) in levels.values() else 1.1
    return 0.0, max(span) * headroom or 1.0, hidden


def band_spans(
    threshold: Threshold, low: float, high: float, shown: dict[str, float]
) -> dict[str, tuple[float, float]]:
    """The (from, to) value span of each band that is shown, clipped to [low, high]."""
    warn, breach = shown.get("warn"), shown.get("breach")
    spans: dict[str, tuple[float, float]] = {}
    if threshold.direction == "lower_is_worse":
        if breach is not None:
            spans["breach"] = (low, breach)
        if warn is not None:
            spans["warn"] = (breach if breach is not None else low, warn)
    else:
        if warn is not None:
            spans["warn"] = (warn, breach if breach is not None else high)
        if breach is not None:
            spans["breach"] = (breach, high)
    return {k: (max(low, a), min(high, b)) for k, (a, b) in spans.items() if b > a}


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round values between low and high, about `count` of them."""
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 6) for i in range(count + 2) if first + i * step <= high]


def _timestamp(captured_at: str) -> float:
    return datetime.fromisoformat(captured_at.replace("Z", "+00:00")).timestamp()


def _segments(
    coords: Sequence[tuple[float, float] | None],
) -> list[list[tuple[float, float]]]:
    """Runs of known points: a null value breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for xy in coords:
        if xy is None:
            runs.append([])
        else:
            runs[-1].append(xy)
    return [r for r in runs if r]


def _points(coords: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)

