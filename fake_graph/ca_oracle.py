"""`exact_coverage_gaps`: docs/ca-resolver.md's exact CA coverage, in plain Python.

Written from the spec, independently of the SQL, by brute force: it enumerates
every sign-in context (application x client app type x platform x location x
user risk x sign-in risk x authentication flow) and asks whether some enabled
policy that applies to the user admits it. The SQL reasons over classes of
values and sets of policies instead; the two must agree. It
reads the fake tenant's own objects and mirrors only what the capture can see:
groups the fake answers (an id in `tenant.groups`; a group it does not know
answers 404, so the resolver cannot read it) and authentication strengths (readable
with Policy.Read.All).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum

from .tenant import FakeTenant, Json

USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"
SECOND_FACTOR_ALONE = frozenset({
    "windowshelloforbusiness", "fido2", "x509certificatemultifactor", "devicebasedpush",
    "temporaryaccesspassonetime", "temporaryaccesspassmultiuse", "federatedmultifactor",
})
KNOWN_METHODS = SECOND_FACTOR_ALONE | {
    "password", "voice", "hardwareoath", "softwareoath", "sms", "microsoftauthenticatorpush",
    "email", "x509certificatesinglefactor", "federatedsinglefactor", "qrcodepin",
}
OTHER_APP, OTHER_PLATFORM, OTHER_LOCATION = "other app", "other platform", "other location"
CLIENT_APP_TYPES = ("browser", "mobileappsanddesktopclients", "exchangeactivesync", "other")
PLATFORMS = ("android", "ios", "windows", "macos", "linux", "windowsphone", OTHER_PLATFORM)
RISK_LEVELS = ("none", "low", "medium", "high")
FLOWS = ("devicecodeflow", "authenticationtransfer", "other flow")
DECIDABLE_CONDITIONS = frozenset({
    "users", "applications", "clientAppTypes", "platforms", "locations", "userRiskLevels",
    "signInRiskLevels", "authenticationFlows",
})
KNOWN_USER_SETTINGS = frozenset({
    "includeUsers", "excludeUsers", "includeGroups", "excludeGroups", "includeRoles",
    "excludeRoles", "includeGuestsOrExternalUsers", "excludeGuestsOrExternalUsers",
})
KNOWN_GRANT_SETTINGS = frozenset({
    "operator", "builtInControls", "customAuthenticationFactors", "termsOfUse",
    "authenticationStrength",
})


class Answer(Enum):
    """Does a list apply to a user: yes, no, or the snapshot cannot tell."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


def _empty(value: object, depth: int = 0) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, dict) and depth == 0:
        return all(_empty(v, 1) for k, v in value.items() if "@" not in k)
    return False


def _lower(values: Iterable[object] | None) -> set[str]:
    return {str(v).lower() for v in values or ()}


@dataclass(frozen=True)
class Directory:
    """What the capture of `tenant` lets the resolver know."""

    readable_groups: dict[str, set[str]]  # group id -> transitive user ids
    roles_by_user: dict[str, set[str]]  # user id -> role template ids held
    strengths: dict[str, list[str]]  # strength id -> allowed combinations
    strengths_readable: bool
    # named location id -> isTrusted (False for a country location); absent: unknown
    location_trust: dict[str, bool] = field(default_factory=dict)


def _directory(tenant: FakeTenant, strengths_readable: bool,
               locations_readable: bool) -> Directory:
    def users_in(members: Iterable[Json]) -> set[str]:
        return {m["id"].lower() for m in members if m.get("@odata.type") == USER_TYPE}

    readable = {
        gid.lower(): users_in(tenant.group_transitive_members[gid])
        for gid in tenant.groups
        if gid in tenant.group_transitive_members
    }
    roles: dict[str, set[str]] = {}
    for role in tenant.directory_roles:
        template = role["roleTemplateId"].lower()
        for member in tenant.role_members.get(role["id"], []):
            holders = {member["id"].lower()} if member.get("@odata.type") == USER_TYPE else (
                users_in(tenant.group_transitive_members.get(member["id"], []))
                if member.get("@odata.type") == GROUP_TYPE else set())
            for holder in holders:
                roles.setdefault(holder, set()).add(template)
    strengths = {s["id"].lower(): list(s.get("allowedCombinations") or [])
                 for s in tenant.authentication_strength_policies}
    trust = {loc["id"].lower(): location_trust(loc) for loc in tenant.named_locations}
    return Directory(readable, roles, strengths if strengths_readable else {},
                     strengths_readable,
                     {k: v for k, v in trust.items() if v is not None and locations_readable})


def location_trust(location: Json) -> bool | None:
    """isTrusted of an ipNamedLocation; a countryNamedLocation is never trusted."""
    kind = (location.get("@odata.type") or "").lower()
    if kind.endswith("countrynamedlocation"):
        return False
    trusted = location.get("isTrusted")
    return trusted if kind.endswith("ipnamedlocation") and isinstance(trusted, bool) else None


