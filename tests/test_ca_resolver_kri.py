"""entra_ca_coverage_gaps_exact: the value, and every fail-safe (docs/ca-resolver.md, "Value").

The per-(user, policy) rules are in test_ca_resolver_rules.py; here, what the
KRI makes of them: who is counted, and what happens when Graph refused
something the policies need, or the snapshot predates the reads.
"""

from __future__ import annotations

import json

import pytest

from entra_kri.errors import SnapshotError
from entra_kri.snapshot.validate import open_snapshot
from tests.ca_policies import BUILT_IN_STRENGTHS, ca_policy, grant, strength
from tests.snapshot_builder import build_snapshot, compute_kri, user

SLUG = "entra_ca_coverage_gaps_exact"
MEMBERS = [user("a"), user("b"), user("c")]
NOT_MEMBERS = [user("guest", user_type="Guest"), user("off", enabled=False)]


def ca_member(group_id, member_id, name="Break-glass"):
    return {"@odata.type": "#microsoft.graph.user", "id": member_id, "displayName": member_id,
            "_groupId": group_id, "_groupDisplayName": name}


def kri(tmp_path, **snapshot):
    snapshot.setdefault("users", [*MEMBERS, *NOT_MEMBERS])
    snapshot.setdefault("authentication_strengths", BUILT_IN_STRENGTHS)
    return compute_kri(tmp_path, SLUG, **snapshot)


def test_counts_enabled_members_no_enabled_policy_covers(tmp_path):
    """Value: enabled members (docs/kri.md) for whom no enabled policy guarantees MFA."""
    policies = [ca_policy("p", users={"includeUsers": ["a"]})]
    result = kri(tmp_path, ca_policies=policies)
    assert (result.value, result.degraded, result.warnings) == (2, False, ())
    assert result.status == "breach"  # breach at >= 1


def test_one_covering_policy_per_user_is_enough(tmp_path):
    policies = [ca_policy("pa", users={"includeUsers": ["a"]}),
                ca_policy("pbc", users={"includeUsers": ["b", "c"]})]
    result = kri(tmp_path, ca_policies=policies)
    assert (result.value, result.status) == (0, "ok")


def test_no_policy_leaves_every_enabled_member_uncovered(tmp_path):
    assert kri(tmp_path).value == 3


def test_report_only_and_disabled_never_cover(tmp_path):
    """Value: "no policy with state = 'enabled'"."""
    policies = [ca_policy("r", state="enabledForReportingButNotEnforced"),
                ca_policy("d", state="disabled")]
    assert kri(tmp_path, ca_policies=policies).value == 3


def test_policies_refused_is_every_enabled_member_degraded(tmp_path):
    """Value: "If the policies collection was refused: value = count(enabled members)"."""
    result = kri(tmp_path, ca_policies=[ca_policy("p")],
                 refused={"conditional_access_policies": 403})
    assert (result.value, result.degraded) == (3, True)
    (warning,) = result.warnings
    assert "/identity/conditionalAccess/policies" in warning and "HTTP 403" in warning


def test_refused_exclude_group_excludes_everyone_and_degrades(tmp_path):
    """Fail-safe: a group that could not be read; "an unclear exclusion excludes"."""
    policies = [ca_policy("p", name="MFA for all", users={"excludeGroups": ["g-glass"]})]
    result = kri(tmp_path, ca_policies=policies, refused_groups={"g-glass": 403})
    assert (result.value, result.degraded) == (3, True)
    (warning,) = result.warnings
    assert warning.startswith("Conditional Access policy 'MFA for all' names group g-glass")
    assert "HTTP 403, Authorization_RequestDenied" in warning
    assert "covers no one that group decides" in warning


def test_refused_include_group_includes_no_one_through_it(tmp_path):
    """Fail-safe: "an unclear inclusion does not include"; users listed otherwise are fine."""
    policies = [ca_policy("p", users={"includeUsers": ["a"], "includeGroups": ["g-staff"]})]
    result = kri(tmp_path, ca_policies=policies, refused_groups={"g-staff": 404})
    assert (result.value, result.degraded) == (2, True)
    assert "HTTP 404, Request_ResourceNotFound" in result.warnings[0]


def test_readable_group_beside_a_refused_one(tmp_path):
    policies = [ca_policy("p", users={"includeUsers": [], "includeGroups": ["g-ok", "g-no"]})]
    result = kri(tmp_path, ca_policies=policies, refused_groups={"g-no": 403},
                 ca_group_members=[ca_member("g-ok", "a"), ca_member("g-ok", "b")])
    assert (result.value, result.degraded) == (1, True)


def test_refused_group_of_a_report_only_policy_does_not_degrade(tmp_path):
    """Only policies that could cover matter: report-only never does."""
    policies = [ca_policy("p"), ca_policy("r", state="enabledForReportingButNotEnforced",
                                          users={"excludeGroups": ["g-glass"]})]
    result = kri(tmp_path, ca_policies=policies, refused_groups={"g-glass": 403})
    assert (result.value, result.degraded) == (0, False)


def test_refused_strengths_read_fails_a_strength_known_only_by_id(tmp_path):
    """Fail-safe: an authentication strength that could not be read."""
    policies = [ca_policy("p", name="Strong", grant_controls=grant(
        [], strength=strength("s1", "Custom strong", None)))]
    result = kri(tmp_path, ca_policies=policies,
                 refused={"authentication_strength_policies": 403})
    assert (result.value, result.degraded) == (3, True)
    (warning,) = result.warnings
    assert "'Strong' requires authentication strength Custom strong (s1)" in warning
    assert "GET /policies/authenticationStrengthPolicies was refused (HTTP 403" in warning


