"""The exact CA resolver, one rule per case (docs/ca-resolver.md, "A policy covers a user").

Every case is one user and one policy, with the groups, roles and strengths it
needs, all named after the case. All cases share one snapshot (the resolver
evaluates every (user, policy) pair on its own), so the table runs in one go;
each case checks its own pair: covered or not, and the first rule that failed
in the words `explain` shows. Every policy has the full shape Graph sends and is
checked against Microsoft's JSON Schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import pytest

from fake_graph import SCHEMA_DIR
from fake_graph.ca_oracle import Directory, covers
from tests.ca_policies import (
    BUILT_IN_STRENGTHS,
    ca_policy,
    evaluations,
    grant,
    guests,
    strength,
)
from tests.ca_policies import b2b_member as b2b
from tests.snapshot_builder import build_snapshot, role_member, user

Json = dict[str, Any]
SCHEMAS = SCHEMA_DIR
GROUP = "#microsoft.graph.group"


@dataclass(frozen=True)
class Case:
    """One (user, policy) pair: `rule` quotes the clause of docs/ca-resolver.md it checks."""

    name: str
    rule: str
    covers: bool
    reason: str | None = None  # the explain reason; a trailing "*" matches a prefix
    policy: Json = field(default_factory=dict)  # ca_policy keyword arguments
    user: Json | None = None  # default: an internal enabled member
    ca_groups: Json = field(default_factory=dict)  # group name -> member ids (transitive)
    roles: list[tuple[str, str, str]] = field(default_factory=list)  # (role, member, type)
    role_groups: Json = field(default_factory=dict)  # role-assignable group -> user ids
    strengths: list[Json] = field(default_factory=list)
    candidate: bool | None = None
    off_schema: bool = False  # uses a value Graph's enums do not have yet

    @property
    def user_id(self) -> str:
        return f"u-{self.name}"

    @property
    def policy_id(self) -> str:
        return f"p-{self.name}"


def gid(case: str, name: str) -> str:
    """A case's group id (the group's display name is `name`)."""
    return f"g-{case}-{name}"


def rid(case: str, role: str = "role") -> str:
    return f"r-{case}-{role}"


def template(case: str, role: str = "role") -> str:
    """snapshot_builder's role members carry _roleTemplateId = template-<role id>."""
    return f"template-{rid(case, role)}"


ME = "{me}"  # stands for the case's user id in policy lists
EXT = "b2bCollaborationMember"

