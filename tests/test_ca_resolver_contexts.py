"""Coverage over sign-in contexts (docs/ca-resolver.md, "The rule"): the rule table.

Every case is one user and the policies that include them (each case's policies name
only its own user, so the cases share one snapshot): covered or not, the uncovered
contexts `explain` shows, and the report-only policies that would close the gap. Each
case is also put to the independent brute-force oracle (fake_graph/ca_oracle.py),
which enumerates every context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from entra_kri.analysis.explain import explain

from fake_graph.ca_oracle import Directory, is_covered
from tests.ca_policies import BUILT_IN_STRENGTHS, ca_policy, grant
from tests.snapshot_builder import build_snapshot, user

Json = dict[str, Any]
SLUG = "entra_ca_coverage_gaps_exact"
REPORT_ONLY = "enabledForReportingButNotEnforced"
LEGACY = ["exchangeActiveSync", "other"]
MODERN = ["browser", "mobileAppsAndDesktopClients"]
BLOCK = grant(["block"])
OFFICE = "loc-office"  # an IP range marked trusted
CAFE = "loc-cafe"  # an IP range not trusted
COUNTRIES = "loc-countries"  # a country location: never trusted
NAMED_LOCATIONS = [
    {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": OFFICE, "displayName": "Office",
     "isTrusted": True, "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange",
                                      "cidrAddress": "203.0.113.0/24"}]},
    {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": CAFE, "displayName": "Cafe",
     "isTrusted": False, "ipRanges": []},
    {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": COUNTRIES,
     "displayName": "Countries", "countriesAndRegions": ["KP"],
     "includeUnknownCountriesAndRegions": False},
]


def client_apps(kinds: list[str], **policy: Any) -> Json:
    return {**policy, "conditions": {**policy.get("conditions", {}), "clientAppTypes": kinds}}


def locations(include: list[str], exclude: list[str] | None = None, **policy: Any) -> Json:
    return {**policy, "conditions": {**policy.get("conditions", {}), "locations": {
        "includeLocations": include, "excludeLocations": exclude or []}}}


def platforms(include: list[str], exclude: list[str] | None = None, **policy: Any) -> Json:
    return {**policy, "conditions": {**policy.get("conditions", {}), "platforms": {
        "includePlatforms": include, "excludePlatforms": exclude or []}}}


def risk(setting: str, levels: list[str], **policy: Any) -> Json:
    return {**policy, "conditions": {**policy.get("conditions", {}), setting: levels}}


def apps(include: list[str], exclude: list[str] | None = None, **policy: Any) -> Json:
    return {**policy, "applications": {"includeApplications": include,
                                       "excludeApplications": exclude or []}}


def excluded(**policy: Any) -> Json:
    """The policy excludes the case's user (excludeUsers)."""
    return {**policy, "exclude_me": True}


@dataclass(frozen=True)
class Case:
    """One user and their policies; `rule` quotes docs/ca-resolver.md."""

    name: str
    rule: str
    covered: bool
    policies: list[Json]
    uncovered: list[str] = field(default_factory=list)  # substrings of explain's lines
    if_enforced: list[str] | None = None  # covered_if_enforced, by policy number

    @property
    def user_id(self) -> str:
        return f"u-{self.name}"


