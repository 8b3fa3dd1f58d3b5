"""entra_ca_coverage_gaps: docs/kri.md's original heuristic, one clause per test."""

import pytest

from tests.snapshot_builder import compute_kri, user

SLUG = "entra_ca_coverage_gaps"
USERS = [user("a"), user("b"), user("g", user_type="Guest"), user("d", enabled=False)]


def policy(**changes):
    base = {
        "id": "p1",
        "displayName": "Require MFA for everyone",
        "state": "enabled",
        "conditions": {"users": {"includeUsers": ["All"], "excludeUsers": []}},
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
    }
    base.update(changes)
    return base


def test_qualifying_policy_gives_zero(tmp_path):
    """Heuristic: enabled, includeUsers All, no excludeUsers, builtInControls mfa -> 0."""
    assert compute_kri(tmp_path, SLUG, users=USERS, ca_policies=[policy()]).value == 0


def test_no_policy_gives_enabled_member_count(tmp_path):
    """Heuristic: "otherwise count(enabled_members)"."""
    assert compute_kri(tmp_path, SLUG, users=USERS).value == 2


@pytest.mark.parametrize("state", ["disabled", "enabledForReportingButNotEnforced"])
def test_policy_not_enabled_does_not_qualify(tmp_path, state):
    """Heuristic clause: state = 'enabled'."""
    assert compute_kri(tmp_path, SLUG, users=USERS, ca_policies=[policy(state=state)]).value == 2


def test_policy_without_include_all_does_not_qualify(tmp_path):
    """Heuristic clause: conditions.users.includeUsers contains 'All'."""
    conditions = {"users": {"includeUsers": ["a"], "excludeUsers": []}}
    result = compute_kri(tmp_path, SLUG, users=USERS, ca_policies=[policy(conditions=conditions)])
    assert result.value == 2


def test_policy_with_excluded_users_does_not_qualify(tmp_path):
    """Heuristic clause: conditions.users.excludeUsers is empty."""
    conditions = {"users": {"includeUsers": ["All"], "excludeUsers": ["breakglass"]}}
    result = compute_kri(tmp_path, SLUG, users=USERS, ca_policies=[policy(conditions=conditions)])
    assert result.value == 2


def test_policy_without_mfa_control_does_not_qualify(tmp_path):
    """Heuristic clause: grantControls.builtInControls contains 'mfa'."""
    grant = {"operator": "OR", "builtInControls": ["compliantDevice"]}
    result = compute_kri(tmp_path, SLUG, users=USERS, ca_policies=[policy(grantControls=grant)])
    assert result.value == 2


def test_policy_with_null_grant_controls_does_not_qualify(tmp_path):
    """Heuristic clause on builtInControls; Graph sends grantControls: null (block/session)."""
    result = compute_kri(tmp_path, SLUG, users=USERS, ca_policies=[policy(grantControls=None)])
    assert result.value == 2


def test_one_qualifying_policy_among_others_is_enough(tmp_path):
    """Heuristic: "at least one" policy."""
    policies = [policy(id="off", state="disabled"), policy(id="on")]
    assert compute_kri(tmp_path, SLUG, users=USERS, ca_policies=policies).value == 0


def test_policies_refused_gives_max_gap(tmp_path):
    """fail-safe: /identity/conditionalAccess/policies refused -> count(enabled_members)."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=USERS,
        ca_policies=[policy()],
        refused={"conditional_access_policies": 403},
    )
    assert result.value == 2
    assert result.degraded is True
    (warning,) = result.warnings
    assert "/identity/conditionalAccess/policies" in warning
    assert "HTTP 403" in warning
