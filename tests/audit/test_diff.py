"""entra-kri diff: docs/audit.md, "diff OLD NEW", on the daily series (tests/series_builder.py)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from entra_kri.analysis.diff import shown_value

from entra_kri.cli import cli
from tests.series_builder import snapshot_id
from tests.snapshot_builder import build_snapshot, user


@pytest.fixture(scope="module")
def diff_json(series_root):
    cache = {}

    def run(old_day, new_day):
        if (old_day, new_day) not in cache:
            tenant = next(series_root.iterdir())
            result = CliRunner().invoke(cli, [
                "diff", str(tenant / snapshot_id(old_day)), str(tenant / snapshot_id(new_day)),
                "--format", "json",
            ])
            assert result.exit_code == 0, result.output
            cache[old_day, new_day] = json.loads(result.output)
        return cache[old_day, new_day]

    return run


def ids(items):
    return [item["id"] for item in items]


def test_users_added_removed_enabled_disabled_turned_guest(diff_json):
    assert ids(diff_json(6, 8)["users"]["disabled"]) == ["u03"]
    later = diff_json(9, 12)["users"]
    assert ids(later["removed"]) == ["u05"]
    assert ids(later["added"]) == ["u22"]
    assert ids(later["enabled"]) == ["u03"]
    assert later["added"][0]["name"] == "u22@contoso.example"
    assert ids(diff_json(13, 15)["users"]["turned_guest"]) == ["u08"]


def test_mfa_registration_gained_and_lost(diff_json):
    assert ids(diff_json(13, 15)["mfa_registration"]["lost"]) == ["u02"]
    assert "u02" in ids(diff_json(23, 27)["mfa_registration"]["gained"])


def test_role_membership_with_audit_event_is_matched(diff_json):
    gained = diff_json(6, 8)["role_membership"]["gained"]
    assert gained == [{
        "id": "u07", "name": "u07@contoso.example", "type": "user",
        "role": "Global Administrator", "role_id": "r-ga", "path": "direct",
        "audit": "matched", "audit_events": ["da-08-2"],
    }]
    assert diff_json(6, 8)["unaudited_role_changes"] == []
    lost = diff_json(21, 22)["role_membership"]["lost"]
    assert [(c["id"], c["audit"]) for c in lost] == [("u01", "matched")]


def test_role_membership_outside_the_audit_trail_is_flagged(diff_json):
    """A GroupManagement event is not a RoleManagement one; day 27 has no event at all."""
    via_group = diff_json(17, 18)["unaudited_role_changes"]
    assert [(c["id"], c["path"], c["audit"]) for c in via_group] == [
        ("u17", "via group Tier0 Admins", "none")
    ]
    direct = diff_json(23, 27)["unaudited_role_changes"]
    assert [(c["id"], c["role"]) for c in direct] == [("u12", "Security Reader")]


def test_ca_policies_changed_field_by_field_added_removed(diff_json):
    (changed,) = diff_json(9, 12)["ca_policies"]["changed"]
    assert changed["changes"] == [
        {"field": "state", "old": "enabledForReportingButNotEnforced", "new": "enabled"}
    ]
    (excluded,) = diff_json(23, 27)["ca_policies"]["changed"]
    assert excluded["changes"] == [
        {"field": "conditions.users.excludeUsers", "old": [], "new": ["u19"]}
    ]
    assert diff_json(29, 30)["ca_policies"]["added"] == [
        {"id": "p-legacy", "name": "Block legacy authentication"}
    ]
    assert ids(diff_json(32, 33)["ca_policies"]["removed"]) == ["p-legacy"]


def test_kri_delta_with_the_objects_that_explain_it(diff_json):
    kris = {k["slug"]: k for k in diff_json(17, 18)["kris"]}
    privileged = kris["entra_privileged_no_mfa_count"]
    assert (privileged["old"], privileged["new"], privileged["delta"]) == (1, 2, 1)
    assert privileged["entered"] == [{"id": "u17", "name": "u17@contoso.example"}]
    assert len(privileged["sql_sha256"]) == 64 and privileged["tool_version"]
    coverage = {k["slug"]: k for k in diff_json(9, 12)["kris"]}["entra_ca_coverage_gaps"]
    assert coverage["new"] == 0 and len(coverage["left"]) == coverage["old"]


def test_table_and_exit_code(series_root):
    tenant = next(series_root.iterdir())
    old, new = str(tenant / snapshot_id(17)), str(tenant / snapshot_id(18))
    runner = CliRunner()
    result = runner.invoke(cli, ["diff", old, new])
    assert result.exit_code == 0
    assert ("+ u17 (u17@contoso.example) Privileged Role Administrator (via group Tier0 "
            "Admins) [NO RoleManagement audit event") in result.output
    assert runner.invoke(cli, ["diff", old, new, "--exit-code"]).exit_code == 1
    same = runner.invoke(cli, ["diff", old, old, "--exit-code"])
    assert same.exit_code == 0
    assert "no differences" in same.output


def test_different_tenants_refused(series_root, tmp_path):
    other = build_snapshot(tmp_path, users=[user("a")],
                           tenant_id="11111111-1111-1111-1111-111111111111")
    tenant = next(series_root.iterdir())
    result = CliRunner().invoke(cli, ["diff", str(tenant / snapshot_id(0)), str(other)])
    assert result.exit_code == 2
    assert "same tenant" in result.output


def test_renamed_policy_shows_non_ascii_names_as_written(tmp_path):
    def policy(name):
        return {"id": "p1", "displayName": name, "state": "enabled"}

    old = build_snapshot(tmp_path, ca_policies=[policy("Accès réseau")],
                         captured_at="2026-11-26T09:00:00Z")
    new = build_snapshot(tmp_path, ca_policies=[policy("Zugriff für Gäste")])
    result = CliRunner().invoke(cli, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    assert 'displayName: "Accès réseau" -> "Zugriff für Gäste"' in result.output


def test_a_changed_list_or_object_value_shows_its_text_visible_and_the_rest_as_json():
    value = ["Eve\x1b[2J", 1, None, True, {"name": "\u202eevil"}]
    assert shown_value(value) == '["Eve\\x1b[2J", 1, null, true, {"name": "\\u202eevil"}]'