CASES = [
    # -- rule 1: included -----------------------------------------------------------------
    Case("include_all", "1: includeUsers contains All", True),
    Case("include_user_id", "1: includeUsers contains the user's id", True,
         policy={"users": {"includeUsers": [ME]}}),
    Case("include_someone_else", "1: a user not listed is not included", False,
         "not included", policy={"users": {"includeUsers": ["someone-else"]}},
         candidate=False),
    Case("include_none", "1: includeUsers None includes nobody", False, "not included",
         policy={"users": {"includeUsers": ["None"]}}),
    Case("include_group", "1: a group in includeGroups contains the user", True,
         policy={"users": {"includeUsers": [], "includeGroups": ["{g:Staff}"]}},
         ca_groups={"Staff": [ME]}),
    Case("include_nested_group",
         "1: ... contains the user transitively (transitiveMembers lists nested members)",
         True, policy={"users": {"includeUsers": [], "includeGroups": ["{g:Outer}"]}},
         ca_groups={"Outer": ["{g:Inner}", ME]}),
    Case("include_group_without_user", "1: a group that does not contain the user",
         False, "not included",
         policy={"users": {"includeUsers": [], "includeGroups": ["{g:Others}"]}},
         ca_groups={"Others": ["someone-else"]}),
    Case("include_role_direct", "1: holds an active role whose roleTemplateId is listed",
         True, policy={"users": {"includeUsers": [], "includeRoles": ["{t:role}"]}},
         roles=[("role", ME, "user")]),
    Case("include_role_through_group",
         "1: ... directly or through a role-assignable group (transitively)", True,
         policy={"users": {"includeUsers": [], "includeRoles": ["{t:role}"]}},
         roles=[("role", "{rg:Tier0}", "group")], role_groups={"Tier0": [ME]}),
    Case("include_role_by_object_id_not_template",
         "1: includeRoles holds role *template* ids, not directoryRole ids", False,
         "not included", policy={"users": {"includeUsers": [], "includeRoles": ["{r:role}"]}},
         roles=[("role", ME, "user")]),
    Case("include_guest_type_b2b_member",
         "1 + guest types: all four markers -> b2bCollaborationMember, listed", True,
         policy={"users": {"includeUsers": [],
                           "includeGuestsOrExternalUsers": guests(f"internalGuest,{EXT}")}},
         user=b2b("{me}")),
    Case("include_guest_type_not_listed", "1: the user's type is not among the types",
         False, "not included",
         policy={"users": {"includeUsers": [],
                           "includeGuestsOrExternalUsers": guests("b2bCollaborationGuest")}},
         user=b2b("{me}")),
    Case("include_guest_types_skip_internal_members",
         "guest types: no marker -> internal, never a guest/external type", False,
         "not included",
         policy={"users": {"includeUsers": [],
                           "includeGuestsOrExternalUsers": guests(EXT)}}),
    Case("include_legacy_guests_value",
         "1: includeUsers GuestsOrExternalUsers and the user has a guest/external type",
         True, policy={"users": {"includeUsers": ["GuestsOrExternalUsers"]}},
         user=b2b("{me}")),
    Case("include_guest_enumerated_tenants",
         "guest types: externalTenants enumerated -> home tenant unknown: not included",
         False, "not included: guest/external type b2bCollaborationMember, externalTenants *",
         policy={"users": {"includeUsers": [], "includeGuestsOrExternalUsers": guests(
             EXT, {"@odata.type": "#microsoft.graph.conditionalAccessEnumeratedExternalTenants",
                   "membershipKind": "enumerated", "members": ["tenant-x"]})}},
         user=b2b("{me}"), candidate=True),
    Case("include_markers_disagree",
         "guest types: markers that disagree -> type unknown: rule 1 does not include",
         False, "not included: guest/external type unknown (markers disagree: *",
         policy={"users": {"includeUsers": [],
                           "includeGuestsOrExternalUsers": guests(EXT)}},
         user=b2b("{me}", invitation=False, identity=False), candidate=True),
    # -- rule 2: not excluded --------------------------------------------------------------
    Case("exclude_user_id", "2: excludeUsers lists the user", False,
         "excluded via excludeUsers", policy={"users": {"excludeUsers": [ME]}},
         candidate=True),
    Case("exclude_someone_else", "2: excluding another user does not exclude this one",
         True, policy={"users": {"excludeUsers": ["someone-else"]}}),
    Case("exclude_group", "2: a group in excludeGroups contains the user", False,
         "excluded via group Break-glass",
         policy={"users": {"excludeGroups": ["{g:Break-glass}"]}},
         ca_groups={"Break-glass": [ME]}),
    Case("exclude_nested_group", "2: ... transitively", False,
         "excluded via group Exemptions",
         policy={"users": {"excludeGroups": ["{g:Exemptions}"]}},
         ca_groups={"Exemptions": ["{g:Contractors}", ME]}),
    Case("exclude_role_direct", "2: holds an excluded role template", False,
         "excluded via role Role r-exclude_role_direct-role",
         policy={"users": {"excludeRoles": ["{t:role}"]}}, roles=[("role", ME, "user")]),
    Case("exclude_role_through_group", "2: ... through a role-assignable group", False,
         "excluded via role Role r-exclude_role_through_group-role through group Tier0",
         policy={"users": {"excludeRoles": ["{t:role}"]}},
         roles=[("role", "{rg:Tier0}", "group")], role_groups={"Tier0": [ME]}),
    Case("exclude_guest_type", "2: the user's guest/external type is excluded", False,
         "excluded via guest/external type b2bCollaborationMember",
         policy={"users": {"excludeGuestsOrExternalUsers": guests(
             f"internalGuest,b2bCollaborationGuest,{EXT}")}},
         user=b2b("{me}")),
    Case("exclude_legacy_guests_value", "2: excludeUsers GuestsOrExternalUsers", False,
         "excluded via guest/external type b2bCollaborationMember (excludeUsers *",
         policy={"users": {"excludeUsers": ["GuestsOrExternalUsers"]}},
         user=b2b("{me}")),
    Case("exclude_guest_types_skip_internal_members",
         "guest types: an internal member is not excluded by guest types", True,
         policy={"users": {"excludeGuestsOrExternalUsers": guests(EXT)}}),
    Case("exclude_markers_disagree",
         "guest types: markers that disagree -> type unknown: rule 2 excludes", False,
         "excluded: guest/external type unknown (markers disagree: #EXT# in user principal "
         "name) (fail-safe)",
         policy={"users": {"excludeGuestsOrExternalUsers": guests(EXT)}},
         user=b2b("{me}", invitation=False, state=False, identity=False)),
    Case("exclude_guest_enumerated_tenants",
         "guest types: enumerated tenants cannot be decided: an unclear exclusion excludes",
         False, "excluded: guest/external type b2bCollaborationMember, externalTenants *",
         policy={"users": {"excludeGuestsOrExternalUsers": guests(
             EXT, {"@odata.type": "#microsoft.graph.conditionalAccessEnumeratedExternalTenants",
                   "membershipKind": "enumerated", "members": ["tenant-x"]})}},
         user=b2b("{me}")),
    Case("exclude_unknown_users_setting",
         "principle: an unclear exclusion excludes (a users setting not modelled)", False,
         "excluded: users.excludeAgents not modelled (fail-safe)",
         policy={"users": {"excludeAgents": ["agent-1"]}}, off_schema=True),
    Case("include_unknown_users_setting_ignored",
         "principle: an unclear inclusion does not include, but cannot narrow All", True,
         policy={"users": {"includeAgents": ["agent-1"]}}, off_schema=True),
    # -- scope (applications): where the policy applies, was rule 3 -------------------
    Case("apps_office365", "scope: includeApplications contains All", False,
         "applies only to app Office365",
         policy={"applications": {"includeApplications": ["Office365"]}}),
    Case("apps_exclusion", "scope: no excludeApplications", False,
         "applies only to app Office365 or other app",
         policy={"applications": {
             "excludeApplications": ["00000003-0000-0000-c000-000000000000"]}}),
    Case("apps_filter", "scope: no applicationFilter", False,
         "applications: application filter: applies to no sign-in (fai*",
         policy={"applications": {"applicationFilter": {
             "mode": "exclude", "rule": 'CustomSecurityAttribute.App_Tier -eq "Low"'}}}),
    Case("apps_user_action", "scope: no user actions", False,
         "applications: user actions (urn:user:registersecurityinfo): *",
         policy={"applications": {"includeApplications": [],
                                  "includeUserActions": ["urn:user:registersecurityinfo"]}}),
    Case("apps_user_action_beside_all", "scope: no user actions, even beside All", False,
         "applications: user actions (urn:user:registerdevice): applie*",
         policy={"applications": {"includeUserActions": ["urn:user:registerdevice"]}}),
    Case("apps_authentication_context", "scope: no authentication contexts", False,
         "applications: authentication contexts (c1): applies to no si*",
         policy={"applications": {"includeAuthenticationContextClassReferences": ["c1"]}}),
    Case("apps_missing", "scope: no applications condition: includeApplications lacks All",
         False, "applies to no sign-in (no app admitted)",
         policy={"conditions": {"applications": ...}}),
    # -- scope (conditions): narrower than every sign-in, was rule 4 ------------------
    Case("client_app_types_all", "scope: clientAppTypes = ['all'] does not narrow", True),
    Case("client_app_types_four", "scope: clientAppTypes listing all four types does not narrow",
         True, policy={"conditions": {"clientAppTypes": [
             "browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other"]}}),
    Case("client_app_types_empty", "scope: an empty condition does not narrow", True,
         policy={"conditions": {"clientAppTypes": []}}),
    Case("client_app_types_legacy_only", "scope: any other client app types narrow", False,
         "applies only to client app exchangeActiveSync or other",
         policy={"conditions": {"clientAppTypes": ["exchangeActiveSync", "other"]}}),
    Case("platforms_all", "scope: platforms including all with nothing excluded: not narrowing",
         True, policy={"conditions": {"platforms": {"includePlatforms": ["all"],
                                                    "excludePlatforms": []}}}),
    Case("platforms_empty", "scope: an empty platforms condition does not narrow", True,
         policy={"conditions": {"platforms": {"includePlatforms": [],
                                              "excludePlatforms": []}}}),
    Case("platforms_all_but_one", "scope: platforms all with an exclusion narrows", False,
         "applies only to platform android or iOS or windows or macOS *",
         policy={"conditions": {"platforms": {"includePlatforms": ["all"],
                                              "excludePlatforms": ["linux"]}}}),
    Case("platforms_some", "scope: any other platforms narrow", False,
         "applies only to platform android or iOS",
         policy={"conditions": {"platforms": {"includePlatforms": ["iOS", "android"],
                                              "excludePlatforms": []}}}),
    Case("locations_all", "scope: locations including All with nothing excluded: not narrowing",
         True, policy={"conditions": {"locations": {"includeLocations": ["All"],
                                                    "excludeLocations": []}}}),
    Case("locations_all_but_trusted", "scope: locations All excluding AllTrusted narrows", False,
         "applies to no sign-in (no location admitted)",
         policy={"conditions": {"locations": {"includeLocations": ["All"],
                                              "excludeLocations": ["AllTrusted"]}}}),
    Case("locations_named", "scope: any other locations narrow", False,
         "applies only to location loc-1",
         policy={"conditions": {"locations": {"includeLocations": ["loc-1"],
                                              "excludeLocations": []}}}),
    Case("user_risk", "scope: any user risk levels narrow", False,
         "applies only to user risk high",
         policy={"conditions": {"userRiskLevels": ["high"]}}),
    Case("sign_in_risk", "scope: any sign-in risk levels narrow", False,
         "applies only to sign-in risk medium or high",
         policy={"conditions": {"signInRiskLevels": ["medium", "high"]}}),
    Case("service_principal_risk", "scope: any service principal risk levels narrow", False,
         "condition on servicePrincipalRiskLevels: applies to no sign-*",
         policy={"conditions": {"servicePrincipalRiskLevels": ["high"]}}),
    Case("insider_risk", "scope: any insider risk levels narrow", False,
         "condition on insiderRiskLevels: applies to no sign-in (fail-*",
         policy={"conditions": {"insiderRiskLevels": "elevated"}}),
    Case("device_filter", "scope: a device filter narrows", False,
         "condition on devices: applies to no sign-in (fail-safe)",
         policy={"conditions": {"devices": {"deviceFilter": {
             "mode": "exclude", "rule": 'device.trustType -eq "ServerAD"'}}}}),
    Case("devices_without_filter", "scope: devices with a null filter is empty: not narrowing",
         True, policy={"conditions": {"devices": {"deviceFilter": None}}}),
    Case("client_applications", "scope: clientApplications narrow", False,
         "condition on clientApplications: applies to no sign-in (fail*",
         policy={"conditions": {"clientApplications": {
             "includeServicePrincipals": ["sp-1"], "excludeServicePrincipals": [],
             "servicePrincipalFilter": None}}}),
    Case("authentication_flows", "scope: authentication flows narrow", False,
         "applies only to flow deviceCodeFlow",
         policy={"conditions": {"authenticationFlows": {"transferMethods": "deviceCodeFlow"}}}),
    Case("unknown_condition", "scope: any condition the resolver does not know narrows", False,
         "condition on times (not modelled): applies to no sign-in (fa*",
         policy={"conditions": {"times": {"allDays": False, "startTime": "08:00"}}},
         off_schema=True),
    Case("unknown_condition_null", "scope: ... but an absent or null one does not", True,
         policy={"conditions": {"times": None, "deviceStates": {}}}, off_schema=True),
    # -- rule 5: grant guarantees MFA ------------------------------------------------------
    Case("grant_or_mfa_alone", "5: under OR, the only control is mfa", True),
    Case("grant_and_mfa_compliant", "5: under AND, mfa in builtInControls", True,
         policy={"grant_controls": grant(["mfa", "compliantDevice"], operator="AND")}),
    Case("grant_or_mfa_compliant", "5: under OR, mfa beside compliantDevice: not covered",
         False, "grant: OR with compliantDevice",
         policy={"grant_controls": grant(["mfa", "compliantDevice"])}),
    Case("grant_or_no_mfa", "5: no mfa control at all", False,
         "grant: no mfa control (compliantDevice, domainJoinedDevice)",
         policy={"grant_controls": grant(["compliantDevice", "domainJoinedDevice"])}),
    Case("grant_block_alone", "5: builtInControls exactly ['block']: covered", True,
         policy={"grant_controls": grant(["block"])}),
    Case("grant_block_or_mfa", "5: block plus mfa is not exactly ['block']; under OR, mfa "
         "is not the only control", False, "grant: OR with block",
         policy={"grant_controls": grant(["block", "mfa"])}),
    Case("grant_block_and_mfa", "5: block plus mfa under AND: mfa is among the controls",
         True, policy={"grant_controls": grant(["block", "mfa"], operator="AND")}),
    Case("grant_block_and_terms", "5: block with terms of use is not block alone", False,
         "grant: AND without mfa or an authentication strength (block)",
         policy={"grant_controls": grant(["block"], operator="AND", terms_of_use=["tou-1"])}),
    Case("grant_null", "5: grantControls null: not covered", False,
         "grant: no grant controls (grantControls null)", policy={"grant_controls": None}),
    Case("grant_or_mfa_terms", "5: under OR, terms of use count as a control", False,
         "grant: OR with terms of use",
         policy={"grant_controls": grant(["mfa"], terms_of_use=["tou-1"])}),
    Case("grant_or_mfa_custom", "5: under OR, custom factors count as a control", False,
         "grant: OR with custom authentication factors",
         policy={"grant_controls": grant(["mfa"], custom=["duo"])}),
    Case("grant_and_mfa_terms", "5: under AND, terms of use beside mfa: covered", True,
         policy={"grant_controls": grant(["mfa"], operator="AND", terms_of_use=["tou-1"])}),
    Case("grant_operator_null_single_mfa", "5: one control: mfa whatever the operator", True,
         policy={"grant_controls": grant(["mfa"], operator=None)}),
    Case("grant_or_mfa_and_strength",
         "5: under OR the only control counting the strength: mfa plus a strength is two",
         False, "grant: OR with authentication strength Multifactor authentication",
         policy={"grant_controls": grant(["mfa"], strength=BUILT_IN_STRENGTHS[0])}),
    # -- rules 5 and 6: authentication strengths -------------------------------------------
    Case("strength_builtin_mfa", "6: the built-in Multifactor authentication strength", True,
         policy={"grant_controls": grant([], strength=BUILT_IN_STRENGTHS[0])}),
    Case("strength_phishing_resistant", "6: single methods that are second factors alone",
         True, policy={"grant_controls": grant([], strength=BUILT_IN_STRENGTHS[1])}),
    Case("strength_and_with_compliant",
         "5: under AND, an MFA strength among the controls", True,
         policy={"grant_controls": grant(["compliantDevice"], operator="AND",
                                         strength=BUILT_IN_STRENGTHS[1])}),
    Case("strength_password_alone", "6: one method that is not a second factor", False,
         "grant: authentication strength Weak allows 'password' (single factor)",
         policy={"grant_controls": grant([], strength=strength(
             "s-weak", "Weak", ["password,sms", "password"]))}),
    Case("strength_sms_alone", "6: sms alone is not multifactor", False,
         "grant: authentication strength SMS sign-in allows 'sms' (single factor)",
         policy={"grant_controls": grant([], strength=strength(
             "s-sms", "SMS sign-in", ["sms"]))}),
    Case("strength_tap", "6: temporaryAccessPassOneTime is a second factor on its own", True,
         policy={"grant_controls": grant([], strength=strength(
             "s-tap", "TAP", ["temporaryAccessPassOneTime", "password,softwareOath"]))}),
    Case("strength_unknown_method", "6: an unknown method: not multifactor", False,
         "grant: authentication strength Future allows 'password,quantumToken' (unknown "
         "method quantumtoken)",
         policy={"grant_controls": grant([], strength=strength(
             "s-future", "Future", ["fido2", "password,quantumToken"]))}, off_schema=True),
    Case("strength_from_directory",
         "6: combinations from /policies/authenticationStrengthPolicies when not inline",
         True, policy={"grant_controls": grant([], strength=strength(
             "s-lookup", "Looked up", None))},
         strengths=[strength("s-lookup", "Looked up", ["fido2", "password,voice"])]),
    Case("strength_not_found",
         "fail-safe: a strength that cannot be read does not cover", False,
         "grant: authentication strength s-missing could not be read: it is not among *",
         policy={"grant_controls": grant([], strength={"id": "s-missing"})}),
    Case("strength_or_compliant",
         "5: under OR, an MFA strength beside compliantDevice", False,
         "grant: OR with compliantDevice",
         policy={"grant_controls": grant(["compliantDevice"], strength=BUILT_IN_STRENGTHS[0])}),
    Case("strength_inline_unidentified_password",
         "Value: a strength that cannot be identified (no id, no displayName) covers nothing",
         False, "grant: authentication strength (no id, no displayName) cannot be identified",
         policy={"grant_controls": grant([], strength={"allowedCombinations": ["password"]})}),
    Case("strength_inline_unidentified_sms_and",
         "Value: ... whatever its combinations and operator", False,
         "grant: authentication strength (no id, no displayName) cannot be identified",
         policy={"grant_controls": grant(["compliantDevice"], operator="AND",
                                         strength={"allowedCombinations": ["sms"]})}),
    Case("strength_inline_unidentified_null",
         "Value: ... even with no combinations at all", False,
         "grant: authentication strength (no id, no displayName) cannot be identified",
         policy={"grant_controls": grant([], strength={"allowedCombinations": []})}),
    Case("strength_inline_unidentified_strong",
         "Value: ... even when its combinations look multifactor", False,
         "grant: authentication strength (no id, no displayName) cannot be identified",
         policy={"grant_controls": grant([], strength={"allowedCombinations": ["fido2"]})}),
    Case("grant_blank_built_in_control", "5: a blank builtInControls entry names no control",
         False, "grant: no controls", policy={"grant_controls": grant([""])}, off_schema=True),
    Case("grant_blank_built_in_control_and", "5: ... under AND too", False,
         "grant: no controls", policy={"grant_controls": grant([""], operator="AND")},
         off_schema=True),
    # -- state --------------------------------------------------------------------------------
    Case("state_report_only", "Value: report-only policies never cover", False,
         "report-only", policy={"state": "enabledForReportingButNotEnforced"}),
    Case("state_disabled", "Value: disabled policies never cover", False, "disabled",
         policy={"state": "disabled"}),
    Case("state_report_only_and_excluded",
         "explain: the first rule that fails comes before the state", False,
         "excluded via excludeUsers",
         policy={"state": "enabledForReportingButNotEnforced",
                 "users": {"excludeUsers": [ME]}}),
]