CASES = [
    # -- each dimension alone -----------------------------------------------------------------
    Case("one_policy_everywhere", "a policy with no condition applies to every context", True,
         [{}]),
    Case("client_app_alone", "client app type", False, [client_apps(["browser"])],
         ["client app mobileAppsAndDesktopClients or exchangeActiveSync or other"]),
    Case("platform_alone", "device platform", False, [platforms(["iOS"])],
         ["platform android or windows or macOS or linux or windowsPhone or other platform"]),
    Case("location_alone", "location", False, [locations([OFFICE])],
         ["location Cafe or Countries or other location"]),
    Case("user_risk_alone", "user risk", False, [risk("userRiskLevels", ["high"])],
         ["user risk none or low or medium; any sign-in risk"]),
    Case("sign_in_risk_alone", "sign-in risk", False, [risk("signInRiskLevels", ["high"])],
         ["any user risk; sign-in risk none or low or medium"]),
    Case("flow_alone", "authentication flow", False,
         [{"conditions": {"authenticationFlows": {"transferMethods": "deviceCodeFlow"}}}],
         ["flow authenticationTransfer or other flow"]),
    Case("app_alone", "application", False, [apps(["Office365"])], ["app "]),
    Case("device_filter_alone", "a device filter cannot be decided: applies to no context",
         False, [{"conditions": {"devices": {"deviceFilter": {
             "mode": "exclude", "rule": 'device.trustType -eq "ServerAD"'}}}}],
         ["any client app; any platform; any location; any risk"]),
    # -- pairs that combine -----------------------------------------------------------------------
    Case("client_apps_split", "MFA for browser and mobile/desktop + block legacy covers", True,
         [client_apps(MODERN), client_apps(LEGACY, grant_controls=BLOCK)]),
    Case("platforms_split", "MFA on iOS and android + MFA on all others covers", True,
         [platforms(["iOS", "android"]), platforms(["all"], ["iOS", "android"])]),
    Case("apps_split", "MFA for all apps except X + MFA for X with a stronger strength", True,
         [apps(["All"], ["Office365"]),
          apps(["Office365"], grant_controls=grant([], strength=BUILT_IN_STRENGTHS[1]))]),
    Case("location_split", "MFA everywhere except named location X + block at X covers", True,
         [locations(["All"], [CAFE]), locations([CAFE], grant_controls=BLOCK)]),
    Case("sign_in_risk_split", "sign-in risk high, medium + low, none covers", True,
         [risk("signInRiskLevels", ["high", "medium"]),
          risk("signInRiskLevels", ["low", "none"])]),
    Case("user_risk_split", "user risk split over two policies covers", True,
         [risk("userRiskLevels", ["high"]), risk("userRiskLevels", ["none", "low", "medium"])]),
    Case("three_dimensions", "each policy narrow in a different dimension, together all", True,
         [client_apps(LEGACY, grant_controls=BLOCK), platforms(["all"], ["linux"]),
          platforms(["linux"], **client_apps(MODERN))]),
    # -- what stays open --------------------------------------------------------------------------
    Case("block_only_exchange", "blocking only exchangeActiveSync leaves other open", False,
         [client_apps(MODERN), client_apps(["exchangeActiveSync"], grant_controls=BLOCK)],
         ["client app other;"]),
    Case("sign_in_risk_without_none", "high, medium, low alone leaves none open", False,
         [risk("signInRiskLevels", ["high", "medium", "low"])], ["sign-in risk none"]),
    Case("all_trusted_split",
         "MFA outside AllTrusted + block at the trusted named locations leaves other location",
         False, [locations(["All"], ["AllTrusted"]), locations([OFFICE], grant_controls=BLOCK)],
         ["location other location"]),
    Case("country_is_not_trusted", "a country location is never trusted: AllTrusted excludes "
         "only what is or may be trusted", False,
         [locations(["All"], ["AllTrusted"]), locations([COUNTRIES], grant_controls=grant(
             ["compliantDevice"]))], ["location Office or other location;"]),
    Case("grant_not_mfa_does_not_cover", "rule 5: a grant that does not require MFA covers no "
         "context", False, [client_apps(MODERN), client_apps(LEGACY, grant_controls=grant(
             ["compliantDevice"]))], ["client app exchangeActiveSync or other"]),
    # -- exclusions that reopen a context --------------------------------------------------------
    Case("excluded_from_legacy_block", "a policy excluding the user reopens what it alone covered",
         False, [client_apps(MODERN), excluded(**client_apps(LEGACY, grant_controls=BLOCK))],
         ["client app exchangeActiveSync or other"]),
    Case("excluded_from_low_risk", "... in any dimension", False,
         [risk("signInRiskLevels", ["high", "medium"]),
          excluded(**risk("signInRiskLevels", ["low", "none"]))],
         ["sign-in risk none or low"]),
    Case("excluded_but_overlapped", "an exclusion reopens nothing another policy covers", True,
         [{}, excluded(**client_apps(LEGACY, grant_controls=BLOCK))]),
    # -- report-only policies that would close the gap ------------------------------------------
    Case("report_only_closes", "report-only never covers, but is named if it would", False,
         [client_apps(MODERN), client_apps(LEGACY, grant_controls=BLOCK, state=REPORT_ONLY)],
         ["client app exchangeActiveSync or other"], if_enforced=[1]),
    Case("report_only_closes_part", "one that would close only part is not named", False,
         [client_apps(MODERN), client_apps(["other"], grant_controls=BLOCK, state=REPORT_ONLY)],
         ["client app exchangeActiveSync or other"], if_enforced=[]),
    Case("disabled_never_named", "a disabled policy is not named", False,
         [client_apps(MODERN), client_apps(LEGACY, grant_controls=BLOCK, state="disabled")],
         ["client app exchangeActiveSync or other"], if_enforced=[]),
]


def _policies(case: Case) -> list[Json]:
    made = []
    for number, spec in enumerate(case.policies):
        spec = dict(spec)
        exclude_me = spec.pop("exclude_me", False)
        users = {"includeUsers": [case.user_id],
                 "excludeUsers": [case.user_id] if exclude_me else []}
        made.append(ca_policy(f"p-{case.name}-{number}", name=f"{case.name} {number}",
                              users=users, **spec))
    return made


