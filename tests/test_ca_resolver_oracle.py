"""The SQL resolver and the brute-force oracle agree on generated policy sets.

fake_graph/ca_oracle.py enumerates every sign-in context for every user; the SQL
groups values into classes and users into sets of applicable policies. A seeded
generator draws policy sets mixing every dimension, exclusions, include-All and
listed users, report-only and disabled states, trusted, untrusted and unknown
locations, and grants that do or do not require MFA; for each, both must name the
same uncovered users, and the same users a report-only policy would cover.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from entra_kri.analysis.explain import explain

from fake_graph.ca_oracle import Directory, is_covered
from tests.ca_policies import BUILT_IN_STRENGTHS, ca_policy, grant
from tests.snapshot_builder import build_snapshot, user

Json = dict[str, Any]
SLUG = "entra_ca_coverage_gaps_exact"
SEEDS = range(12)
USERS = [f"u{i}" for i in range(6)]
LOCATIONS = {"loc-trusted": True, "loc-untrusted": False, "loc-country": False,
             "loc-unread": None}
NAMED_LOCATIONS = [
    {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": "loc-trusted",
     "displayName": "Trusted", "isTrusted": True},
    {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": "loc-untrusted",
     "displayName": "Untrusted", "isTrusted": False},
    {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": "loc-country",
     "displayName": "Country", "countriesAndRegions": ["KP"]},
]
# What the oracle knows of the directory: no groups or roles, every strength readable,
# the trust of the named locations read (loc-unread is not among them).
DIRECTORY = Directory(readable_groups={}, roles_by_user={}, strengths={},
                      strengths_readable=True,
                      location_trust={k: v for k, v in LOCATIONS.items() if v is not None})
GRANTS = [grant(["mfa"]), grant(["block"]), grant(["compliantDevice"]),
          grant(["mfa", "compliantDevice"]), grant(["mfa", "compliantDevice"], operator="AND"),
          grant([], strength=BUILT_IN_STRENGTHS[0])]


def _some(rng: random.Random, pool: list[str], low: int = 1) -> list[str]:
    return rng.sample(pool, rng.randint(low, len(pool)))


def _conditions(rng: random.Random) -> Json:
    conditions: Json = {}
    if rng.random() < 0.4:
        conditions["clientAppTypes"] = _some(rng, ["browser", "mobileAppsAndDesktopClients",
                                                   "exchangeActiveSync", "other", "all"])
    if rng.random() < 0.3:
        platforms = ["iOS", "android", "windows", "macOS", "linux", "all"]
        conditions["platforms"] = {"includePlatforms": _some(rng, platforms),
                                   "excludePlatforms": _some(rng, platforms[:5], 0)[:2]}
    if rng.random() < 0.35:
        named = [*LOCATIONS, "All", "AllTrusted"]
        conditions["locations"] = {"includeLocations": _some(rng, named)[:2],
                                   "excludeLocations": _some(rng, named, 0)[:2]}
    for setting in ("userRiskLevels", "signInRiskLevels"):
        if rng.random() < 0.25:
            conditions[setting] = _some(rng, ["none", "low", "medium", "high"])
    if rng.random() < 0.15:
        conditions["authenticationFlows"] = {"transferMethods": ",".join(
            _some(rng, ["deviceCodeFlow", "authenticationTransfer"]))}
    if rng.random() < 0.05:
        conditions["devices"] = {"deviceFilter": {"mode": "include", "rule": "x"}}
    return conditions


def _policy(rng: random.Random, number: int) -> Json:
    included = ["All"] if rng.random() < 0.6 else _some(rng, USERS)[:3]
    applications: Json = {}
    if rng.random() < 0.3:
        applications = ({"includeApplications": ["All"],
                         "excludeApplications": _some(rng, ["Office365", "app-1"])[:1]}
                        if rng.random() < 0.5 else
                        {"includeApplications": _some(rng, ["Office365", "app-1", "app-2"])})
    state = rng.choices(["enabled", "enabledForReportingButNotEnforced", "disabled"],
                        [0.75, 0.2, 0.05])[0]
    return ca_policy(
        f"p{number}", state=state, applications=applications,
        users={"includeUsers": included,
               "excludeUsers": _some(rng, USERS, 0)[:1] if rng.random() < 0.4 else []},
        conditions=_conditions(rng), grant_controls=rng.choice(GRANTS))


SPLITS = [  # two halves of one dimension: together they cover it
    ({"clientAppTypes": ["browser", "mobileAppsAndDesktopClients"]},
     {"clientAppTypes": ["exchangeActiveSync", "other"]}),
    ({"signInRiskLevels": ["high", "medium"]}, {"signInRiskLevels": ["low", "none"]}),
    ({"platforms": {"includePlatforms": ["iOS", "android"], "excludePlatforms": []}},
     {"platforms": {"includePlatforms": ["all"], "excludePlatforms": ["iOS", "android"]}}),
    ({"locations": {"includeLocations": ["All"], "excludeLocations": ["loc-untrusted"]}},
     {"locations": {"includeLocations": ["loc-untrusted"], "excludeLocations": []}}),
    ({"locations": {"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}},
     {"locations": {"includeLocations": ["AllTrusted"], "excludeLocations": []}}),
]


def _split(rng: random.Random, number: int) -> list[Json]:
    """A pair that covers its users only together; either half may exclude a user."""
    halves = rng.choice(SPLITS)
    return [ca_policy(f"p{number + k}", conditions=half, grant_controls=rng.choice(GRANTS[:2]),
                      users={"excludeUsers": _some(rng, USERS, 0)[:1]})
            for k, half in enumerate(halves)]


def _policies(seed: int) -> list[Json]:
    rng = random.Random(seed)
    policies = [_policy(rng, n) for n in range(rng.randint(2, 5))]
    if rng.random() < 0.7:
        policies += _split(rng, len(policies))
    return policies


@pytest.mark.parametrize("seed", SEEDS)
def test_sql_and_oracle_agree_on_a_generated_policy_set(tmp_path: Path, seed: int) -> None:
    policies = _policies(seed)
    members = [user(u) for u in USERS]
    (explanation,) = explain(build_snapshot(
        tmp_path, users=members, ca_policies=policies,
        authentication_strengths=BUILT_IN_STRENGTHS, named_locations=NAMED_LOCATIONS), [SLUG])
    uncovered = {u["id"] for u in members if not is_covered(u, policies, DIRECTORY)}
    if_enforced = {u["id"] for u in members if u["id"] in uncovered and is_covered(
        u, policies, DIRECTORY, states=("enabled", "enabledForReportingButNotEnforced"))}
    rows = {r["id"]: r for r in explanation.rows}
    assert set(rows) == uncovered
    assert {u for u, r in rows.items() if r["covered_if_enforced"]} == if_enforced


def test_the_generator_draws_both_answers_and_combinations() -> None:
    """Covered and uncovered users, and users only a combination of policies covers."""
    answers, combined = set(), 0
    for seed in SEEDS:
        policies = _policies(seed)
        for u in map(user, USERS):
            covered = is_covered(u, policies, DIRECTORY)
            answers.add(covered)
            combined += covered and not any(is_covered(u, [p], DIRECTORY) for p in policies)
    assert answers == {True, False}
    assert combined >= 5