def _fill(value: Any, case: Case) -> Any:
    """Replace {me}, {g:Name}, {t:role}, {r:role}, {rg:Name} placeholders."""
    if isinstance(value, dict):
        return {k: _fill(v, case) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, case) for v in value]
    if not isinstance(value, str):
        return value
    if value == ME:
        return case.user_id
    for prefix, make in (("{g:", lambda n: gid(case.name, n)), ("{t:", lambda n: template(
            case.name, n)), ("{r:", lambda n: rid(case.name, n)), ("{rg:", lambda n: gid(
            case.name, n))):
        if value.startswith(prefix) and value.endswith("}"):
            return make(value[len(prefix):-1])
    return value


def _snapshot_parts(cases: list[Case]) -> Json:
    users, policies, ca_members, role_rows, group_rows, strengths = [], [], [], [], [], []
    for case in cases:
        row = _fill(case.user, case) if case.user else user(case.user_id)
        row["id"] = case.user_id
        users.append(row)
        args = _fill(case.policy, case)
        policies.append(ca_policy(case.policy_id, **args))
        for name, members in case.ca_groups.items():
            for member in _fill(members, case):
                kind = GROUP if member.startswith("g-") else "#microsoft.graph.user"
                ca_members.append({"@odata.type": kind, "id": member, "displayName": member,
                                   "_groupId": gid(case.name, name), "_groupDisplayName": name})
        for role, member, kind in case.roles:
            row = role_member(rid(case.name, role), _fill(member, case),
                              f"#microsoft.graph.{kind}")
            if member.startswith("{rg:"):
                row["displayName"] = member[4:-1]
            role_rows.append(row)
        for name, members in case.role_groups.items():
            for member in _fill(members, case):
                group_rows.append({"@odata.type": "#microsoft.graph.user", "id": member,
                                   "_groupId": gid(case.name, name), "_groupDisplayName": name})
        strengths.extend(case.strengths)
    return {"users": users, "ca_policies": policies, "ca_group_members": ca_members,
            "role_members": role_rows, "group_members": group_rows,
            "authentication_strengths": [*BUILT_IN_STRENGTHS, *strengths]}


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Json]:
    root = tmp_path_factory.mktemp("ca-rules")
    return evaluations(build_snapshot(root, **_snapshot_parts(CASES)))


