"""`exact_coverage_gaps`: docs/ca-resolver.md's exact CA coverage, in plain Python.

Written from the spec, independently of the SQL, for the end-to-end tests. It
reads the fake tenant's own objects and mirrors only what the capture can see:
groups the fake answers (an id in `tenant.groups`; a group it does not know
answers 404, so the resolver cannot read it) and authentication strengths (readable
with Policy.Read.All).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
ALL_CLIENT_APP_TYPES = frozenset({"browser", "mobileappsanddesktopclients",
                                  "exchangeactivesync", "other"})
KNOWN_CONDITIONS = frozenset({
    "users", "applications", "clientAppTypes", "platforms", "locations", "userRiskLevels",
    "signInRiskLevels", "servicePrincipalRiskLevels", "insiderRiskLevels", "devices",
    "clientApplications", "authenticationFlows",
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


def _directory(tenant: FakeTenant, strengths_readable: bool) -> Directory:
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
    return Directory(readable, roles, strengths if strengths_readable else {},
                     strengths_readable)


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


def _all_apps(conditions: Json) -> bool:
    apps = conditions.get("applications") or {}
    if "all" not in _lower(apps.get("includeApplications")):
        return False
    return all(_empty(v) for k, v in apps.items()
               if "@" not in k and k != "includeApplications"
               and (not k.startswith("include") or k in (
                   "includeUserActions", "includeAuthenticationContextClassReferences")))


def _narrowing(name: str, value: object) -> bool:
    if _empty(value):
        return False
    if name == "clientAppTypes":
        kinds = _lower(value)  # type: ignore[arg-type]
        return not ("all" in kinds or kinds >= ALL_CLIENT_APP_TYPES)
    if name in ("platforms", "locations"):
        assert isinstance(value, dict)
        key = "Platforms" if name == "platforms" else "Locations"
        return not ("all" in _lower(value.get(f"include{key}"))
                    and not value.get(f"exclude{key}"))
    return True


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


def covers(policy: Json, user: Json, directory: Directory) -> bool:
    """Rules 1-6 and state = 'enabled'."""
    conditions = policy.get("conditions") or {}
    users = conditions.get("users") or {}
    return (
        policy.get("state") == "enabled"
        and bool(policy.get("id"))
        and _list_answer(users, "include", user, directory) is Answer.YES
        and _list_answer(users, "exclude", user, directory) is Answer.NO
        and _all_apps(conditions)
        and not any(_narrowing(k, v) for k, v in conditions.items()
                    if "@" not in k and k not in ("users", "applications"))
        and all(k in KNOWN_CONDITIONS or "@" in k or _empty(v) for k, v in conditions.items())
        and _grant_guarantees_mfa(policy.get("grantControls"), directory)
    )


def exact_coverage_gaps(tenant: FakeTenant, members: list[Json], *, policies_readable: bool,
                        strengths_readable: bool) -> int:
    """entra_ca_coverage_gaps_exact for `members` (the enabled members)."""
    if not policies_readable:
        return len(members)
    directory = _directory(tenant, strengths_readable)
    return sum(1 for u in members
               if not any(covers(p, u, directory) for p in tenant.ca_policies))
