"""Tenant strings are data, never markup, formulas or escape sequences (docs/output-safety.md).

Any user can set their own display name: each case below is a guest account whose
name a table, a CSV or a terminal would otherwise interpret.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest
from click.testing import CliRunner
from entra_kri.analysis.compute import KriReport, KriResult
from entra_kri.analysis.render import render_csv
from entra_kri.analysis.thresholds import DEFAULT_THRESHOLDS

from entra_kri.cli import cli
from entra_kri.runlog import RunRecord, append_run
from tests.snapshot_builder import TENANT_ID, build_snapshot, user

GUESTS = "entra_guest_account_count"
MARKUP = {
    "closing tag": "[/bold]oops",
    "style": "[bold red]Mallory[/]",
    "link": "[link=file:///etc/passwd]x[/link]",
    "emoji code": ":warning: admin",
}
FORMULA = '=HYPERLINK("http://x","y")'
CLEAR_SCREEN = "Eve\x1b[2J"
TITLE = "Eve\x1b]0;owned\x07"
OSC8_LINK = "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"
NAMES = [*MARKUP.values(), FORMULA, CLEAR_SCREEN, TITLE, OSC8_LINK]


def shown(text: str) -> str:
    """How a control-bearing name must appear in human-readable output."""
    return text.replace("\x1b", "\\x1b").replace("\x07", "\\x07")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A snapshot whose guests are named with NAMES (user i is g<i>)."""
    root = tmp_path_factory.mktemp("hostile")
    return build_snapshot(root, users=[
        user(f"g{i}", user_type="Guest", displayName=name, userPrincipalName=f"g{i}@x.example")
        for i, name in enumerate(NAMES)
    ])


def invoke(*args, color=False):
    result = CliRunner().invoke(cli, [str(a) for a in args], color=color)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def explain(snapshot, fmt="table", color=False):
    result = invoke("explain", snapshot, GUESTS, "--format", fmt, color=color)
    assert result.exit_code == 0, result.output
    return result.output


def query(snapshot, sql, fmt="table"):
    result = invoke("query", snapshot.parent.parent, sql, "--format", fmt)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", MARKUP.values(), ids=MARKUP.keys())
def test_markup_in_display_name_is_shown_exactly_in_explain_table(hostile, name):
    assert name in explain(hostile)


@pytest.mark.parametrize("name", MARKUP.values(), ids=MARKUP.keys())
def test_markup_in_display_name_is_shown_exactly_in_query_table(hostile, name):
    text = query(hostile, "select \"displayName\" from users where \"displayName\" = "
                          + "'" + name + "'")
    assert name in text


def test_formula_display_name_is_neutralised_in_explain_csv(hostile):
    rows = list(csv.DictReader(io.StringIO(explain(hostile, "csv"))))
    assert "'" + FORMULA in [r["display_name"] for r in rows]


def test_formula_is_neutralised_in_query_csv_but_negative_numbers_stay(hostile):
    text = query(hostile, "select \"displayName\" as name, -5 as n from users "
                          "where \"userType\" = 'Guest' and \"displayName\" like '=%'", "csv")
    assert text == '"name","n"\n"\'=HYPERLINK(""http://x"",""y"")",-5\n'


def test_formula_warning_is_neutralised_in_kri_csv():
    kri = KriResult(GUESTS, -1, "ok", True, ("=cmd|' /C calc'!A0",), DEFAULT_THRESHOLDS[GUESTS],
                    "0" * 64, "0.1.0")
    report = KriReport(TENANT_ID, "20261127T110644Z", "2026-11-27T11:06:44Z", (kri,), ())
    (row,) = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert row["warnings"] == "'=cmd|' /C calc'!A0"
    assert row["value"] == "-1"


def test_evidence_pack_csv_is_neutralised_and_its_json_exact(hostile, tmp_path):
    out = tmp_path / "pack.zip"
    assert invoke("evidence", hostile, "--out", out).exit_code == 0
    with zipfile.ZipFile(out) as pack:
        rows = list(csv.DictReader(io.StringIO(
            pack.read(f"explain/{GUESTS}.csv").decode("utf-8"))))
        document = json.loads(pack.read(f"explain/{GUESTS}.json"))
    names = [r["display_name"] for r in rows]
    assert "'" + FORMULA in names
    assert shown(CLEAR_SCREEN) in names
    assert sorted(r["display_name"] for r in document["rows"]) == sorted(NAMES)