def external_type(user: Json) -> str:
    """internal, b2bcollaborationmember or unknown (markers disagree)."""
    markers = [
        "#EXT#" in (user.get("userPrincipalName") or "").upper(),
        (user.get("creationType") or "").lower() == "invitation",
        bool((user.get("externalUserState") or "").strip()),
        any((i.get("issuer") or "").lower() == "externalazuread"
            for i in user.get("identities") or []),
    ]
    if not any(markers):
        return "internal"
    return "b2bcollaborationmember" if all(markers) else "unknown"


def _guest_answer(spec: Json | None, kind: str) -> Answer:
    if not spec:
        return Answer.NO
    types = {t.strip().lower() for t in (spec.get("guestOrExternalUserTypes") or "").split(",")}
    types -= {"", "none"}
    if not types or kind == "internal":
        return Answer.NO
    if kind == "unknown":
        return Answer.UNKNOWN
    if kind not in types:
        return Answer.NO
    tenants = spec.get("externalTenants")
    every_tenant = tenants is None or (tenants.get("membershipKind") or "").lower() == "all"
    return Answer.YES if every_tenant else Answer.UNKNOWN


def _list_answer(users: Json, side: str, user: Json, directory: Directory) -> Answer:
    """Rule 1 (side include) or the tests of rule 2 (side exclude) for one user."""
    uid = user["id"].lower()
    listed = _lower(users.get(f"{side}Users"))
    kind = external_type(user)
    answers = []
    if "all" in listed or uid in listed:
        answers.append(Answer.YES)
    for gid in _lower(users.get(f"{side}Groups")):
        members = directory.readable_groups.get(gid)
        answers.append(Answer.UNKNOWN if members is None
                       else Answer.YES if uid in members else Answer.NO)
    if _lower(users.get(f"{side}Roles")) & directory.roles_by_user.get(uid, set()):
        answers.append(Answer.YES)
    answers.append(_guest_answer(users.get(f"{side}GuestsOrExternalUsers"), kind))
    if "guestsorexternalusers" in listed and kind != "internal":
        answers.append(Answer.YES if kind == "b2bcollaborationmember" else Answer.UNKNOWN)
    if side == "exclude" and any(
        not _empty(v) for k, v in users.items()
        if k not in KNOWN_USER_SETTINGS and "@" not in k and not k.startswith("include")
    ):
        answers.append(Answer.UNKNOWN)
    if Answer.YES in answers:
        return Answer.YES
    return Answer.UNKNOWN if Answer.UNKNOWN in answers else Answer.NO


def _combination_is_multifactor(combination: str) -> bool:
    methods = {m.strip().lower() for m in combination.split(",") if m.strip()}
    if not methods or methods - KNOWN_METHODS:
        return False
    return len(methods) >= 2 or bool(methods & SECOND_FACTOR_ALONE)


def _strength_is_mfa(strength: Json, directory: Directory) -> bool:
    combinations = strength.get("allowedCombinations") or directory.strengths.get(
        (strength.get("id") or "").lower())
    return bool(combinations) and all(_combination_is_multifactor(c) for c in combinations)


def _grant_guarantees_mfa(grant: Json | None, directory: Directory) -> bool:
    if grant is None:
        return False
    built_in = [c.lower() for c in grant.get("builtInControls") or [] if c.strip()]
    strength = grant.get("authenticationStrength")
    if strength is not None and not (strength.get("id") or strength.get("displayName")):
        return False  # a strength that cannot be identified covers nothing
    extra = [k for k, v in grant.items()
             if "@" not in k and k not in KNOWN_GRANT_SETTINGS and not _empty(v)]
    controls = (len(built_in) + (strength is not None) + len(grant.get("termsOfUse") or [])
                + len(grant.get("customAuthenticationFactors") or []) + len(extra))
    strength_mfa = strength is not None and _strength_is_mfa(strength, directory)
    if built_in == ["block"] and controls == 1:
        return True
    if (grant.get("operator") or "").upper() == "AND":
        return "mfa" in built_in or strength_mfa
    return controls == 1 and (built_in == ["mfa"] or strength_mfa)


def _decidable(conditions: Json) -> bool:
    """No clause that cannot be decided per sign-in context (ca-contexts: fail-safe)."""
    apps = conditions.get("applications") or {}
    undecidable_apps = any(
        not _empty(v) for k, v in apps.items()
        if "@" not in k and k not in ("includeApplications", "excludeApplications")
        and (k in ("includeUserActions", "includeAuthenticationContextClassReferences")
             or not k.startswith("include")))
    return not undecidable_apps and all(
        _empty(v) for k, v in conditions.items()
        if "@" not in k and k not in DECIDABLE_CONDITIONS)


def _items(values: object) -> set[str]:
    if not isinstance(values, list):
        return set()
    return {str(v).strip().lower() for v in values if v is not None and str(v).strip()}


@dataclass(frozen=True)
class Scope:
    """The values one policy admits, per dimension (a box of sign-in contexts)."""

    dimensions: tuple[frozenset[str], ...]

    def admits(self, context: tuple[str, ...]) -> bool:
        return all(value in allowed for value, allowed in zip(context, self.dimensions,
                                                               strict=True))


