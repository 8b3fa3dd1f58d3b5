"""`entra-kri check`: can this app read this tenant, and what will be degraded?"""

from __future__ import annotations

from dataclasses import dataclass, field

from entra_kri.snapshotter import collections as c
from entra_kri.snapshotter.auth import REQUIRED_PERMISSIONS, token_roles
from entra_kri.snapshotter.http import GraphClient
from entra_kri.snapshotter.refusals import fatal_error

from entra_kri.errors import GraphError

# The licence-gated reads, probed with the smallest request each accepts.
PROBES = (
    ("signInActivity on /users", c.USERS, (("$select", "id,signInActivity"), ("$top", "1"))),
    ("/auditLogs/signIns", c.SIGN_INS, (("$top", "1"),)),
    ("/identity/conditionalAccess/policies", c.CONDITIONAL_ACCESS_POLICIES, ()),
    ("/reports/authenticationMethods/userRegistrationDetails", c.USER_REGISTRATION_DETAILS,
     (("$top", "1"),)),
    ("/auditLogs/directoryAudits", c.DIRECTORY_AUDITS, (("$top", "1"),)),
)


@dataclass
class CheckReport:
    tenant_id: str
    tenant_name: str
    roles: list[str] | None
    probes: dict[str, str] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [p for p in REQUIRED_PERMISSIONS if self.roles is not None and p not in self.roles]

    @property
    def ok(self) -> bool:
        """All five permissions granted. Licence refusals are reported, not failures."""
        return not self.missing


def run_check(client: GraphClient, graph_url: str) -> CheckReport:
    """Token, then /organization (fatal if refused), then each licence-gated probe."""
    roles = token_roles(client.tokens.token())
    try:
        organization = client.get_json(c.ORGANIZATION.url(graph_url)).get("value") or [{}]
    except GraphError as exc:
        raise fatal_error(c.ORGANIZATION, exc) from exc
    report = CheckReport(organization[0].get("id", ""),
                         organization[0].get("displayName", "(no name)"), roles)
    for label, collection, params in PROBES:
        try:
            client.get_json(collection.url(graph_url, params=params))
            report.probes[label] = "ok"
        except GraphError as exc:
            report.probes[label] = f"refused: {exc.status} {exc.code}"
    return report