def test_the_table_covers_every_clause():
    """The rule table covers at least 40 policy/user cases."""
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_rule(case: Case, resolved: dict[tuple[str, str], Json]) -> None:
    row = resolved[(case.user_id, case.policy_id)]
    # An enabled policy that applies to the user on every sign-in has no reason.
    assert (row["reason"] is None) is case.covers, (case.rule, row["reason"])
    if case.reason is None:
        assert row["reason"] is None and row["failed_rule"] is None
    elif case.reason.endswith("*"):
        assert row["reason"].startswith(case.reason[:-1]), row["reason"]
    else:
        assert row["reason"] == case.reason
    if case.candidate is not None:
        assert row["is_candidate"] is case.candidate


def test_a_report_only_policy_applies_but_does_not_cover(
        resolved: dict[tuple[str, str], Json]) -> None:
    """explain: report-only policies apply (they would cover if enforced), never cover."""
    assert resolved[("u-state_report_only", "p-state_report_only")]["applies"] is True
    assert resolved[("u-state_disabled", "p-state_disabled")]["applies"] is True
    excluded = resolved[("u-state_report_only_and_excluded", "p-state_report_only_and_excluded")]
    assert excluded["applies"] is False


def _validator(name: str, lenient: bool) -> jsonschema.Draft202012Validator:
    folder = SCHEMAS / "lenient" if lenient else SCHEMAS
    return jsonschema.Draft202012Validator(json.loads((folder / name).read_text()))


