"""Conditional Access objects shaped like Graph v1.0 sends them, for the resolver's tests.

`ca_policy` gives every key Graph sends, with Graph's empty forms (null, [],
["all"]), so a test changes only the clause it is about. `evaluations` runs the
resolver's per-(user, policy) view on a snapshot.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from entra_kri.analysis.compute import connect, materialize_for

from entra_kri.snapshot.validate import open_snapshot
from tests.snapshot_builder import user

Json = dict[str, Any]

ALL_EXTERNAL_TENANTS = {
    "@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants",
    "membershipKind": "all",
}
STRENGTH_CONTEXT = (
    "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies('p')"
    "/grantControls/authenticationStrength/$entity"
)
MFA_STRENGTH_ID = "00000000-0000-0000-0000-000000000002"
PHISHING_RESISTANT_ID = "00000000-0000-0000-0000-000000000004"
BUILT_IN_STRENGTHS: list[Json] = [
    {
        "id": MFA_STRENGTH_ID,
        "displayName": "Multifactor authentication",
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": [
            "windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor", "deviceBasedPush",
            "temporaryAccessPassOneTime", "temporaryAccessPassMultiUse",
            "password,microsoftAuthenticatorPush", "password,softwareOath",
            "password,hardwareOath", "password,sms", "password,voice", "federatedMultiFactor",
            "microsoftAuthenticatorPush,federatedSingleFactor",
        ],
    },
    {
        "id": PHISHING_RESISTANT_ID,
        "displayName": "Phishing-resistant MFA",
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
    },
]


def grant(controls: list[str] | None = None, *, operator: str | None = "OR",
          strength: Json | None = None, terms_of_use: list[str] | None = None,
          custom: list[str] | None = None) -> Json:
    """conditionalAccessGrantControls (the authentication strength is expanded inline)."""
    return {
        "operator": operator,
        "builtInControls": ["mfa"] if controls is None else controls,
        "customAuthenticationFactors": custom or [],
        "termsOfUse": terms_of_use or [],
        "authenticationStrength@odata.context": STRENGTH_CONTEXT,
        "authenticationStrength": strength,
    }


def strength(strength_id: str, name: str, combinations: list[str] | None) -> Json:
    """An authenticationStrengthPolicy; `combinations=None` leaves allowedCombinations out."""
    obj: Json = {
        "id": strength_id,
        "createdDateTime": "2024-01-01T00:00:00Z",
        "modifiedDateTime": "2024-01-01T00:00:00Z",
        "displayName": name,
        "description": None,
        "policyType": "custom",
        "requirementsSatisfied": "mfa",
    }
    if combinations is not None:
        obj["allowedCombinations"] = combinations
    return obj


def guests(types: str, tenants: Json | None = None) -> Json:
    """conditionalAccessGuestsOrExternalUsers; `types` is Graph's comma-joined string."""
    return {"guestOrExternalUserTypes": types,
            "externalTenants": ALL_EXTERNAL_TENANTS if tenants is None else tenants}


def ca_policy(policy_id: str, *, state: str = "enabled", users: Json | None = None,
              applications: Json | None = None, conditions: Json | None = None,
              grant_controls: Json | str | None = "mfa", name: str | None = None) -> Json:
    """A policy requiring MFA of All users for All apps; keyword parts override its keys.

    `users`/`applications`/`conditions` update those objects key by key; a value of
    `...` (Ellipsis) removes the key.
    """
    policy: Json = {
        "id": policy_id,
        "templateId": None,
        "displayName": name or f"Policy {policy_id}",
        "createdDateTime": "2026-01-01T00:00:00Z",
        "modifiedDateTime": "2026-01-02T00:00:00Z",
        "state": state,
        "sessionControls": None,
        "conditions": {
            "userRiskLevels": [],
            "signInRiskLevels": [],
            "clientAppTypes": ["all"],
            "servicePrincipalRiskLevels": [],
            "insiderRiskLevels": None,
            "platforms": None,
            "locations": None,
            "devices": None,
            "clientApplications": None,
            "authenticationFlows": None,
            "applications": {
                "includeApplications": ["All"],
                "excludeApplications": [],
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": None,
            },
            "users": {
                "includeUsers": ["All"],
                "excludeUsers": [],
                "includeGroups": [],
                "excludeGroups": [],
                "includeRoles": [],
                "excludeRoles": [],
                "includeGuestsOrExternalUsers": None,
                "excludeGuestsOrExternalUsers": None,
            },
        },
        "grantControls": grant() if grant_controls == "mfa" else copy.deepcopy(grant_controls),
    }
    _update(policy["conditions"]["users"], users)
    _update(policy["conditions"]["applications"], applications)
    _update(policy["conditions"], conditions)
    return policy


def _update(target: Json, changes: Json | None) -> None:
    for key, value in (changes or {}).items():
        if value is ...:
            target.pop(key, None)
        else:
            target[key] = copy.deepcopy(value)


def b2b_member(user_id: str, *, upn: bool = True, invitation: bool = True,
               state: bool = True, identity: bool = True) -> Json:
    """An enabled member carrying the chosen guest/external markers (docs/ca-resolver.md)."""
    extra: Json = {"creationType": "Invitation" if invitation else None,
                   "externalUserState": "Accepted" if state else None,
                   "identities": [{"signInType": "federated" if identity else "userPrincipalName",
                                   "issuer": "ExternalAzureAD" if identity else "contoso.example",
                                   "issuerAssignedId": None}]}
    row = user(user_id, **extra)
    if upn:
        row["userPrincipalName"] = f"{user_id}_partner.example#EXT#@contoso.onmicrosoft.com"
    return row


def evaluations(snapshot: Path) -> dict[tuple[str, str], Json]:
    """(user id, policy id) -> the resolver's evaluation row."""
    with connect(open_snapshot(snapshot)) as con:
        con.execute("set variable ca_evaluate_every_member = true")
        sql = ("select u.user_id, e.* from int_ca_user_profiles as u "
               "inner join int_ca_profile_policy_evaluations as e "
               "on e.profile_key = u.profile_key")
        materialize_for(con, sql)
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    return {(r["user_id"], r["policy_id"]): r for r in rows}
