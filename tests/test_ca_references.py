"""Capturing what Conditional Access policies reference (snapshotter/ca_references.py).

Against the local Graph fake: the groups named in any policy's include/exclude
lists (name and transitive members), the authentication strengths, each refusal
recorded and tolerated, and nothing read when the policies themselves were refused.
"""

from __future__ import annotations

import gzip
import json

from entra_kri.analysis.compute import compute_kris
from entra_kri.snapshotter.ca_references import referenced_group_ids

from fake_graph import FakeGraph, allow_loopback, expected_kris
from tests.conftest import NOW, capture, collection_entry, manifest_of

pytestmark = allow_loopback
SLUG = "entra_ca_coverage_gaps_exact"


def rows(snapshot, name):
    entry = collection_entry(snapshot, name)
    return [json.loads(line) for line in gzip.decompress(
        (snapshot / entry["file"]).read_bytes()).splitlines()]


def group_named(tenant, name):
    return next(g for g, obj in tenant.groups.items() if obj["displayName"] == name)


def exact(snapshot):
    return next(k for k in compute_kris(snapshot, kris=[SLUG]).kris)


def test_referenced_group_ids_come_from_every_policy_once():
    policies = [
        {"conditions": {"users": {"includeGroups": ["b", "a"], "excludeGroups": ["c"]}}},
        {"conditions": {"users": {"includeGroups": None, "excludeGroups": ["a", ""]}}},
        {"conditions": None},
        {"conditions": {"users": None}},
    ]
    assert referenced_group_ids(policies) == ["a", "b", "c"]


def test_groups_and_strengths_are_captured_with_context(fake, demo_tenant, tmp_path):
    snapshot = capture(fake, demo_tenant, tmp_path)
    entry = collection_entry(snapshot, "ca_group_members")
    reads = {g["display_name"]: g for g in entry["groups"]}
    assert set(reads) == {"Break-glass accounts", "MFA Exemptions", "Contractors"}
    assert {g["outcome"] for g in reads.values()} == {"ok"}
    assert reads["MFA Exemptions"]["items"] == 11  # 10 users and the nested Contractors group
    members = rows(snapshot, "ca_group_members")
    assert {m["_groupDisplayName"] for m in members} == set(reads)
    assert len(members) == entry["items"] == sum(g["items"] for g in reads.values())
    strengths = rows(snapshot, "authentication_strength_policies")
    assert [s["displayName"] for s in strengths] == [
        "Multifactor authentication", "Passwordless MFA", "Phishing-resistant MFA"]
    asked = [r for r in fake.requests if r.path.startswith("/v1.0/groups/")]
    assert {r.method for r in asked} == {"GET"}
    names = [r for r in asked if not r.path.endswith("/transitiveMembers")]
    assert {r.query["$select"] for r in names} == {"id,displayName"}
    assert all(r.query["$top"] == "999" for r in asked if r.path.endswith("/transitiveMembers"))


def test_named_locations_are_captured_with_their_trust(fake, demo_tenant, tmp_path):
    """isTrusted decides AllTrusted (docs/ca-resolver.md, "Locations")."""
    snapshot = capture(fake, demo_tenant, tmp_path)
    locations = {n["displayName"]: n for n in rows(snapshot, "named_locations")}
    assert set(locations) == {"Head office", "Guest Wi-Fi", "Sanctioned countries"}
    assert locations["Head office"]["isTrusted"] is True
    assert "isTrusted" not in locations["Sanctioned countries"]
    assert collection_entry(snapshot, "named_locations")["outcome"] == "ok"


def test_a_refused_named_locations_read_is_recorded_and_tolerated(fake, demo_tenant, tmp_path):
    fake.refuse("/identity/conditionalAccess/namedLocations", 403, "Authorization_RequestDenied")
    snapshot = capture(fake, demo_tenant, tmp_path)
    entry = collection_entry(snapshot, "named_locations")
    assert (entry["outcome"], entry["http_status"]) == ("forbidden", 403)
    # No demo policy names a location: nothing depends on the read.
    result = exact(snapshot)
    assert (result.value, result.degraded) == (12, False)


