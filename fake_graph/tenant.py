"""The fake tenant: every object the fake Graph serves, plus its credentials and knobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, overload

ALL_APP_ROLES: frozenset[str] = frozenset(
    {
        "User.Read.All",
        "Directory.Read.All",
        "AuditLog.Read.All",
        "Policy.Read.All",
        "Reports.Read.All",
    }
)

Json = dict[str, Any]

# Microsoft's three built-in authentication strengths, as GET
# /policies/authenticationStrengthPolicies returns them (learn.microsoft.com,
# "Built-in authentication strengths"; ids are fixed across tenants).
_BUILT_IN_CREATED = "2021-12-01T00:00:00Z"
BUILT_IN_STRENGTHS: tuple[Json, ...] = (
    {
        "id": "00000000-0000-0000-0000-000000000002",
        "createdDateTime": _BUILT_IN_CREATED,
        "modifiedDateTime": _BUILT_IN_CREATED,
        "displayName": "Multifactor authentication",
        "description": "Combinations of methods that satisfy strong authentication, such as a "
        "password + SMS",
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": [
            "windowsHelloForBusiness",
            "fido2",
            "x509CertificateMultiFactor",
            "deviceBasedPush",
            "temporaryAccessPassOneTime",
            "temporaryAccessPassMultiUse",
            "password,microsoftAuthenticatorPush",
            "password,softwareOath",
            "password,hardwareOath",
            "password,sms",
            "password,voice",
            "federatedMultiFactor",
            "microsoftAuthenticatorPush,federatedSingleFactor",
            "softwareOath,federatedSingleFactor",
            "hardwareOath,federatedSingleFactor",
            "sms,federatedSingleFactor",
            "voice,federatedSingleFactor",
        ],
    },
    {
        "id": "00000000-0000-0000-0000-000000000003",
        "createdDateTime": _BUILT_IN_CREATED,
        "modifiedDateTime": _BUILT_IN_CREATED,
        "displayName": "Passwordless MFA",
        "description": "Passwordless methods that satisfy strong authentication, such as "
        "Passwordless sign-in with the Microsoft Authenticator",
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": [
            "windowsHelloForBusiness",
            "fido2",
            "x509CertificateMultiFactor",
            "deviceBasedPush",
        ],
    },
    {
        "id": "00000000-0000-0000-0000-000000000004",
        "createdDateTime": _BUILT_IN_CREATED,
        "modifiedDateTime": _BUILT_IN_CREATED,
        "displayName": "Phishing-resistant MFA",
        "description": "Phishing-resistant, Passwordless methods for the strongest "
        "authentication, such as a FIDO2 security key",
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": [
            "windowsHelloForBusiness",
            "fido2",
            "x509CertificateMultiFactor",
        ],
    },
)


class LazySequence(Sequence[Json]):
    """A read-only sequence whose items are built on demand from their index.

    Lets `make_tenant` describe a million users without holding a million dicts:
    serving one page builds only that page.
    """

    def __init__(self, length: int, build: Callable[[int], Json]) -> None:
        self._length = length
        self._build = build

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> Json: ...

    @overload
    def __getitem__(self, index: slice) -> list[Json]: ...

    def __getitem__(self, index: int | slice) -> Json | list[Json]:
        if isinstance(index, slice):
            return [self._build(i) for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        return self._build(index)

    def __iter__(self) -> Iterator[Json]:
        return (self._build(i) for i in range(self._length))


@dataclass
class FakeTenant:
    """Everything one fake Entra tenant holds, in Graph's own JSON shapes.

    Users are full Graph user objects (the fake applies `$select`); a user whose
    dict has no `signInActivity` key gets none in responses (Graph stripping it),
    one with `"signInActivity": None` gets `null`.
    """

    tenant_id: str
    client_id: str
    client_secret: str
    now: datetime
    organization: Json
    users: Sequence[Json]
    registration_details: Sequence[Json]
    directory_roles: list[Json]
    role_members: dict[str, list[Json]]
    group_transitive_members: dict[str, list[Json]]
    sign_ins: Sequence[Json]
    directory_audits: Sequence[Json]
    ca_policies: list[Json]
    licence: Literal["p1", "free"] = "p1"
    granted_roles: set[str] = field(default_factory=lambda: set(ALL_APP_ROLES))
    secret_state: Literal["valid", "expired"] = "valid"
    # Microsoft documents a P1/P2 requirement for the authentication-methods
    # reports; whether a Free tenant is refused in practice is unverified, so
    # it is a knob (default: the report answers on Free too).
    registration_details_need_premium: bool = False
    # GET /groups/{id} objects (display names): a group not here answers 404 there,
    # as one not in group_transitive_members does on /transitiveMembers.
    groups: dict[str, Json] = field(default_factory=dict)
    authentication_strength_policies: list[Json] = field(
        default_factory=lambda: list(BUILT_IN_STRENGTHS)
    )
    # GET /identity/conditionalAccess/namedLocations (ipNamedLocation, countryNamedLocation).
    named_locations: list[Json] = field(default_factory=list)
    # PEM of a certificate registered on the app: client assertions signed with
    # its private key are accepted in place of the secret.
    certificate_pem: str | None = None