def _snapshot(root: Path, cases: list[Case]) -> Path:
    return build_snapshot(
        root, users=[user(c.user_id) for c in cases],
        ca_policies=[p for c in cases for p in _policies(c)],
        authentication_strengths=BUILT_IN_STRENGTHS, named_locations=NAMED_LOCATIONS)


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Json]:
    (explanation,) = explain(_snapshot(tmp_path_factory.mktemp("ca-contexts"), CASES), [SLUG])
    assert explanation.kri.value == len(explanation.rows)
    return {r["id"]: r for r in explanation.rows}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_context_rule(case: Case, rows: dict[str, Json]) -> None:
    row = rows.get(case.user_id)
    assert (row is None) is case.covered, (case.rule, row)
    if row is None:
        return
    for part in case.uncovered:
        assert any(part in line for line in row["uncovered"]), (part, row["uncovered"])
    if case.if_enforced is not None:
        assert row["covered_if_enforced"] == [f"{case.name} {n}" for n in case.if_enforced]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_brute_force_oracle_agrees(case: Case) -> None:
    directory = Directory(readable_groups={}, roles_by_user={}, strengths={},
                          strengths_readable=True,
                          location_trust={OFFICE: True, CAFE: False, COUNTRIES: False})
    everyone = [p for c in CASES for p in _policies(c)]
    assert is_covered(user(case.user_id), everyone, directory) is case.covered


def test_other_location_open_beside_all_trusted_says_why(rows: dict[str, Json]) -> None:
    """MFA trusted IPs (legacy MFA settings) are not readable through Graph."""
    reason = rows["u-all_trusted_split"]["reason"]
    assert "MFA trusted IPs (legacy MFA settings) are not readable through Graph" in reason


def test_a_location_named_like_other_location_adds_no_trusted_ips_note(tmp_path: Path) -> None:
    """explain's reason: the trusted-IPs note is for the context 'other location' left
    open, not for a named location whose display name holds those words."""
    branch = {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": "loc-branch",
              "displayName": "Branch other location", "isTrusted": False, "ipRanges": []}
    policies = [ca_policy("outside", **locations(["All"], ["AllTrusted"],
                                                 conditions={"clientAppTypes": ["browser"]})),
                ca_policy("rest", **locations(["All"], ["loc-branch"]))]
    (explanation,) = explain(build_snapshot(tmp_path, users=[user("a")], ca_policies=policies,
                                            named_locations=[branch]), [SLUG])
    (row,) = explanation.rows
    assert row["uncovered"] == ["client app mobileAppsAndDesktopClients or exchangeActiveSync "
                                "or other; any platform; location Branch other location; "
                                "any risk"]
    assert row["reason"] == "no enabled policy requires MFA or blocks in every sign-in context"


def test_candidates_say_where_an_enabled_policy_applies(rows: dict[str, Json]) -> None:
    row = rows["u-block_only_exchange"]
    assert row["policies"] == [
        "'block_only_exchange 0': applies only to client app browser or "
        "mobileAppsAndDesktopClients",
        "'block_only_exchange 1': applies only to client app exchangeActiveSync",
    ]


def test_an_uncovered_group_reads_in_one_line(rows: dict[str, Json]) -> None:
    """explain: "one line per maximal group", short enough for a 120-column terminal."""
    (line,) = rows["u-client_app_alone"]["uncovered"]
    assert line == ("client app mobileAppsAndDesktopClients or exchangeActiveSync or other; "
                    "any platform; any location; any risk")
    assert len(line) <= 120


# -- the baselines of published guidance, as their users meet them ----------------------------

def test_baseline_mfa_for_modern_clients_and_block_legacy_covers(tmp_path: Path) -> None:
    """'Require MFA for browser and mobile/desktop clients' + 'Block legacy authentication'."""
    policies = [ca_policy("mfa", name="Require MFA", conditions={"clientAppTypes": MODERN}),
                ca_policy("legacy", name="Block legacy authentication", grant_controls=BLOCK,
                          conditions={"clientAppTypes": LEGACY})]
    (explanation,) = explain(build_snapshot(tmp_path, users=[user("a"), user("b")],
                                            ca_policies=policies), [SLUG])
    assert (explanation.kri.value, explanation.kri.degraded) == (0, False)


def test_baseline_mfa_except_a_named_location_and_block_there_covers(tmp_path: Path) -> None:
    """'MFA everywhere except named location X' + 'block at X'."""
    policies = [ca_policy("mfa", conditions={"locations": {"includeLocations": ["All"],
                                                           "excludeLocations": [CAFE]}}),
                ca_policy("block", grant_controls=BLOCK, conditions={"locations": {
                    "includeLocations": [CAFE], "excludeLocations": []}})]
    (explanation,) = explain(build_snapshot(tmp_path, users=[user("a")], ca_policies=policies,
                                            named_locations=NAMED_LOCATIONS), [SLUG])
    assert (explanation.kri.value, explanation.kri.degraded) == (0, False)
