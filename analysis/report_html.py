"""The HTML report: one self-contained page (inline CSS and SVG, no script) from ReportData.

Every string that comes from a snapshot (display names, policy fields, warnings) is
untrusted: it goes through `escape` on its way into the page, control characters are
made visible (entra_kri.tenant_text), and the page's Content-Security-Policy forbids
scripts and every external resource anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from entra_kri.analysis.compute import KriResult
from entra_kri.analysis.diff import shown_value
from entra_kri.analysis.report_data import KriTrend, ReportData
from entra_kri.analysis.report_svg import (
    format_value,
    limit_text,
    sparkline,
    status_icon,
    trend_chart,
)

from entra_kri.kris import Threshold, kri_by_slug
from entra_kri.tenant_text import visible_lines

MINUS = "\N{MINUS SIGN}"
STATUS_TEXT = {"ok": "OK", "warn": "Warning", "breach": "Breach"}
LIST_LIMIT = 25  # entries shown per list of changes; the rest are counted
# Badge text, background and border; text on background is at least 4.5:1 (WCAG AA).
BADGE_COLOURS = {
    "ok": ("#14532d", "#e7f5ea", "#1b6e34"),
    "warn": ("#6b3a00", "#fff4dc", "#8a4b00"),
    "breach": ("#8c1d18", "#fde8e7", "#b3261e"),
    "degraded": ("#3b3b8f", "#eef0ff", "#4b4bb3"),
}

CSS = """
:root { color: #111827; background: #fff; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1120px; padding: 24px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e5e7eb; }
h3 { font-size: 16px; margin: 22px 0 6px; }
p.meta, .muted { color: #4b5563; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 18px; list-style: none; padding: 0; }
a { color: #1d4ed8; }
code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px;
         border-bottom: 1px solid #e5e7eb; }
thead th { background: #f3f4f6; font-size: 13px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th[scope=row] { font-weight: 600; }
th[scope=row] code { display: block; font-weight: 400; color: #4b5563; font-size: 12px; }
.badge { display: inline-flex; align-items: center; gap: 5px; padding: 1px 9px 1px 6px;
         border-radius: 999px; border: 1px solid; font-weight: 600; font-size: 13px;
         white-space: nowrap; }
.icon { flex: none; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 10px;
         margin: 12px 0; }
.cards .card { border: 1px solid #e5e7eb; border-left-width: 6px; border-radius: 6px;
        padding: 8px 12px; background: #fff; color: #111827; }
.card.ok { border-left-color: #1b6e34; } .card.warn { border-left-color: #8a4b00; }
.card.breach { border-left-color: #b3261e; }
.card .count { font-size: 28px; font-weight: 700; }
figure { margin: 6px 0 18px; }
svg.chart { width: 100%; height: auto; font-size: 12px; display: block; }
figcaption { color: #374151; font-size: 14px; }
details { margin: 4px 0 8px; }
summary { cursor: pointer; color: #1d4ed8; }
.problems li, .changes li { margin: 2px 0; }
.flag { color: #8c1d18; font-weight: 600; }
dt { font-weight: 600; margin-top: 6px; } dd { margin-left: 20px; }
@media print { body { max-width: none; padding: 0; } details { display: none; } }
"""
BADGE_CSS = "".join(
    f".{kind} {{ color: {text}; background: {fill}; border-color: {border}; }}\n"
    for kind, (text, fill, border) in BADGE_COLOURS.items()
)
CSP = "default-src 'none'; style-src 'unsafe-inline'"


def render_report(data: ReportData) -> str:
    """The whole page as one string."""
    return visible_lines(_page(data))


def _page(data: ReportData) -> str:
    title = f"Entra ID risk report: tenant {data.tenant_id}"
    sections = [
        _summary(data),
        _current(data),
        _degraded(data),
        _trends(data),
        _changes(data),
        _integrity(data),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}{BADGE_CSS}</style>\n</head>\n<body>\n"
        f"<header>\n<h1>{escape(title)}</h1>\n{_meta(data)}\n{_nav()}\n</header>\n"
        "<main>\n" + "\n".join(sections) + "\n</main>\n"
        f'<footer><p class="muted">Generated {escape(data.generated_at)} by entra-kri '
        f"{escape(data.tool_version)}. Offline: computed from hash-sealed snapshots, "
        "with no call to Graph.</p></footer>\n</body>\n</html>\n"
    )


def _meta(data: ReportData) -> str:
    current = data.current
    if current is None:
        return '<p class="meta">No snapshot of this tenant verifies.</p>'
    return (f'<p class="meta">Snapshot <code>{escape(current.snapshot_id)}</code>, captured '
            f"{escape(current.captured_at)} (UTC). Statuses use the thresholds shown in "
            "each table.</p>")


def _nav() -> str:
    links = [("summary", "Summary"), ("current", "Current KRIs"), ("degraded", "Degraded KRIs"),
             ("trends", "Trends"), ("changes", "Latest changes"), ("integrity", "Integrity")]
    items = "".join(f'<li><a href="#{ident}">{text}</a></li>' for ident, text in links)
    return f'<nav aria-label="Sections"><ul>{items}</ul></nav>'


def _section(ident: str, heading: str, body: str) -> str:
    return (f'<section id="{ident}" aria-labelledby="{ident}-h">\n'
            f'<h2 id="{ident}-h">{escape(heading)}</h2>\n{body}\n</section>')


def badge(kind: str, text: str | None = None) -> str:
    """An icon and a word: the status is readable without its colour."""
    label = text or STATUS_TEXT.get(kind, kind)
    return f'<span class="badge {kind}">{status_icon(kind)}{escape(label)}</span>'


def kri_title(slug: str) -> str:
    return kri_by_slug(slug).title


def _summary(data: ReportData) -> str:
    current = data.current
    parts = []
    if current is not None:
        counts = {s: sum(k.status == s for k in current.kris) for s in ("breach", "warn", "ok")}
        parts.append('<div class="cards">' + "".join(
            f'<div class="card {s}"><div class="count">{n}</div>{badge(s)}</div>'
            for s, n in counts.items()
        ) + "</div>")
        degraded = sum(k.degraded for k in current.kris)
        parts.append(f"<p>{len(current.kris)} KRIs: {counts['breach']} in breach, "
                     f"{counts['warn']} at warning, {counts['ok']} OK; {degraded} degraded "
                     "(computed from incomplete data, see below).</p>")
    v = data.verification
    integrity = (badge("ok", "Verified") + " every file matches its manifest and the chain is "
                 "intact" if v.ok else badge("breach", f"{len(v.problems)} problem(s)")
                 + " the snapshots do not all verify")
    parts.append(f'<p>Integrity: {integrity} (<a href="#integrity">details</a>).</p>')
    if data.skipped:
        parts.append(f'<p class="flag">Newer snapshot(s) left out because they do not verify: '
                     f"{_codes(data.skipped)}.</p>")
    return _section("summary", "Summary", "\n".join(parts))


def _current(data: ReportData) -> str:
    current = data.current
    if current is None:
        return _section("current", "Current KRIs", "<p>No snapshot verifies, so no KRI is "
                                                    "shown.</p>")
    deltas = {k["slug"]: k["delta"] for k in (data.diff or {}).get("kris", [])}
    trends = {t.slug: t for t in data.trends}
    previous = (data.diff or {}).get("old", {}).get("snapshot_id")
    since = f"since {escape(previous)}" if previous else "since the previous snapshot"
    rows = "".join(_current_row(k, deltas.get(k.slug), trends.get(k.slug)) for k in current.kris)
    table = (
        f"<table>\n<caption>KRIs of snapshot {escape(current.snapshot_id)}</caption>\n"
        '<thead><tr><th scope="col">KRI</th><th scope="col">Value</th>'
        '<th scope="col">Status</th><th scope="col">Warning when</th>'
        '<th scope="col">Breach when</th>'
        f'<th scope="col">Change {since}</th><th scope="col">Trend</th></tr></thead>\n'
        f"<tbody>{rows}</tbody>\n</table>"
    )
    return _section("current", "Current KRIs", table)


def _current_row(kri: KriResult, delta: float | None, trend: KriTrend | None) -> str:
    percent = kri_by_slug(kri.slug).unit == "percent"
    state = badge(kri.status)
    if kri.degraded:
        state += " " + badge("degraded", "Degraded")
    spark = ""
    if trend and trend.points:
        values = [p.value for p in trend.points]
        label = (f"{kri_title(kri.slug)} over {_count(len(values), 'snapshot')}: from "
                 f"{format_value(values[0], percent)} to {format_value(values[-1], percent)}")
        spark = sparkline(values, label)
    return (
        f'<tr><th scope="row">{escape(kri_title(kri.slug))}<code>{escape(kri.slug)}</code></th>'
        f'<td class="num">{escape(format_value(kri.value, percent))}</td><td>{state}</td>'
        f"<td>{escape(limit_text(kri.threshold, kri.threshold.warn))}</td>"
        f"<td>{escape(limit_text(kri.threshold, kri.threshold.breach))}</td>"
        f'<td class="num">{escape(_delta_text(delta, kri.threshold, percent))}</td>'
        f"<td>{spark}</td></tr>\n"
    )


def _delta_text(delta: float | None, threshold: Threshold, percent: bool) -> str:
    if delta is None:
        return "not known"
    if delta == 0:
        return "no change"
    worse = (delta > 0) == (threshold.direction == "higher_is_worse")
    amount = _signed(delta) + (" points" if percent else "")
    return f"{amount} ({'worse' if worse else 'better'})"


def _degraded(data: ReportData) -> str:
    current = data.current
    if current is None:
        return _section("degraded", "Degraded KRIs", "<p>No snapshot verifies.</p>")
    degraded = [k for k in current.kris if k.degraded]
    parts = []
    if degraded:
        parts.append("<p>These values were computed from incomplete data (Graph refused a "
                     "collection or a field) and take their fail-safe value, the one that "
                     "reports more risk.</p>")
        for kri in degraded:
            parts.append(f"<h3>{escape(kri_title(kri.slug))}</h3>"
                         + _list(kri.warnings or ["No warning was recorded."]))
    else:
        parts.append(f"<p>{badge('ok', 'None')} every KRI was computed from complete data.</p>")
    if current.warnings:
        parts.append("<h3>Capture warnings</h3>" + _list(current.warnings))
    return _section("degraded", "Degraded KRIs", "\n".join(parts))


def _trends(data: ReportData) -> str:
    if data.trend_note:
        return _section("trends", "Trends", f"<p>{escape(data.trend_note)}</p>")
    parts = ["<p>Each chart shows a KRI at every verified snapshot, oldest first. The shaded "
             "bands are the warning and breach ranges, labelled on the right; filled dots are "
             "measured values, hollow dots degraded ones.</p>"]
    parts += [_trend(t) for t in data.trends if t.points]
    return _section("trends", "Trends", "\n".join(parts))


def _trend(trend: KriTrend) -> str:
    percent = kri_by_slug(trend.slug).unit == "percent"
    points = trend.points
    known = [p.value for p in points if p.value is not None]

    def fmt(value: float | int | None) -> str:
        return format_value(value, percent)

    levels = "; ".join(f"{name} {limit_text(trend.threshold, level)}"
                       for name, level in (("warning", trend.threshold.warn),
                                           ("breach", trend.threshold.breach))
                       if level is not None)
    summary = (
        f"{_count(len(points), 'snapshot')} from {points[0].captured_at[:10]} to "
        f"{points[-1].captured_at[:10]}: first {fmt(points[0].value)}, latest "
        f"{fmt(points[-1].value)} ({STATUS_TEXT[points[-1].status]})"
        + (f", lowest {fmt(min(known))}, highest {fmt(max(known))}" if known else "")
        + f". Thresholds: {levels or 'none'}."
        + (f" {sum(p.degraded for p in points)} degraded value(s)."
           if any(p.degraded for p in points) else "")
    )
    title = f"Trend of {kri_title(trend.slug)}"
    chart = trend_chart(trend, title, summary, percent)
    rows = "".join(
        f'<tr><th scope="row">{escape(p.snapshot_id)}</th>'
        f'<td class="num">{escape(fmt(p.value))}</td><td>{badge(p.status)}'
        f"{' ' + badge('degraded', 'Degraded') if p.degraded else ''}</td></tr>"
        for p in points
    )
    return (
        f"<h3>{escape(kri_title(trend.slug))}</h3>\n<figure>{chart}"
        f"<figcaption>{escape(summary)}</figcaption></figure>\n"
        f"<details><summary>Values of {escape(kri_title(trend.slug))}</summary>"
        f"<table><caption>{escape(title)}</caption><thead><tr>"
        '<th scope="col">Snapshot</th><th scope="col">Value</th><th scope="col">Status</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></details>"
    )


def _changes(data: ReportData) -> str:
    diff = data.diff
    if diff is None:
        return _section("changes", "Latest changes", f"<p>{escape(data.diff_note or '')}</p>")
    selected = {k.slug for k in data.current.kris} if data.current else set()
    parts = [f"<p>From snapshot <code>{escape(diff['old']['snapshot_id'])}</code> to "
             f"<code>{escape(diff['new']['snapshot_id'])}</code>. The full list: "
             f"<code>entra-kri diff OLD NEW</code>.</p>",
             _kri_changes([k for k in diff["kris"] if k["slug"] in selected])]
    users = diff["users"]
    user_items = [f"{kind.replace('_', ' ')}: {_who(u)}" for kind, items in users.items()
                  for u in items]
    mfa = diff["mfa_registration"]
    user_items += [f"MFA registration {kind}: {_who(u)}" for kind, items in mfa.items()
                   for u in items]
    parts.append("<h3>Users and MFA registration</h3>" + _list(user_items, "No change."))
    parts.append("<h3>Privileged role membership</h3>" + _role_list(diff["role_membership"]))
    parts.append("<h3>Conditional Access policies</h3>" + _policy_list(diff["ca_policies"]))
    if diff["notes"]:
        parts.append("<h3>Notes</h3>" + _list(diff["notes"]))
    return _section("changes", "Latest changes", "\n".join(parts))


def _kri_changes(kris: list[dict[str, Any]]) -> str:
    rows = []
    for k in kris:
        percent = kri_by_slug(k["slug"]).unit == "percent"
        entered = ", ".join(_who(o) for o in k["entered"][:LIST_LIMIT])
        left = ", ".join(_who(o) for o in k["left"][:LIST_LIMIT])
        rows.append(
            f'<tr><th scope="row">{escape(kri_title(k["slug"]))}</th>'
            f'<td class="num">{escape(format_value(k["old"], percent))}</td>'
            f'<td class="num">{escape(format_value(k["new"], percent))}</td>'
            f'<td class="num">{escape(_signed(k["delta"]))}</td>'
            f"<td>{_more(entered, len(k['entered']))}</td>"
            f"<td>{_more(left, len(k['left']))}</td></tr>"
        )
    return (
        "<table><caption>KRI changes</caption><thead><tr>"
        '<th scope="col">KRI</th><th scope="col">Previous</th><th scope="col">Latest</th>'
        '<th scope="col">Change</th><th scope="col">Now counted</th>'
        '<th scope="col">No longer counted</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _role_list(roles: dict[str, list[dict[str, Any]]]) -> str:
    items = []
    for kind, changes in roles.items():
        for c in changes:
            text = escape(f"{kind}: {_who(c)}, {c['role']} ({c['path']})")
            if c["audit"] == "none":
                text += (' <span class="flag">' + status_icon("warn")
                         + " no RoleManagement audit event: changed outside the audit "
                           "trail?</span>")
            elif c["audit"] == "matched":
                text += escape(f" (audit event {', '.join(c['audit_events'])})")
            items.append(text)
    return _list(items, "No change.", escaped=True)


def _policy_list(policies: dict[str, list[dict[str, Any]]]) -> str:
    items = [escape(f"added: {_who(p)}") for p in policies["added"]]
    items += [escape(f"removed: {_who(p)}") for p in policies["removed"]]
    for p in policies["changed"]:
        fields = "".join(
            f"<li><code>{escape(c['field'])}</code>: <code>{escape(shown_value(c['old']))}"
            f"</code> → <code>{escape(shown_value(c['new']))}</code></li>" for c in p["changes"]
        )
        items.append(f"changed: {escape(_who(p))}<ul>{fields}</ul>")
    return _list(items, "No change.", escaped=True)


def _list(items: Iterable[str], empty: str = "None.", *, escaped: bool = False) -> str:
    items = list(items)
    if not items:
        return f"<p>{escape(empty)}</p>"
    shown = "".join(f"<li>{i if escaped else escape(i)}</li>" for i in items[:LIST_LIMIT])
    more = len(items) - LIST_LIMIT
    extra = f'<li class="muted">and {more} more</li>' if more > 0 else ""
    return f'<ul class="changes">{shown}{extra}</ul>'


def _more(text: str, total: int) -> str:
    extra = f" and {total - LIST_LIMIT} more" if total > LIST_LIMIT else ""
    return escape(text + extra) if text else "—"


def _who(item: dict[str, Any]) -> str:
    """An object as `name (id)`, plain text: the caller escapes it."""
    return f"{item['name']} ({item['id']})" if item.get("name") else str(item["id"])


def _signed(delta: float | None) -> str:
    if delta is None:
        return "not known"
    return "0" if delta == 0 else f"{delta:+g}".replace("-", MINUS)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _codes(ids: Iterable[str]) -> str:
    return ", ".join(f"<code>{escape(i)}</code>" for i in ids)


def _integrity(data: ReportData) -> str:
    v = data.verification
    state = (badge("ok", "Verified") if v.ok
             else badge("breach", f"{len(v.problems)} problem(s)"))
    body = [
        f"<p>{state} {_count(v.snapshots, 'snapshot')} of tenant "
        f"<code>{escape(data.tenant_id)}</code> checked: every file's size and SHA-256 "
        "against its manifest, and each manifest against the SHA-256 its successor "
        "records.</p>",
        "<dl>",
        f"<dt>Chain head (SHA-256 of the newest manifest)</dt><dd><code>"
        f"{escape(v.head or 'none')}</code></dd>",
        f"<dt>Newest snapshot</dt><dd><code>{escape(v.newest or 'none')}</code></dd>",
        "</dl>",
        "<p>Record the chain head outside the tool (a ticket, a signed log) and check it later "
        f"with <code>entra-kri verify ROOT --expect-head {escape(v.head or 'HASH')}</code>.</p>",
    ]
    if not v.ok:
        body.append("<h3>Problems</h3>" + _list(v.problems).replace(
            'class="changes"', 'class="problems"'))
    return _section("integrity", "Integrity of the snapshots", "\n".join(body))
