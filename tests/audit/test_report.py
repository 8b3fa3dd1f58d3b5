"""entra-kri report (docs/audit.md): the page's content, structure, accessibility, escaping."""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from entra_kri.analysis.compute import compute_kris
from entra_kri.analysis.diff import diff_snapshots
from entra_kri.analysis.history import kri_history
from entra_kri.analysis.report_html import BADGE_COLOURS, render_report
from entra_kri.analysis.report_svg import BAND_FILL, MUTED, STATUS_COLOUR

from entra_kri.cli import EntraKriGroup
from entra_kri.report_command import register
from entra_kri.snapshot.chain import verify_tenant
from tests.series_builder import DAYS, SIGN_INS_REFUSED_DAY, snapshot_id
from tests.snapshot_builder import TENANT_ID, build_snapshot, group_member, registered, user

EVIL = "<script>alert(1)</script>"
EVIL_ATTRIBUTE = '"><img src=x onerror=alert(2)>'
SECTIONS = ["Summary", "Current KRIs", "Degraded KRIs", "Trends", "Latest changes",
            "Integrity of the snapshots"]


class Page(HTMLParser):
    """The parts of a page the accessibility checks look at."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[tuple[int, str]] = []
        self.texts: dict[str, str] = {}  # element id -> its text
        self._open: list[tuple[str, str | None, list[str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in {"meta", "link", "br", "img", "circle", "path", "rect", "line",
                       "polyline"}:
            self._open.append((tag, dict(attrs).get("id"), []))

    def handle_data(self, data: str) -> None:
        for _, _, parts in self._open:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            name, ident, parts = self._open.pop()
            text = "".join(parts).strip()
            if ident:
                self.texts[ident] = text
            if re.fullmatch(r"h[1-6]", name):
                self.headings.append((int(name[1]), text))
            if name == tag:
                break

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def day_dir(root: Path, day: int) -> Path:
    return root / TENANT_ID / snapshot_id(day)


def report_cli() -> click.Group:
    group = EntraKriGroup()
    register(group)
    return group


@pytest.fixture(scope="module")
def data(series_report):
    return series_report


@pytest.fixture(scope="module")
def html(data):
    return render_report(data)


@pytest.fixture(scope="module")
def page(html):
    return Page(html)


def test_one_self_contained_page_without_script(html, page):
    assert html.startswith("<!DOCTYPE html>")
    assert page.all("html") == [{"lang": "en"}]
    (csp,) = [m for m in page.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in str(csp["content"])
    assert not page.all("script") and not page.all("img") and not page.all("link")
    assert not any("src" in attrs for _, attrs in page.tags)
    assert {str(a["href"])[:1] for a in page.all("a")} == {"#"}
    assert "url(" not in html and "@import" not in html


def test_headings_form_a_hierarchy(page):
    levels = [level for level, _ in page.headings]
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b - a <= 1 for a, b in pairwise(levels))
    assert [text for level, text in page.headings if level == 2] == SECTIONS


def test_tables_have_captions_and_scoped_headers(html, page):
    assert html.count("<table>") == html.count("<caption>") > 0
    assert {a.get("scope") for a in page.all("th")} == {"col", "row"}


def test_every_chart_has_a_text_alternative(data, page):
    charts = page.all("svg")
    assert charts
    for svg in charts:
        if svg.get("aria-hidden") == "true":
            continue
        assert svg.get("role") == "img"
        if svg.get("aria-label"):
            continue
        ids = str(svg.get("aria-labelledby")).split()
        assert len(ids) == 2 and all(page.texts.get(i) for i in ids), svg
    trends = [s for s in charts if s.get("aria-labelledby")]
    assert len(trends) == len(data.current.kris)
    assert "35 snapshots from 2026-10-01 to 2026-11-04" in page.texts[
        "chart-entra_mfa_enrollment_pct-desc"]


def test_current_kris_are_those_of_the_newest_snapshot(data, series_history_root):
    assert data.current.snapshot_id == snapshot_id(DAYS - 1)
    newest = kri_history(series_history_root, since=date(2026, 11, 4)).points
    assert {k.slug: k.value for k in data.current.kris} == {p.slug: p.value for p in newest}
    mfa = next(k for k in data.current.kris if k.slug == "entra_mfa_enrollment_pct")
    assert (mfa.value, mfa.status) == (83.3, "breach")


def test_status_is_said_in_words_not_only_in_colour(html):
    row = re.search(r"<tr><th scope=\"row\">MFA registration.*?</tr>", html).group(0)
    assert "83.3 %" in row
    assert re.search(r'class="badge breach"><svg[^>]*aria-hidden="true".*?</svg>Breach<', row)
    assert "Warning ≥ 1" in html  # the bands are labelled in text as well


def test_verification_shows_the_chain_head(data, html, series_history_root):
    chain = verify_tenant(series_history_root / TENANT_ID)
    assert data.verification.ok and data.verification.head == chain.head
    assert f"--expect-head {chain.head}" in html
    assert "Verified" in html and f"{DAYS} snapshots of tenant" in html


def test_trends_cover_every_snapshot_with_degraded_points(data):
    failed = next(t for t in data.trends if t.slug == "entra_failed_signins_24h")
    assert len(failed.points) == DAYS
    assert [p.degraded for p in failed.points].index(True) == SIGN_INS_REFUSED_DAY


def test_latest_diff_names_changes_and_flags_unaudited_roles(data, series_history_root):
    diff = diff_snapshots(day_dir(series_history_root, 23), day_dir(series_history_root, 27))
    html = render_report(replace(data, diff=diff))
    changes = html[html.index('id="changes"'):html.index('id="integrity"')]
    assert f"From snapshot <code>{snapshot_id(23)}</code>" in changes
    assert "gained: u12@contoso.example (u12), Security Reader (direct)" in changes
    assert "no RoleManagement audit event" in changes
    assert "<code>conditions.users.excludeUsers</code>: <code>[]</code> → " \
           "<code>[&quot;u19&quot;]</code>" in changes
    assert "added: u25@contoso.example (u25)" in changes
    assert "MFA registration gained: u02@contoso.example (u02)" in changes


def test_degraded_kris_say_why(data, series_history_root):
    current = compute_kris(day_dir(series_history_root, SIGN_INS_REFUSED_DAY))
    html = render_report(replace(data, current=current))
    degraded = html[html.index('id="degraded"'):html.index('id="trends"')]
    assert "<h3>Failed sign-ins in the last 24 h</h3>" in degraded
    assert "auditLogs/signIns" in degraded
    assert 'class="badge degraded"' in html


def test_contrast_of_text_colours_is_at_least_4_5():
    pairs = [(text, fill) for text, fill, _ in BADGE_COLOURS.values()]
    pairs += [(STATUS_COLOUR[k], fill) for k, fill in BAND_FILL.items()]
    pairs += [(c, "#ffffff") for c in [*STATUS_COLOUR.values(), MUTED]]
    pairs += [(MUTED, fill) for fill in BAND_FILL.values()]
    for text, background in pairs:
        assert contrast(text, background) >= 4.5, (text, background)


def contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, bl = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                    for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * bl

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory) -> Path:
    """Two snapshots whose display names (from Graph: untrusted) are markup."""
    root = tmp_path_factory.mktemp("hostile")
    role = [{"id": "r1", "roleTemplateId": "t1", "displayName": EVIL}]
    members = [{"@odata.type": "#microsoft.graph.group", "id": "g1", "displayName": EVIL,
                "_roleId": "r1", "_roleTemplateId": "t1", "_roleDisplayName": EVIL}]
    first = build_snapshot(root, users=[user("u1")], registration=[registered("u1")],
                           captured_at="2026-11-26T10:00:00Z")
    previous = hashlib.sha256((first / "manifest.json").read_bytes()).hexdigest()
    build_snapshot(
        root,
        users=[user("u1"), user("u2", displayName=EVIL, userPrincipalName=None)],
        registration=[registered("u1"), registered("u2", False)],
        directory_roles=role,
        role_members=members,
        group_members=[{**group_member("g1", "u1"), "_groupDisplayName": EVIL}],
        ca_policies=[{"id": "p1", "displayName": EVIL_ATTRIBUTE, "state": "enabled",
                      "conditions": {"users": {"includeUsers": ["All"]}}}],
        refused={"sign_ins": 403},
        previous_manifest_sha256=previous,
    )
    return root


def test_display_names_are_escaped(hostile_root, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(report_cli(), ["report", str(hostile_root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert EVIL not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (u2)" in html
    assert "via group &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    page = Page(html)
    assert not page.all("script") and not page.all("img")


@pytest.fixture(scope="module")
def single_root(tmp_path_factory) -> Path:
    """One snapshot with a guest: nothing to compare it with."""
    root = tmp_path_factory.mktemp("single")
    build_snapshot(root, users=[user("u1"), user("x1", user_type="Guest")],
                   registration=[registered("u1")])
    return root


def test_config_names_the_tenant_and_sets_thresholds(single_root, tmp_path):
    config = tmp_path / "entra-kri.toml"
    config.write_text(
        f'[tenants.small]\ntenant_id = "{TENANT_ID}"\n'
        'client_id = "11111111-1111-1111-1111-111111111111"\n'
        'kris = ["entra_guest_account_count", "entra_mfa_enrollment_pct"]\n'
        "[tenants.small.thresholds]\n"
        "entra_guest_account_count = { warn = 1, breach = 10 }\n",
        encoding="utf-8",
    )
    out = tmp_path / "r.html"
    result = CliRunner().invoke(report_cli(), ["report", str(single_root), "--tenant", "small",
                                               "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    row = re.search(r"<tr><th scope=\"row\">Guest accounts.*?</tr>", html).group(0)
    assert ">Warning<" in row and "≥ 1" in row
    assert "Stale accounts" not in html
    assert "There is no earlier verified snapshot to compare with." in html


def test_snapshots_that_do_not_verify_are_named_and_left_out(hostile_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(hostile_root, root)
    kri_history(root)  # the newest snapshot's values are cached before it is tampered with
    older, newest = sorted((root / TENANT_ID).glob("2*"))
    tampered = next(newest.glob("users*"))
    tampered.write_bytes(tampered.read_bytes() + b"x")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(report_cli(), ["report", str(root), "--out", str(out)])
    assert result.exit_code == 1
    assert "was written" in result.output and "1 problem(s)" in result.output
    html = out.read_text(encoding="utf-8")
    assert f"{TENANT_ID}/{newest.name}/{tampered.name}: " in html
    assert f"left out because they do not verify: <code>{newest.name}</code>" in html
    assert f"Snapshot <code>{older.name}</code>" in html
    assert f"<th scope=\"row\">{older.name}</th>" in html
    assert f"<th scope=\"row\">{newest.name}</th>" not in html  # not in the trend tables


def test_tenant_must_be_named_when_several(single_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(single_root, root)
    build_snapshot(root, users=[user("a")], tenant_id="11111111-1111-1111-1111-111111111111")
    result = CliRunner().invoke(report_cli(), ["report", str(root), "--out",
                                               str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert "--tenant" in result.output


def test_documented():
    result = CliRunner().invoke(report_cli(), ["report", "--help"])
    assert result.exit_code == 0 and "HTML report" in result.output
    doc = (Path(__file__).parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")
    assert "## report\n" in doc