def _scope(conditions: Json, apps: Iterable[str], locations: Iterable[str],
           directory: Directory) -> Scope:
    app_settings = conditions.get("applications") or {}
    app_in = _items(app_settings.get("includeApplications"))
    app_out = _items(app_settings.get("excludeApplications"))
    kinds = _items(conditions.get("clientAppTypes"))
    platforms = conditions.get("platforms") or {}
    platform_in = _items(platforms.get("includePlatforms"))
    platform_out = _items(platforms.get("excludePlatforms"))
    where = conditions.get("locations") or {}
    location_in = _items(where.get("includeLocations"))
    location_out = _items(where.get("excludeLocations"))
    user_risk = _items(conditions.get("userRiskLevels"))
    sign_in_risk = _items(conditions.get("signInRiskLevels"))
    methods = (conditions.get("authenticationFlows") or {}).get("transferMethods")
    flows = _items(methods.split(",")) if isinstance(methods, str) else set()

    def trust(location: str) -> bool | None:
        return None if location == OTHER_LOCATION else directory.location_trust.get(location)

    def platform_ok(value: str) -> bool:
        included = not platform_in or "all" in platform_in or value in platform_in
        unknown_out = bool(platform_out - set(PLATFORMS))
        excluded = ("all" in platform_out or value in platform_out
                    or (value == OTHER_PLATFORM and unknown_out))
        return included and not excluded

    def location_ok(value: str) -> bool:
        included = (not location_in or "all" in location_in or value in location_in
                    or ("alltrusted" in location_in and trust(value) is True))
        excluded = ("all" in location_out or value in location_out
                    or ("alltrusted" in location_out and trust(value) is not False))
        return included and not excluded

    return Scope((
        frozenset(a for a in apps if ("all" in app_in or a in app_in)
                  and not ("all" in app_out or a in app_out)),
        frozenset(k for k in CLIENT_APP_TYPES if not kinds or "all" in kinds or k in kinds),
        frozenset(p for p in PLATFORMS if platform_ok(p)),
        frozenset(loc for loc in locations if location_ok(loc)),
        frozenset(r for r in RISK_LEVELS if not user_risk or r in user_risk),
        frozenset(r for r in RISK_LEVELS if not sign_in_risk or r in sign_in_risk),
        frozenset(f for f in FLOWS if not flows or f in flows),
    ))


def contexts(policies: Iterable[Json]) -> Iterator[tuple[str, ...]]:
    """Every sign-in context: apps and locations named by any policy, plus 'other'."""
    apps, locations = _named_values(policies)
    return itertools.product(sorted(apps), CLIENT_APP_TYPES, PLATFORMS, sorted(locations),
                             RISK_LEVELS, RISK_LEVELS, FLOWS)


def _named_values(policies: Iterable[Json]) -> tuple[set[str], set[str]]:
    apps, locations = {OTHER_APP}, {OTHER_LOCATION}
    for policy in policies:
        conditions = policy.get("conditions") or {}
        app_settings = conditions.get("applications") or {}
        where = conditions.get("locations") or {}
        for key in ("includeApplications", "excludeApplications"):
            apps |= _items(app_settings.get(key)) - {"all", "none"}
        for key in ("includeLocations", "excludeLocations"):
            locations |= _items(where.get(key)) - {"all", "alltrusted"}
    return apps, locations


def applicable_scopes(policy: Json, user: Json, directory: Directory,
                      all_policies: list[Json]) -> Scope | None:
    """The contexts where `policy` requires MFA or blocks for `user`, or None (rules 1-6)."""
    conditions = policy.get("conditions") or {}
    users = conditions.get("users") or {}
    if not (policy.get("id")
            and _list_answer(users, "include", user, directory) is Answer.YES
            and _list_answer(users, "exclude", user, directory) is Answer.NO
            and _decidable(conditions)
            and _grant_guarantees_mfa(policy.get("grantControls"), directory)):
        return None
    apps, locations = _named_values(all_policies)
    return _scope(conditions, apps, locations, directory)


def is_covered(user: Json, policies: list[Json], directory: Directory, *,
               states: tuple[str, ...] = ("enabled",)) -> bool:
    """ca-contexts: in every context some policy in `states` that applies requires MFA."""
    scopes = [scope for p in policies if p.get("state") in states
              if (scope := applicable_scopes(p, user, directory, policies)) is not None]
    return all(any(s.admits(c) for s in scopes) for c in contexts(policies))


def covers(policy: Json, user: Json, directory: Directory) -> bool:
    """`policy` alone covers `user` in every sign-in context."""
    return is_covered(user, [policy], directory)


def exact_coverage_gaps(tenant: FakeTenant, members: list[Json], *, policies_readable: bool,
                        strengths_readable: bool, locations_readable: bool = True) -> int:
    """entra_ca_coverage_gaps_exact for `members` (the enabled members)."""
    if not policies_readable:
        return len(members)
    directory = _directory(tenant, strengths_readable, locations_readable)
    policies = list(tenant.ca_policies)
    return sum(1 for u in members if not is_covered(u, policies, directory))
