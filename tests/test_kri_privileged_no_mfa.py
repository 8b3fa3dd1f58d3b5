"""entra_privileged_no_mfa_count: docs/kri.md, "Definitions" and "privileged users"."""

from tests.snapshot_builder import compute_kri, group_member, registered, role_member, user

SLUG = "entra_privileged_no_mfa_count"
SP = "#microsoft.graph.servicePrincipal"
GROUP = "#microsoft.graph.group"


def test_unregistered_direct_member_counts(tmp_path):
    """A user who is a direct member of an activated role and is not registered counts."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[user("a"), user("b")],
        registration=[registered("b")],
        role_members=[role_member("r1", "a"), role_member("r1", "b")],
    )
    assert result.value == 1


def test_deduplicated_across_roles(tmp_path):
    """privileged users: "Deduplicate across roles and paths": two roles, one user."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[user("a")],
        role_members=[role_member("r1", "a"), role_member("r2", "a")],
    )
    assert result.value == 1


def test_deduplicated_across_paths(tmp_path):
    """privileged users: one user both direct and through a group counts once."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[user("a")],
        role_members=[role_member("r1", "a"), role_member("r1", "g1", GROUP)],
        group_members=[group_member("g1", "a")],
    )
    assert result.value == 1


def test_user_via_role_assignable_group_counts(tmp_path):
    """privileged users: "transitively through a group that is itself a member of a role"."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[user("a"), user("nested")],
        role_members=[role_member("r1", "g1", GROUP)],
        group_members=[
            group_member("g1", "a"),
            group_member("g1", "g2", GROUP),
            group_member("g1", "nested"),
        ],
    )
    assert result.value == 2


def test_group_members_of_groups_not_in_a_role_do_not_count(tmp_path):
    """privileged users: only groups that are role members make their members privileged."""
    result = compute_kri(
        tmp_path, SLUG, users=[user("a")], group_members=[group_member("unrelated", "a")]
    )
    assert result.value == 0


def test_service_principal_not_counted(tmp_path):
    """privileged users: "Service principals in roles are not users: they are not counted"."""
    result = compute_kri(
        tmp_path,
        SLUG,
        role_members=[role_member("r1", "sp1", SP), role_member("r1", "g1", GROUP)],
        group_members=[group_member("g1", "sp2", SP)],
    )
    assert result.value == 0


def test_disabled_privileged_unregistered_counts(tmp_path):
    """Definitions: "a disabled privileged account counts" (Graph gives it no registration row)."""
    result = compute_kri(
        tmp_path, SLUG, users=[user("a", enabled=False)], role_members=[role_member("r1", "a")]
    )
    assert result.value == 1


def test_guest_privileged_unregistered_counts(tmp_path):
    """Definitions: "enabled or not, member or guest"."""
    result = compute_kri(
        tmp_path, SLUG, users=[user("g", user_type="Guest")], role_members=[role_member("r1", "g")]
    )
    assert result.value == 1


def test_null_is_mfa_registered_counts_as_unregistered(tmp_path):
    """registered(u): a null isMfaRegistered is not registered."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[user("a")],
        registration=[registered("a", None)],
        role_members=[role_member("r1", "a")],
    )
    assert result.value == 1


def test_registration_refused_counts_every_privileged_user(tmp_path):
    """fail-safe: userRegistrationDetails refused -> every user not registered, degraded."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[user("a"), user("b")],
        registration=[registered("a"), registered("b")],
        role_members=[role_member("r1", "a"), role_member("r2", "b")],
        refused={"user_registration_details": 404},
    )
    assert result.value == 2
    assert result.degraded is True
    (warning,) = result.warnings
    assert "HTTP 404" in warning
    assert "Request_ResourceNotFound" in warning
