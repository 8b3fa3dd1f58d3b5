"""The benchmark's figures as text tables, with the issue's targets beside them."""

from __future__ import annotations

import re
from typing import Any

MB = 1e6
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _table(rows: list[tuple[str, str, str, str, str]]) -> str:
    header = ("figure", "value", "against", "ratio", "target")
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in (header, tuple("-" * w for w in widths), *rows)]
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _capture_rows(title: str, c: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return [
        (title, f"{c['seconds']:.1f} s", f"critical path {c['critical_path_seconds']:.1f} s",
         _ratio(c["ratio_to_critical_path"]), "<= 1.1"),
        ("  vs path as served", "", f"{c['critical_path_served_seconds']:.1f} s",
         _ratio(c["ratio_to_served_critical_path"]), ""),
        ("  path bound by", GUID.sub("{id}", c["bound_by"]), "", "", ""),
    ]


def size_table(result: dict[str, Any], latency: float) -> str:
    """One size's figures."""
    t, c, a, s = result["tenant"], result["capture"], result["analysis"], result["snapshot"]
    u = result["users_bound"]["capture"]
    rows = [
        *_capture_rows("capture wall, audit-bound", c),
        *_capture_rows(f"capture wall, users-bound ({result['users_bound']['tenant']['users']:,}"
                       f" users, {result['users_bound']['tenant']['sign_ins_in_window']:,}"
                       " sign-ins)", u),
        ("  users-bound peak RSS", f"{u['peak_rss_mb']:.0f} MB", "", "", ""),
        ("capture peak RSS", f"{c['peak_rss_mb']:.0f} MB",
         f"{c['rss_before_work_mb']:.0f} MB after imports", "", "<= 200 MB (L)"),
        ("capture CPU / fake CPU", f"{c['cpu_seconds']:.1f} s", f"{c['fake_cpu_seconds']:.1f} s",
         "", ""),
        ("requests (429s)", f"{c['requests']} ({sum(c['throttled'].values())})", "", "", ""),
        ("analysis, all KRIs", f"{a['seconds']:.2f} s",
         f"typed scan {a['scan_seconds']:.2f} s", _ratio(a["ratio_to_scan"]),
         "<= 1.5, <= 5 s (L)"),
        ("  of which verify", f"{a['verify_seconds']:.2f} s", "", "", ""),
        ("  the CA resolver (exact KRI's SQL)", f"{a['ca_resolver_seconds']:.2f} s", "", "", ""),
        ("analysis peak RSS", f"{a['peak_rss_mb']:.0f} MB",
         f"typed scan {a['scan_peak_rss_mb']:.0f} MB",
         "", "<= 1 GB"),
        ("snapshot on disk", f"{s['disk_bytes'] / MB:.1f} MB",
         f"raw JSON {s['raw_json_bytes'] / MB:.1f} MB", _ratio(s["ratio"]), "<= 0.3"),
    ]
    if "baseline" in result:
        base = result["baseline"]
        rows.append(("baseline capture", f"{base['seconds']:.1f} s",
                     f"capture {c['seconds']:.1f} s", _ratio(base["ratio_to_capture"]), ""))
        rows.append(("baseline peak RSS", f"{base['peak_rss_mb']:.0f} MB",
                     f"{base['requests']} requests, {base['throttled']} 429s", "", ""))
    title = (f"{result['size']}: {t['users']:,} users, {t['failed_sign_ins_in_window']:,} failed "
             f"sign-ins, {t['activated_roles']} roles, {t['ca_policies']} CA policies; latency "
             f"{latency * 1000:.0f} ms; load average {c['load_average']:.1f}")
    return title + "\n" + _table(rows)


def trend_table(trend: dict[str, Any]) -> str:
    days, used = trend["snapshots"], trend["snapshots_measured"]
    cold = f"{trend['cold_seconds']:.1f} s" + (
        f" (from {used}: {trend['cold_measured_seconds']:.1f} s)" if used < days else "")
    rows = [
        ("trend cold", cold,
         f"2 x {days} x {trend['single_snapshot_seconds']:.2f} s / cores = "
         f"{trend['cold_target_seconds']:.1f} s", _ratio(trend["cold_ratio_to_target"]),
         "<= 1.0"),
        ("trend warm", f"{trend['warm_seconds']:.2f} s", f"{used} snapshots", "", "< 1 s"),
        ("trend peak RSS", f"{trend['cold_peak_rss_mb']:.0f} MB", "cold", "", ""),
    ]
    title = f"trend over {days} daily S snapshots" + (
        f" (measured on {used}, extrapolated: cold would exceed --trend-budget)"
        if used < days else "")
    return title + "\n" + _table(rows)
