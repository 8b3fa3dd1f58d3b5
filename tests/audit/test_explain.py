"""entra-kri explain: docs/audit.md, "explain SNAPSHOT SLUG": the rows behind each KRI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from entra_kri.analysis.explain import explain

from entra_kri.cli import cli
from entra_kri.kris import KRI_SLUGS
from tests.series_builder import DAYS, snapshot_id
from tests.snapshot_builder import (
    TENANT_ID,
    build_snapshot,
    group_member,
    registered,
    role_member,
    user,
)


def assert_rows_make_the_value(explanation):
    kri, rows = explanation.kri, explanation.rows
    if kri.slug == "entra_mfa_enrollment_pct":
        if not rows:
            assert kri.value is None
        else:
            registered_rows = sum(1 for r in rows if r["registered"])
            assert round(100 * registered_rows / len(rows), 1) == kri.value
    else:
        assert len(rows) == kri.value, kri.slug


def test_row_count_equals_the_value_for_every_kri_on_every_day(series_root):
    for day in range(DAYS):
        explanations = explain(series_root / TENANT_ID / snapshot_id(day))
        assert [e.kri.slug for e in explanations] == list(KRI_SLUGS)
        for explanation in explanations:
            assert_rows_make_the_value(explanation)


DEGRADED = {
    "registration refused": {"refused": {"user_registration_details": 403}},
    "policies refused": {"refused": {"conditional_access_policies": 403}},
    "sign-ins refused": {"refused": {"sign_ins": 403}},
    "audits refused": {"refused": {"directory_audits": 404}},
    "signInActivity forbidden": {"sign_in_activity": "forbidden"},
    "no enabled members": {"users": [user("g", user_type="Guest")]},
}


@pytest.mark.parametrize("case", DEGRADED.values(), ids=DEGRADED.keys())
def test_row_count_equals_the_value_when_degraded(tmp_path, case):
    snapshot = {
        "users": [user("a"), user("b", last_sign_in=None), user("c", enabled=False)],
        "registration": [registered("a")],
        "role_members": [role_member("r1", "b"), role_member("r1", "c")],
        "sign_ins": [{"id": "s1", "createdDateTime": "2026-11-27T10:00:00Z",
                      "status": {"errorCode": 50126}}],
        "directory_audits": [{"id": "d1", "activityDateTime": "2026-11-27T10:00:00Z",
                              "category": "RoleManagement"}],
        **case,
    }
    for explanation in explain(build_snapshot(tmp_path, **snapshot)):
        assert_rows_make_the_value(explanation)


def test_privileged_rows_name_roles_and_paths_and_list_service_principals_apart(tmp_path):
    path = build_snapshot(
        tmp_path,
        users=[user("a"), user("b")],
        role_members=[
            role_member("r1", "a"),
            role_member("r2", "g1", "#microsoft.graph.group"),
            role_member("r1", "sp1", "#microsoft.graph.servicePrincipal"),
        ],
        group_members=[group_member("g1", "a"), group_member("g1", "b")],
    )
    result = CliRunner().invoke(
        cli, ["explain", str(path), "entra_privileged_no_mfa_count", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["value"] == 2
    roles = {row["id"]: row["roles"] for row in data["rows"]}
    assert roles == {"a": ["Role r1 (direct)", "Role r2 (via group g1)"],
                     "b": ["Role r2 (via group g1)"]}
    assert [sp["id"] for sp in data["service_principals"]] == ["sp1"]
    assert len(data["sql_sha256"]) == 64 and data["tool_version"]


def test_coverage_summary_names_the_satisfying_policy(series_root):
    path = series_root / TENANT_ID / snapshot_id(12)
    result = CliRunner().invoke(cli, ["explain", str(path), "entra_ca_coverage_gaps"])
    assert result.exit_code == 0, result.output
    assert "Satisfied by policy 'Require MFA for all users' (p-mfa)" in result.output


def test_coverage_summary_says_why_no_policy_qualified(series_root):
    path = series_root / TENANT_ID / snapshot_id(26)
    (explanation,) = explain(path, ["entra_ca_coverage_gaps"])
    assert "excludeUsers is not empty (u19)" in explanation.summary
    assert len(explanation.rows) == explanation.kri.value > 0


def test_stale_rows_carry_last_sign_in_and_reason(series_root):
    (explanation,) = explain(series_root / TENANT_ID / snapshot_id(31),
                             ["entra_stale_accounts_90d"])
    rows = {r["id"]: r for r in explanation.rows}
    assert rows["u10"]["last_sign_in"] == "2026-08-01T09:00:00.1234567Z"
    assert rows["u10"]["reason"].startswith("last sign-in before 2026-08-03")
    assert rows["u11"]["reason"] == "never signed in"


def test_csv_has_one_line_per_row(series_root):
    path = series_root / TENANT_ID / snapshot_id(2)
    result = CliRunner().invoke(
        cli, ["explain", str(path), "entra_failed_signins_24h", "--format", "csv"]
    )
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 1 + 7


def test_unknown_slug(series_root):
    path = series_root / TENANT_ID / snapshot_id(2)
    result = CliRunner().invoke(cli, ["explain", str(path), "nope"])
    assert result.exit_code == 2
    assert "Unknown KRI 'nope'" in result.output
