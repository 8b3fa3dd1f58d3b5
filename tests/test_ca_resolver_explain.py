"""explain for entra_ca_coverage_gaps_exact (docs/ca-resolver.md, "explain").

One row per uncovered user, so the rows count is the KRI value; for each policy
that was a candidate, the first rule that failed; and the report-only policies
that would cover the user if enforced.
"""

from __future__ import annotations

import json

from click.testing import CliRunner
from entra_kri.analysis.explain import explain
from entra_kri.analysis.rows import render_records

from entra_kri.cli import cli
from tests.ca_policies import ca_policy, grant
from tests.snapshot_builder import build_snapshot, user

SLUG = "entra_ca_coverage_gaps_exact"


def glass(member_id):
    return {"@odata.type": "#microsoft.graph.user", "id": member_id, "displayName": member_id,
            "_groupId": "g-glass", "_groupDisplayName": "Break-glass"}


SNAPSHOT = {
    "users": [user("alice"), user("bob"), user("carol"), user("dan"),
              user("guest", user_type="Guest"), user("off", enabled=False)],
    "ca_group_members": [glass("bob")],
    "ca_policies": [
        ca_policy("p-all", name="MFA for all", users={
            "excludeUsers": ["carol", "dan"], "excludeGroups": ["g-glass"]}),
        ca_policy("p-or", name="MFA or compliant", users={"includeUsers": ["carol"]},
                  grant_controls=grant(["mfa", "compliantDevice"])),
        ca_policy("p-ios", name="MFA on iOS", users={"includeUsers": ["carol"]},
                  conditions={"platforms": {"includePlatforms": ["iOS"],
                                            "excludePlatforms": []}}),
        ca_policy("p-ro", name="MFA pilot", state="enabledForReportingButNotEnforced",
                  users={"includeUsers": ["bob", "carol"]}),
    ],
}


def explained(tmp_path, **changes):
    (explanation,) = explain(build_snapshot(tmp_path, **{**SNAPSHOT, **changes}), [SLUG])
    return explanation


def test_rows_are_the_uncovered_users_and_count_the_value(tmp_path):
    explanation = explained(tmp_path)
    assert explanation.kri.value == len(explanation.rows) == 3
    assert [r["id"] for r in explanation.rows] == ["bob", "carol", "dan"]


def test_each_row_names_its_uncovered_contexts(tmp_path):
    """explain: the uncovered contexts, one line per group; iOS alone leaves the rest."""
    rows = {r["id"]: r for r in explained(tmp_path).rows}
    assert rows["bob"]["uncovered"] == ["any client app; any platform; any location; any risk"]
    assert rows["carol"]["uncovered"] == [
        "any client app; platform android or windows or macOS or linux or windowsPhone or "
        "other platform; any location; any risk"]


def test_each_candidate_policy_gives_its_first_failed_rule(tmp_path):
    rows = {r["id"]: r for r in explained(tmp_path).rows}
    assert rows["bob"]["policies"] == [
        "'MFA for all': excluded via group Break-glass",
        "'MFA pilot': report-only",
    ]
    assert rows["carol"]["policies"] == [
        "'MFA for all': excluded via excludeUsers",
        "'MFA on iOS': applies only to platform iOS",
        "'MFA or compliant': grant: OR with compliantDevice",
        "'MFA pilot': report-only",
    ]


def test_a_user_no_policy_includes_says_so(tmp_path):
    """Policies that do not include the user are not candidates and are not listed."""
    policies = [ca_policy("p-a", name="MFA for Alice", users={"includeUsers": ["alice"]})]
    (dan,) = explained(tmp_path, users=[user("alice"), user("dan")], ca_policies=policies).rows
    assert (dan["id"], dan["reason"]) == ("dan", "no policy includes this user")
    assert dan["policies"] == dan["covered_if_enforced"] == []


def test_an_excluded_user_is_still_a_candidate(tmp_path):
    dan = next(r for r in explained(tmp_path).rows if r["id"] == "dan")
    assert dan["reason"] == "no enabled policy requires MFA or blocks in every sign-in context"
    assert dan["policies"] == ["'MFA for all': excluded via excludeUsers"]