def test_refused_strengths_read_does_not_matter_when_combinations_are_inline(tmp_path):
    policies = [ca_policy("p", grant_controls=grant([], strength=BUILT_IN_STRENGTHS[1]))]
    result = kri(tmp_path, ca_policies=policies,
                 refused={"authentication_strength_policies": 403})
    assert (result.value, result.degraded) == (0, False)


def test_heuristic_and_exact_disagree_on_an_excluded_group(tmp_path):
    """The peers' mistake: ignoring excluded groups. The heuristic stays as it was."""
    snapshot = {"users": MEMBERS, "ca_policies": [ca_policy(
        "p", users={"excludeGroups": ["g-ex"]})],
        "ca_group_members": [ca_member("g-ex", "a"), ca_member("g-ex", "b")]}
    assert compute_kri(tmp_path / "h", "entra_ca_coverage_gaps", **snapshot).value == 0
    assert compute_kri(tmp_path / "e", SLUG, **snapshot).value == 2


def test_policies_refused_skips_the_reference_reads(tmp_path):
    """Capture records the two reads as skipped; the snapshot verifies."""
    path = build_snapshot(tmp_path, users=MEMBERS, refused={"conditional_access_policies": 403})
    entries = {c.name: c for c in open_snapshot(path).manifest.collections}
    assert entries["ca_group_members"].outcome == "skipped"
    assert entries["authentication_strength_policies"].outcome == "skipped"


# -- snapshots taken before these collections existed --------------------------------------

OLD = ("ca_group_members", "authentication_strength_policies")


def test_an_older_snapshot_still_verifies_and_resolves(tmp_path):
    result = kri(tmp_path, without=OLD, ca_policies=[ca_policy("p")])
    assert (result.value, result.degraded) == (0, False)


def test_an_older_snapshot_cannot_read_groups_so_degrades(tmp_path):
    result = kri(tmp_path, without=OLD,
                 ca_policies=[ca_policy("p", users={"excludeGroups": ["g-glass"]})])
    assert (result.value, result.degraded) == (3, True)
    assert "the snapshot predates ca_group_members" in result.warnings[0]


def test_an_older_snapshot_cannot_look_up_strengths(tmp_path):
    policies = [ca_policy("p", grant_controls=grant([], strength={"id": "s1"}))]
    result = kri(tmp_path, without=OLD, ca_policies=policies)
    assert (result.value, result.degraded) == (3, True)
    assert "predates the authentication_strength_policies collection" in result.warnings[0]


def test_new_collection_files_are_verified_when_listed(tmp_path):
    path = build_snapshot(tmp_path, users=MEMBERS, ca_group_members=[ca_member("g", "a")])
    target = path / "ca_group_members.ndjson.gz"
    data = bytearray(target.read_bytes())
    data[-5] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match=r"ca_group_members\.ndjson\.gz.*SHA-256"):
        open_snapshot(path)


@pytest.mark.parametrize("outcome", ["skipped", "forbidden"])
def test_skipped_is_tolerated_only_for_the_new_collections(tmp_path, outcome):
    path = build_snapshot(tmp_path, users=MEMBERS)
    manifest = json.loads((path / "manifest.json").read_text())
    for entry in manifest["collections"]:
        if entry["name"] in ("authentication_strength_policies", "directory_roles"):
            entry["outcome"] = outcome
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match="'directory_roles' with the outcome"):
        open_snapshot(path)


# -- fail-closed: what the resolver cannot identify covers no one, and says so ------------

def test_a_policy_without_id_covers_no_one_and_degrades(tmp_path):
    """Value: "A policy missing its id ... covers nothing and degrades the KRI with a
    warning that names it"; before, it vanished without a word."""
    nameless = ca_policy("p", name="MFA for all, id lost")
    del nameless["id"]
    result = kri(tmp_path, ca_policies=[nameless])
    assert (result.value, result.degraded) == (3, True)
    (warning,) = result.warnings
    assert warning.startswith("Conditional Access policy 'MFA for all, id lost' has no id")


@pytest.mark.parametrize(("controls", "operator", "combinations"), [
    ([], "OR", ["password"]), (["compliantDevice"], "AND", ["sms"]), ([], "OR", None)])
def test_an_unidentifiable_strength_degrades_with_a_warning_naming_the_policy(
        tmp_path, controls, operator, combinations):
    """Value: a strength with neither id nor displayName covers nothing, with a warning."""
    policies = [ca_policy("p", name="Strong?", grant_controls=grant(
        controls, operator=operator, strength={"allowedCombinations": combinations}))]
    result = kri(tmp_path, ca_policies=policies)
    assert (result.value, result.degraded) == (3, True)
    (warning,) = result.warnings
    assert warning.startswith("Conditional Access policy 'Strong?' requires an authentication "
                              "strength with neither id nor displayName")
    assert None not in result.warnings


def test_a_group_id_keeps_its_spelling_in_warnings(tmp_path):
    """A group id `All` is not the keyword all: shown as sent, not lower-cased."""
    policies = [ca_policy("p", name="Odd", users={"excludeGroups": ["All"]})]
    result = kri(tmp_path, ca_policies=policies, refused_groups={"All": 404})
    (warning,) = result.warnings
    assert "names group All in excludeGroups" in warning
