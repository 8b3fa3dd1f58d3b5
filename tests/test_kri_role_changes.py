"""entra_priv_role_changes_24h: docs/kri.md (now = captured_at 2026-11-27T11:06:44Z)."""

from tests.snapshot_builder import compute_kri

SLUG = "entra_priv_role_changes_24h"


def audit(audit_id, at, category="RoleManagement"):
    return {
        "id": audit_id,
        "activityDateTime": at,
        "category": category,
        "activityDisplayName": "Add member to role",
    }


def test_role_management_in_window_counts(tmp_path):
    """Definitions: category = 'RoleManagement' within [now - 24 hours, now]."""
    result = compute_kri(tmp_path, SLUG, directory_audits=[audit("a", "2026-11-27T09:00:00Z")])
    assert result.value == 1


def test_other_categories_not_counted(tmp_path):
    """Definitions: only category = 'RoleManagement'."""
    rows = [audit("a", "2026-11-27T09:00:00Z", "UserManagement")]
    assert compute_kri(tmp_path, SLUG, directory_audits=rows).value == 0


def test_window_bounds_inclusive(tmp_path):
    """Definitions: now - 24 hours <= activityDateTime <= now, both bounds included."""
    rows = [audit("lo", "2026-11-26T11:06:44Z"), audit("hi", "2026-11-27T11:06:44.0000000Z")]
    assert compute_kri(tmp_path, SLUG, directory_audits=rows).value == 2


def test_outside_window_not_counted(tmp_path):
    """Definitions: events before now - 24 hours or after now do not count."""
    rows = [audit("old", "2026-11-26T11:06:43Z"), audit("future", "2026-11-27T11:06:45Z")]
    assert compute_kri(tmp_path, SLUG, directory_audits=rows).value == 0


def test_directory_audits_refused_gives_zero_degraded(tmp_path):
    """fail-safe: /auditLogs/directoryAudits refused -> 0, degraded."""
    result = compute_kri(
        tmp_path,
        SLUG,
        directory_audits=[audit("a", "2026-11-27T09:00:00Z")],
        refused={"directory_audits": 403},
    )
    assert result.value == 0
    assert result.degraded is True
    (warning,) = result.warnings
    assert "/auditLogs/directoryAudits" in warning
    assert "HTTP 403" in warning
    assert "Authentication_RequestFromNonPremiumTenantOrB2CTenant" in warning
