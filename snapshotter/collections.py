"""What we read from Graph, as data: one frozen `Collection` per snapshot file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urlencode

REFUSALS_TOLERATED = frozenset({403, 404})


@dataclass(frozen=True)
class Collection:
    """A Graph collection and the snapshot file it is written to.

    `tolerated` holds the HTTP statuses that are recorded in the manifest
    instead of failing the capture (licence-gated APIs, per docs/kri.md's
    fail-safe table). `permission` names what backs it, for messages.
    """

    name: str
    path: str
    permission: str
    params: tuple[tuple[str, str], ...] = ()
    tolerated: frozenset[int] = field(default=frozenset())

    def url(self, graph_url: str, *, path: str | None = None,
            params: tuple[tuple[str, str], ...] | None = None) -> str:
        """The request URL under `graph_url`; `path`/`params` override the defaults."""
        query = params if params is not None else self.params
        encoded = urlencode(query, quote_via=quote, safe="$,/:") if query else ""
        return f"{graph_url}{path or self.path}" + (f"?{encoded}" if encoded else "")


USER_FIELDS = (
    "id", "displayName", "userPrincipalName", "mail", "accountEnabled", "userType",
    "createdDateTime", "creationType", "externalUserState", "identities",
    "onPremisesSyncEnabled",
)
SIGN_IN_ACTIVITY = "signInActivity"

ORGANIZATION = Collection("organization", "/organization", "User.Read.All")
USERS = Collection(
    "users", "/users", "User.Read.All",
    params=(("$select", ",".join((*USER_FIELDS, SIGN_IN_ACTIVITY))), ("$top", "999")),
)
USERS_WITHOUT_SIGN_IN_ACTIVITY = (("$select", ",".join(USER_FIELDS)), ("$top", "999"))
DIRECTORY_ROLES = Collection("directory_roles", "/directoryRoles", "Directory.Read.All")
DIRECTORY_ROLE_MEMBERS = Collection(
    "directory_role_members", "/directoryRoles/{id}/members", "Directory.Read.All"
)
GROUP_MEMBERS = Collection(
    "group_members", "/groups/{id}/transitiveMembers", "Directory.Read.All",
    params=(("$top", "999"),),
)
SIGN_INS = Collection(
    "sign_ins", "/auditLogs/signIns", "AuditLog.Read.All (and Entra ID P1/P2)",
    params=(("$top", "1000"),), tolerated=REFUSALS_TOLERATED,
)
DIRECTORY_AUDITS = Collection(
    "directory_audits", "/auditLogs/directoryAudits", "AuditLog.Read.All",
    tolerated=REFUSALS_TOLERATED,
)
CONDITIONAL_ACCESS_POLICIES = Collection(
    "conditional_access_policies", "/identity/conditionalAccess/policies",
    "Policy.Read.All (and Entra ID P1/P2)", tolerated=REFUSALS_TOLERATED,
)
USER_REGISTRATION_DETAILS = Collection(
    "user_registration_details", "/reports/authenticationMethods/userRegistrationDetails",
    "AuditLog.Read.All", tolerated=REFUSALS_TOLERATED,
)
# What Conditional Access policies reference (docs/ca-resolver.md). One group's refusal is
# recorded per group in the manifest; a refused strength read is recorded as usual.
CA_GROUP_MEMBERS = Collection(
    "ca_group_members", "/groups/{id}/transitiveMembers", "Directory.Read.All",
    params=(("$top", "999"),), tolerated=REFUSALS_TOLERATED,
)
GROUP_NAME_PARAMS = (("$select", "id,displayName"),)
AUTHENTICATION_STRENGTH_POLICIES = Collection(
    "authentication_strength_policies", "/policies/authenticationStrengthPolicies",
    "Policy.Read.All", tolerated=REFUSALS_TOLERATED,
)
# Named locations: whether each is trusted (isTrusted), which AllTrusted depends on.
NAMED_LOCATIONS = Collection(
    "named_locations", "/identity/conditionalAccess/namedLocations", "Policy.Read.All",
    tolerated=REFUSALS_TOLERATED,
)

ALL = (
    ORGANIZATION, USERS, DIRECTORY_ROLES, DIRECTORY_ROLE_MEMBERS, GROUP_MEMBERS, SIGN_INS,
    DIRECTORY_AUDITS, CONDITIONAL_ACCESS_POLICIES, CA_GROUP_MEMBERS,
    AUTHENTICATION_STRENGTH_POLICIES, NAMED_LOCATIONS, USER_REGISTRATION_DETAILS,
)


def graph_timestamp(moment: datetime) -> str:
    """A UTC instant as Graph's `$filter` wants it: unquoted, seconds, `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def window_filter(field_name: str, start: datetime, end: datetime) -> str:
    return (
        f"{field_name} ge {graph_timestamp(start)} and {field_name} le {graph_timestamp(end)}"
    )