def test_a_refused_group_is_recorded_and_tolerated(fake, demo_tenant, tmp_path):
    """ca-resolver.md: a group that could not be read; the KRI is degraded with a warning."""
    glass = group_named(demo_tenant, "Break-glass accounts")
    fake.refuse(f"/groups/{glass}", 403, "Authorization_RequestDenied")
    snapshot = capture(fake, demo_tenant, tmp_path)
    reads = {g["id"]: g for g in collection_entry(snapshot, "ca_group_members")["groups"]}
    assert reads[glass]["outcome"] == "forbidden"
    assert reads[glass]["error"]["code"] == "Authorization_RequestDenied"
    assert manifest_of(snapshot)["warnings"] == []  # worded once, in the KRI's warnings
    result = exact(snapshot)
    assert result.degraded
    # The two enabled policies that exclude the group now exclude everyone; the other
    # members stay covered by "Require MFA for all users", which does not name it.
    assert result.value == expected_kris(demo_tenant, NOW)[SLUG]
    assert any(f"'Require MFA for admins' names group {glass} in excludeGroups, but its "
               "members could not be read (HTTP 403" in w for w in result.warnings)


def test_a_missing_group_is_recorded_as_not_found(fake, demo_tenant, tmp_path):
    exemptions = group_named(demo_tenant, "MFA Exemptions")
    del demo_tenant.groups[exemptions]  # Graph answers 404 for a deleted group
    snapshot = capture(fake, demo_tenant, tmp_path)
    reads = {g["id"]: g for g in collection_entry(snapshot, "ca_group_members")["groups"]}
    assert (reads[exemptions]["outcome"], reads[exemptions]["http_status"]) == ("not_found", 404)
    result = exact(snapshot)
    warnings = [w for w in result.warnings if exemptions in w]
    assert warnings and not [w for w in warnings if ".." in w]  # Graph's message ends with "."
    # "Require MFA for all users" and the phishing-resistant policy exclude it: unclear
    # exclusion excludes everyone, so only the admins and guests policies still cover.
    assert result.degraded and result.value == expected_kris(demo_tenant, NOW)[SLUG]


def test_a_refused_strength_read_is_recorded_and_tolerated(fake, demo_tenant, tmp_path):
    fake.refuse("/policies/authenticationStrengthPolicies", 403, "Authorization_RequestDenied")
    snapshot = capture(fake, demo_tenant, tmp_path)
    entry = collection_entry(snapshot, "authentication_strength_policies")
    assert (entry["outcome"], entry["http_status"]) == ("forbidden", 403)
    # The demo's strength arrives inline with the policy: nothing depends on the read.
    result = exact(snapshot)
    assert (result.value, result.degraded) == (12, False)


def test_policies_refused_skips_both_reads(demo_tenant, tmp_path):
    demo_tenant.licence = "free"
    with FakeGraph(demo_tenant) as fake:
        snapshot = capture(fake, demo_tenant, tmp_path)
        asked = [r.path for r in fake.requests]
    for name in ("ca_group_members", "authentication_strength_policies", "named_locations"):
        entry = collection_entry(snapshot, name)
        assert (entry["outcome"], entry["items"]) == ("skipped", 0)
        assert entry["skipped_because"].startswith("GET /identity/conditionalAccess/policies")
    ca_groups = {g.lower() for g in demo_tenant.groups} - {
        g.lower() for g in demo_tenant.group_transitive_members if "Tier0" in str(
            demo_tenant.groups.get(g, {}).get("displayName"))}
    assert not any(p.startswith("/v1.0/policies/") for p in asked)
    assert not any(g in p.lower() for p in asked for g in ca_groups)
    result = exact(snapshot)
    assert (result.value, result.degraded) == (expected_kris(demo_tenant, NOW)[SLUG], True)