def test_explain_json_keeps_the_exact_strings(hostile):
    document = json.loads(explain(hostile, "json"))
    assert sorted(r["display_name"] for r in document["rows"]) == sorted(NAMES)


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_escape_sequences_are_shown_escaped_on_a_terminal_and_redirected_alike(hostile, fmt):
    on_terminal = explain(hostile, fmt, color=True)
    redirected = explain(hostile, fmt, color=False)
    assert on_terminal == redirected
    assert "\x1b" not in redirected and "\x07" not in redirected
    for name in (CLEAR_SCREEN, TITLE, OSC8_LINK):
        assert shown(name) in redirected


def test_escape_sequences_are_shown_escaped_in_diff(tmp_path):
    old = build_snapshot(tmp_path, users=[user("a")])
    new = build_snapshot(tmp_path, users=[user("a"), user("b", userPrincipalName=TITLE)],
                         captured_at="2026-11-28T11:06:44Z")
    text = invoke("diff", old, new, color=True).output
    assert f"b ({shown(TITLE)}) added" in text
    assert "\x1b" not in text


def test_escape_sequences_are_shown_escaped_in_kri_table_warnings(tmp_path):
    path = build_snapshot(tmp_path, warnings=[f"policy {CLEAR_SCREEN} references nothing"])
    text = invoke("kri", path, color=True).output
    assert f"policy {shown(CLEAR_SCREEN)} references nothing" in text
    assert "\x1b" not in text


def test_escape_sequences_are_shown_escaped_in_error_messages(hostile):
    result = invoke("query", hostile.parent.parent, "select error('" + CLEAR_SCREEN + "')",
                    color=True)
    assert result.exit_code == 2
    assert shown(CLEAR_SCREEN) in result.output
    assert "\x1b" not in result.output


def test_escape_sequences_are_shown_escaped_in_runs(tmp_path):
    record = RunRecord("r1", "contoso", TENANT_ID, "2026-11-27T11:06:44Z")
    record.error = f"Graph said {TITLE}"
    append_run(tmp_path / TENANT_ID, record)
    text = invoke("runs", tmp_path, color=True).output
    assert f"error: Graph said {shown(TITLE)}" in text
    assert "\x1b" not in text


def test_escape_sequences_are_shown_escaped_in_the_report(tmp_path):
    old = build_snapshot(tmp_path, users=[user("a")])
    build_snapshot(tmp_path, users=[user("a"), user("b", userPrincipalName=TITLE)],
                   captured_at="2026-11-28T11:06:44Z",
                   previous_manifest_sha256=hashlib.sha256(
                       (old / "manifest.json").read_bytes()).hexdigest())
    out = tmp_path / "report.html"
    result = invoke("report", tmp_path, "--out", out)
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    assert shown(TITLE) in page
    assert "\x1b" not in page and "\x07" not in page


def renamed_policy(tmp_path, old_name, new_name):
    """Two chained snapshots in which policy p1 is renamed from old_name to new_name."""
    def policy(name):
        return {"id": "p1", "displayName": name, "state": "enabled"}

    old = build_snapshot(tmp_path, ca_policies=[policy(old_name)])
    new = build_snapshot(tmp_path, ca_policies=[policy(new_name)],
                         captured_at="2026-11-28T11:06:44Z",
                         previous_manifest_sha256=hashlib.sha256(
                             (old / "manifest.json").read_bytes()).hexdigest())
    return old, new


def test_control_characters_in_a_changed_policy_field_are_shown_as_in_every_other_output(
        tmp_path):
    old, new = renamed_policy(tmp_path, "Block\nlegacy", CLEAR_SCREEN)
    text = invoke("diff", old, new, color=True).output
    assert f'displayName: "Block\\x0alegacy" -> "{shown(CLEAR_SCREEN)}"' in text
    assert "\x1b" not in text and "\\u001b" not in text


def test_control_characters_in_a_changed_policy_field_are_shown_the_same_in_the_report(
        tmp_path):
    renamed_policy(tmp_path, "Block\nlegacy", CLEAR_SCREEN)
    out = tmp_path / "report.html"
    result = invoke("report", tmp_path, "--out", out)
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    assert shown(CLEAR_SCREEN) in page and "Block\\x0alegacy" in page
    assert "\x1b" not in page and "\\u001b" not in page