def test_policies_are_shaped_like_graphs_schema():
    """The rule cases are validated against policies shaped exactly like the JSON Schema."""
    parts = _snapshot_parts(CASES)
    strict = _validator("conditionalAccessPolicy.schema.json", lenient=False)
    lenient = _validator("conditionalAccessPolicy.schema.json", lenient=True)
    for case, policy in zip(CASES, parts["ca_policies"], strict=True):
        errors = list((lenient if case.off_schema else strict).iter_errors(policy))
        assert not errors, (case.name, [e.message[:120] for e in errors[:3]])
    for obj in parts["authentication_strengths"]:
        errors = list(_validator("authenticationStrengthPolicy.schema.json", False)
                      .iter_errors(obj))
        assert not errors, [e.message[:120] for e in errors[:3]]


def test_the_plain_python_oracle_agrees_on_every_case(resolved):
    """Two independent readings of docs/ca-resolver.md (SQL and fake_graph/ca_oracle.py)."""
    parts = _snapshot_parts(CASES)
    groups: dict[str, set[str]] = {}
    for row in parts["ca_group_members"]:
        members = groups.setdefault(row["_groupId"].lower(), set())
        if row["@odata.type"].endswith(".user"):
            members.add(row["id"].lower())
    role_groups: dict[str, set[str]] = {}
    for row in parts["group_members"]:
        role_groups.setdefault(row["_groupId"], set()).add(row["id"].lower())
    roles: dict[str, set[str]] = {}
    for row in parts["role_members"]:
        holders = role_groups.get(row["id"], set()) if row["@odata.type"].endswith(
            ".group") else {row["id"].lower()}
        for holder in holders:
            roles.setdefault(holder, set()).add(row["_roleTemplateId"].lower())
    directory = Directory(
        readable_groups=groups, roles_by_user=roles,
        strengths={s["id"].lower(): s["allowedCombinations"]
                   for s in parts["authentication_strengths"]},
        strengths_readable=True,
    )
    users = {u["id"]: u for u in parts["users"]}
    for case, policy in zip(CASES, parts["ca_policies"], strict=True):
        assert covers(policy, users[case.user_id], directory) is case.covers, case.name
