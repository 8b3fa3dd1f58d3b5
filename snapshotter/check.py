"""`entra-kri check`: can this app read this tenant, and what would be degraded?

Each collection the capture reads is probed with the smallest request it
accepts, and the answers are read together with the token's roles: a
permission the token lacks costs nothing when the collections it backs answer
anyway (AuditLog.Read.All covers the registration report, Directory.Read.All
covers /users), and a refusal is named with what it would cost the KRIs
(docs/kri.md, "When Graph refuses"). Only a refusal of a collection without
which no KRI is computed fails the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from entra_kri.snapshotter import collections as c
from entra_kri.snapshotter.auth import REQUIRED_PERMISSIONS, token_roles
from entra_kri.snapshotter.http import GraphClient

from entra_kri.errors import GraphError

NO_SNAPSHOT = "no snapshot can be taken, so no KRI at all"
TOP_1 = (("$top", "1"),)


@dataclass(frozen=True)
class Probe:
    """One collection the capture reads, the request that tests it, and what a refusal costs."""

    label: str
    collection: c.Collection
    params: tuple[tuple[str, str], ...]
    permissions: frozenset[str]  # any one of these lets the app read it
    cost: str
    required: bool = False  # refused: the capture fails (docs/kri.md)


PROBES = (
    Probe("/organization", c.ORGANIZATION, (),
          frozenset({"User.Read.All", "Directory.Read.All"}), NO_SNAPSHOT, required=True),
    Probe("/users", c.USERS, (("$select", "id"), *TOP_1),
          frozenset({"User.Read.All", "Directory.Read.All"}), NO_SNAPSHOT, required=True),
    Probe("/directoryRoles", c.DIRECTORY_ROLES, (), frozenset({"Directory.Read.All"}),
          NO_SNAPSHOT, required=True),
    Probe("signInActivity on /users", c.USERS, (("$select", "id,signInActivity"), *TOP_1),
          frozenset({"AuditLog.Read.All"}),
          "every enabled member counts as stale: entra_stale_accounts_90d degraded"),
    Probe("/auditLogs/signIns", c.SIGN_INS, TOP_1, frozenset({"AuditLog.Read.All"}),
          "entra_failed_signins_24h is 0, degraded"),
    Probe("/auditLogs/directoryAudits", c.DIRECTORY_AUDITS, TOP_1,
          frozenset({"AuditLog.Read.All"}), "entra_priv_role_changes_24h is 0, degraded"),
    Probe("/identity/conditionalAccess/policies", c.CONDITIONAL_ACCESS_POLICIES, (),
          frozenset({"Policy.Read.All"}),
          "both CA KRIs count every enabled member as a gap, degraded"),
    Probe("/policies/authenticationStrengthPolicies", c.AUTHENTICATION_STRENGTH_POLICIES, (),
          frozenset({"Policy.Read.All"}),
          "a policy requiring an authentication strength covers no one: "
          "entra_ca_coverage_gaps_exact degraded"),
    Probe("/reports/authenticationMethods/userRegistrationDetails",
          c.USER_REGISTRATION_DETAILS, TOP_1, frozenset({"AuditLog.Read.All"}),
          "every user counts as not MFA-registered: entra_mfa_enrollment_pct and "
          "entra_privileged_no_mfa_count degraded"),
)


@dataclass
class CheckReport:
    """The tenant, the token's roles (None: not readable) and each probe's answer."""

    tenant_id: str
    tenant_name: str
    roles: list[str] | None
    refusals: dict[str, str] = field(default_factory=dict)  # probe label -> "403 code"

    def answered(self, probe: Probe) -> bool:
        return probe.label not in self.refusals

    @property
    def refused_required(self) -> list[Probe]:
        """The refused collections without which no KRI is computed."""
        return [p for p in PROBES if p.required and not self.answered(p)]

    @property
    def ok(self) -> bool:
        return not self.refused_required

    @property
    def missing(self) -> list[str]:
        """The permissions the capture asks for that the token does not carry."""
        if self.roles is None:
            return []
        return [p for p in REQUIRED_PERMISSIONS if p not in self.roles]

    def cost_of_missing(self, permission: str) -> str:
        """What lacking `permission` costs, judged by what the probes it backs answered."""
        backed = [p for p in PROBES if permission in p.permissions]
        refused = [p for p in backed if not self.answered(p)]
        if not refused:
            return "costs nothing: " + ", ".join(p.label for p in backed) + " answered"
        return "; ".join(f"{p.label} refused: {p.cost}" for p in refused)


def run_check(client: GraphClient, graph_url: str) -> CheckReport:
    """Read the token's roles, then probe every collection; an unreadable /organization
    leaves the tenant's name unknown but does not stop the other probes."""
    roles = token_roles(client.tokens.token())
    report = CheckReport("", "(unknown)", roles)
    for probe in PROBES:
        try:
            body = client.get_json(probe.collection.url(graph_url, params=probe.params))
        except GraphError as exc:
            report.refusals[probe.label] = f"{exc.status} {exc.code}"
            continue
        if probe.collection is c.ORGANIZATION:
            organization = (body.get("value") or [{}])[0]
            report.tenant_id = organization.get("id", "")
            report.tenant_name = organization.get("displayName", "(no name)")
    return report