def test_report_only_policy_that_would_cover_is_named(tmp_path):
    explanation = explained(tmp_path)
    rows = {r["id"]: r for r in explanation.rows}
    assert rows["bob"]["covered_if_enforced"] == ["MFA pilot"]
    assert rows["carol"]["covered_if_enforced"] == ["MFA pilot"]
    assert "2 would be covered if a report-only policy were enforced: 'MFA pilot' (2)" in (
        explanation.summary)


def test_the_state_follows_a_failed_rule_of_a_report_only_policy(tmp_path):
    policies = [ca_policy("p-ro", name="Pilot", state="enabledForReportingButNotEnforced",
                          users={"excludeUsers": ["alice"]})]
    (row,) = explained(tmp_path, users=[user("alice")], ca_policies=policies).rows
    assert row["policies"] == ["'Pilot': excluded via excludeUsers (policy report-only)"]
    assert row["covered_if_enforced"] == []


def test_policies_refused_lists_every_enabled_member(tmp_path):
    explanation = explained(tmp_path, refused={"conditional_access_policies": 403})
    assert explanation.kri.value == len(explanation.rows) == 4
    assert {r["reason"] for r in explanation.rows} == {
        "Conditional Access policies refused (fail-safe)"}
    assert explanation.summary.startswith("Conditional Access policies were refused")


def test_a_refused_group_shows_in_the_reason_and_the_summary(tmp_path):
    explanation = explained(tmp_path, ca_group_members=[], ca_group_reads=[],
                            refused_groups={"g-glass": 403})
    assert explanation.kri.degraded and explanation.kri.value == len(explanation.rows) == 4
    alice = next(r for r in explanation.rows if r["id"] == "alice")
    assert alice["policies"] == [
        "'MFA for all': excluded: group g-glass: its members could not be read "
        "(HTTP 403, Authorization_RequestDenied) (fail-safe)"]
    assert alice["depends_on_unread"] is True
    assert "Degraded" in explanation.summary


def test_cli_json(tmp_path):
    path = build_snapshot(tmp_path, **SNAPSHOT)
    result = CliRunner().invoke(cli, ["explain", str(path), SLUG, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["value"] == len(data["rows"]) == 3
    assert data["columns"] == ["id", "user_principal_name", "reason", "uncovered", "policies",
                               "covered_if_enforced", "depends_on_unread"]


def test_cli_table_is_one_block_per_user_within_120_columns(tmp_path):
    """explain: readable at 120 columns: a block per user, a line per context group."""
    path = build_snapshot(tmp_path, **SNAPSHOT)
    result = CliRunner().invoke(cli, ["explain", str(path), SLUG])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 120
    assert "    - any client app; any platform; any location; any risk" in lines
    assert sum(line.startswith("id: ") for line in lines) == 3


def test_members_with_the_same_traits_share_one_explanation(tmp_path):
    """Performance: members in the same groups and roles, with the same guest type, get
    the same answer, built once and shared by their rows (not a copy each); a member
    with the same policies but another path to them keeps their own reasons."""
    users = [*SNAPSHOT["users"], user("erin"), user("frank")]
    members = [glass("bob"), glass("erin"), glass("frank")]
    rows = {r["id"]: r for r in explained(tmp_path, users=users, ca_group_members=members).rows}
    assert rows["erin"]["policies"] is rows["frank"]["policies"]
    assert rows["erin"]["uncovered"] is rows["frank"]["uncovered"]
    assert rows["erin"]["policies"] == ["'MFA for all': excluded via group Break-glass"]
    assert rows["bob"]["policies"] == ["'MFA for all': excluded via group Break-glass",
                                       "'MFA pilot': report-only"]
    assert rows["dan"]["policies"] == ["'MFA for all': excluded via excludeUsers"]


def test_the_table_comes_in_one_piece_per_user(tmp_path):
    """A hundred thousand uncovered users are written block by block, not held as one text:
    the title, one block per row, then the notes."""
    explanation = explained(tmp_path)
    pieces = list(render_records(explanation.columns, explanation.rows, title="title",
                                 notes=["a note"]))
    assert len(pieces) == len(explanation.rows) + 2
    assert pieces[1].startswith("id: bob\n") and pieces[1].endswith("\n\n")
    assert pieces[-1] == "a note\n"
