"""Builders for Graph objects in the shapes Graph returns them (shared by both generators)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from .odata import format_time
from .tenant import BUILT_IN_STRENGTHS

Json = dict[str, Any]

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
_ID_NAMESPACE = uuid.UUID("3b0f1c9e-7a51-4f0e-8d2b-5f4c1a6e9d10")
NEVER_SIGNED_IN = "0001-01-01T00:00:00Z"
MISSING = object()  # a user built with this as sign-in has no signInActivity key at all

# Role template ids are Microsoft's fixed, documented ones.
ROLE_TEMPLATES = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509",
    "Exchange Administrator": "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
}


def make_id(*parts: object) -> str:
    """A deterministic GUID for the given parts."""
    return str(uuid.uuid5(_ID_NAMESPACE, "|".join(str(p) for p in parts)))


def sign_in_activity(last: str | None, request_id: str | None) -> Json:
    return {
        "lastSignInDateTime": last,
        "lastSignInRequestId": request_id,
        "lastNonInteractiveSignInDateTime": last if last not in ("", NEVER_SIGNED_IN) else None,
        "lastNonInteractiveSignInRequestId": request_id,
        "lastSuccessfulSignInDateTime": last if last not in ("", NEVER_SIGNED_IN) else None,
        "lastSuccessfulSignInRequestId": request_id,
    }


def user(
    *,
    user_id: str,
    given: str,
    surname: str,
    upn: str,
    domain: str,
    enabled: bool,
    user_type: str | None,
    created: datetime,
    activity: object,
    department: str | None = None,
    job_title: str | None = None,
    synced: bool | None = None,
    external_state: str | None = None,
) -> Json:
    """A full Graph user object (the fake applies `$select`).

    `activity` is a signInActivity dict, None (Graph sends null) or `MISSING`.
    """
    guest = user_type == "Guest"
    nickname = upn.split("@")[0]
    obj: Json = {
        "id": user_id,
        "businessPhones": [] if guest else ["+44 20 7946 0" + user_id[-3:]],
        "displayName": f"{given} {surname}",
        "givenName": given,
        "surname": surname,
        "jobTitle": job_title,
        "mail": upn if not guest else f"{given.lower()}.{surname.lower()}@partner.example",
        "mobilePhone": None,
        "officeLocation": None if guest else "Bldg 2",
        "preferredLanguage": "en-GB" if not guest else None,
        "userPrincipalName": upn,
        "accountEnabled": enabled,
        "ageGroup": None,
        "city": None if guest else "London",
        "companyName": None if guest else "Northwind Demo Ltd",
        "country": None if guest else "United Kingdom",
        "createdDateTime": format_time(created),
        "creationType": "Invitation" if guest else None,
        "department": department,
        "employeeId": None,
        "employeeType": None,
        "externalUserState": external_state,
        "externalUserStateChangeDateTime": format_time(created) if external_state else None,
        "identities": [
            {"signInType": "userPrincipalName", "issuer": domain, "issuerAssignedId": upn}
        ],
        "lastPasswordChangeDateTime": format_time(created),
        "mailNickname": nickname,
        "onPremisesLastSyncDateTime": format_time(created) if synced else None,
        "onPremisesSyncEnabled": synced,
        "otherMails": [],
        "proxyAddresses": [] if guest else [f"SMTP:{upn}"],
        "usageLocation": "GB",
        "userType": user_type,
    }
    if activity is not MISSING:
        obj["signInActivity"] = activity
    return obj


def registration_row(
    u: Json, *, registered: bool, methods: list[str], updated: datetime, extra: bool = False
) -> Json:
    """A userRegistrationDetails row for user `u` (Graph's lower-case userType)."""
    user_type = "guest" if u.get("userType") == "Guest" else "member"
    row: Json = {
        "id": u["id"],
        "userPrincipalName": u["userPrincipalName"],
        "userDisplayName": u["displayName"],
        "userType": user_type,
        "isAdmin": False,
        "isSsprRegistered": registered,
        "isSsprEnabled": True,
        "isSsprCapable": registered,
        "isMfaRegistered": registered,
        "isMfaCapable": registered,
        "isPasswordlessCapable": "fido2" in methods or "windowsHelloForBusiness" in methods,
        "methodsRegistered": methods,
        "isSystemPreferredAuthenticationMethodEnabled": True,
        "systemPreferredAuthenticationMethods": ["push"] if registered else [],
        "userPreferredMethodForSecondaryAuthentication": "push" if registered else "none",
        "lastUpdatedDateTime": format_time(updated, 7),
    }
    if extra:
        row["defaultMfaMethod"] = "microsoftAuthenticatorPush"  # a beta property: noise
    return row


def directory_role(name: str, description: str) -> Json:
    template = ROLE_TEMPLATES[name]
    return {
        "id": make_id("role", template),
        "deletedDateTime": None,
        "description": description,
        "displayName": name,
        "roleTemplateId": template,
    }


def user_member(u: Json) -> Json:
    """A user as /directoryRoles/{id}/members and transitiveMembers list it."""
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": u["id"],
        "businessPhones": u["businessPhones"],
        "displayName": u["displayName"],
        "givenName": u["givenName"],
        "jobTitle": u["jobTitle"],
        "mail": u["mail"],
        "mobilePhone": u["mobilePhone"],
        "officeLocation": u["officeLocation"],
        "preferredLanguage": u["preferredLanguage"],
        "surname": u["surname"],
        "userPrincipalName": u["userPrincipalName"],
    }


def group(group_id: str, name: str, created: datetime, *, role_assignable: bool = True) -> Json:
    """A group as GET /groups/{id} returns it."""
    return {
        "id": group_id,
        "deletedDateTime": None,
        "classification": None,
        "createdDateTime": format_time(created),
        "description": f"{name} (role-assignable)" if role_assignable else name,
        "displayName": name,
        "groupTypes": [],
        "isAssignableToRole": role_assignable,
        "mail": None,
        "mailEnabled": False,
        "mailNickname": name.lower().replace(" ", "-"),
        "securityEnabled": True,
        "visibility": "Private",
    }


def group_member(
    group_id: str, name: str, created: datetime, *, role_assignable: bool = True
) -> Json:
    """A group as /directoryRoles/{id}/members and transitiveMembers list it."""
    return {
        "@odata.type": "#microsoft.graph.group",
        **group(group_id, name, created, role_assignable=role_assignable),
    }


def service_principal_member(sp_id: str, app_id: str, name: str) -> Json:
    return {
        "@odata.type": "#microsoft.graph.servicePrincipal",
        "id": sp_id,
        "accountEnabled": True,
        "appDisplayName": name,
        "appId": app_id,
        "displayName": name,
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMyOrg",
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
    }


def sign_in(
    *,
    sign_in_id: str,
    u: Json,
    created: datetime,
    digits: int,
    error_code: int,
    extra: bool = False,
) -> Json:
    failure_reasons = {
        0: None,
        50126: "Error validating credentials due to invalid username or password.",
        50074: "Strong Authentication is required.",
        53003: "Access has been blocked by Conditional Access policies.",
        50053: "Account is locked because user tried to sign in too many times.",
    }
    obj: Json = {
        "id": sign_in_id,
        "createdDateTime": format_time(created, digits),
        "userDisplayName": u["displayName"],
        "userPrincipalName": u["userPrincipalName"],
        "userId": u["id"],
        "appId": "00000002-0000-0ff1-ce00-000000000000",
        "appDisplayName": "Office 365 Exchange Online",
        "ipAddress": f"203.0.113.{int(sign_in_id[-2:], 16) % 250 + 1}",
        "clientAppUsed": "Browser",
        "correlationId": make_id("correlation", sign_in_id),
        "conditionalAccessStatus": "failure" if error_code == 53003 else "success",
        "isInteractive": True,
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskLevelDuringSignIn": "none",
        "riskState": "none",
        "riskEventTypes": [],
        "riskEventTypes_v2": [],
        "resourceDisplayName": "Office 365 Exchange Online",
        "resourceId": "00000002-0000-0ff1-ce00-000000000000",
        "status": {
            "errorCode": error_code,
            "failureReason": failure_reasons.get(error_code) or "Other.",
            "additionalDetails": None,
        },
        "deviceDetail": {
            "deviceId": "",
            "displayName": "",
            "operatingSystem": "Windows10",
            "browser": "Edge 131.0.0",
            "isCompliant": False,
            "isManaged": False,
            "trustType": "",
        },
        "location": {
            "city": "London",
            "state": "London",
            "countryOrRegion": "GB",
            "geoCoordinates": {"altitude": None, "latitude": 51.5, "longitude": -0.12},
        },
        "appliedConditionalAccessPolicies": [],
    }
    if extra:
        obj["authenticationRequirement"] = "singleFactorAuthentication"  # beta-only: noise
    return obj


def directory_audit(
    *,
    audit_id: str,
    when: datetime,
    digits: int,
    category: str,
    activity: str,
    actor: Json | None,
    target: Json,
    new_value: str | None = None,
) -> Json:
    """A directoryAudit. `id` is not a GUID; `newValue` is JSON inside a string."""
    initiated: Json
    if actor is not None:
        initiated = {
            "app": None,
            "user": {
                "id": actor["id"],
                "displayName": None,
                "userPrincipalName": actor["userPrincipalName"],
                "ipAddress": "198.51.100.7",
            },
        }
    else:
        initiated = {
            "app": {
                "appId": None,
                "displayName": "MS-PIM",
                "servicePrincipalId": make_id("sp", "MS-PIM"),
                "servicePrincipalName": None,
            },
            "user": None,
        }
    return {
        "id": audit_id,
        "category": category,
        "correlationId": make_id("audit-correlation", audit_id),
        "result": "success",
        "resultReason": "",
        "activityDisplayName": activity,
        "activityDateTime": format_time(when, digits),
        "loggedByService": "Core Directory" if category != "RoleManagement" else "PIM",
        "operationType": "Assign" if category == "RoleManagement" else "Update",
        "initiatedBy": initiated,
        "targetResources": [
            {
                "id": target["id"],
                "displayName": target.get("displayName"),
                "type": "User",
                "userPrincipalName": target.get("userPrincipalName"),
                "groupType": None,
                "modifiedProperties": [
                    {
                        "displayName": "Role.DisplayName",
                        "oldValue": None,
                        "newValue": new_value,
                    }
                ]
                if new_value is not None
                else [],
            }
        ],
        "additionalDetails": [{"key": "User-Agent", "value": "EvoSTS"}],
    }


MFA_STRENGTH: Json = BUILT_IN_STRENGTHS[0]  # "Multifactor authentication"
PHISHING_RESISTANT_STRENGTH: Json = BUILT_IN_STRENGTHS[2]


def ca_policy(
    *,
    name: str,
    state: str,
    created: datetime,
    include_users: list[str],
    exclude_users: list[str] | None = None,
    include_roles: list[str] | None = None,
    grant: Json | None,
    extra: bool = False,
    users: Json | None = None,
    conditions: Json | None = None,
) -> Json:
    """A policy shaped like Graph's; `users`/`conditions` override those parts' keys."""
    obj: Json = {
        "id": make_id("ca", name),
        "templateId": None,
        "displayName": name,
        "createdDateTime": format_time(created, 7),
        "modifiedDateTime": format_time(created + timedelta(days=3), 7),
        "state": state,
        "sessionControls": None,
        "conditions": {
            "userRiskLevels": [],
            "signInRiskLevels": [],
            "clientAppTypes": ["all"],
            "servicePrincipalRiskLevels": [],
            "platforms": None,
            "locations": None,
            "devices": None,
            "clientApplications": None,
            "applications": {
                "includeApplications": ["All"],
                "excludeApplications": [],
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": None,
            },
            "users": {
                "includeUsers": include_users,
                "excludeUsers": exclude_users or [],
                "includeGroups": [],
                "excludeGroups": [],
                "includeRoles": include_roles or [],
                "excludeRoles": [],
                "includeGuestsOrExternalUsers": None,
                "excludeGuestsOrExternalUsers": None,
                **(users or {}),
            },
            **(conditions or {}),
        },
        "grantControls": grant,
    }
    if extra:
        obj["partialEnablementStrategy"] = None  # beta-only: noise
    return obj


def guests_or_external_users(types: str, tenants: Json | None = None) -> Json:
    """conditionalAccessGuestsOrExternalUsers: `types` is Graph's comma-joined string."""
    return {
        "guestOrExternalUserTypes": types,
        "externalTenants": tenants
        if tenants is not None
        else {
            "@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants",
            "membershipKind": "all",
        },
    }


def grant(controls: list[str], strength: Json | None = None, operator: str = "OR") -> Json:
    return {
        "operator": operator,
        "builtInControls": controls,
        "customAuthenticationFactors": [],
        "termsOfUse": [],
        "authenticationStrength@odata.context": (
            "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies"
            "('id')/grantControls/authenticationStrength/$entity"
        ),
        "authenticationStrength": strength,
    }


def organization(tenant_id: str, name: str, domain: str, initial: str, created: datetime) -> Json:
    return {
        "id": tenant_id,
        "deletedDateTime": None,
        "businessPhones": ["+44 20 7946 0000"],
        "city": "London",
        "country": None,
        "countryLetterCode": "GB",
        "createdDateTime": format_time(created),
        "defaultUsageLocation": None,
        "displayName": name,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": None,
        "onPremisesSyncEnabled": None,
        "partnerTenantType": None,
        "postalCode": "EC1A 1AA",
        "preferredLanguage": "en",
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": None,
        "street": "1 Example Street",
        "technicalNotificationMails": [f"it@{domain}"],
        "tenantType": "AAD",
        "directorySizeQuota": {"used": 1200, "total": 300000},
        "assignedPlans": [],
        "privacyProfile": None,
        "provisionedPlans": [],
        "verifiedDomains": [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": True,
                "isInitial": False,
                "name": domain,
                "type": "Managed",
            },
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": False,
                "isInitial": True,
                "name": initial,
                "type": "Managed",
            },
        ],
    }


def ip_named_location(name: str, created: datetime, cidrs: list[str], *,
                      trusted: bool) -> Json:
    """An ipNamedLocation: the only kind of named location that carries isTrusted."""
    return {
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        "id": make_id("named location", name),
        "displayName": name,
        "modifiedDateTime": format_time(created),
        "createdDateTime": format_time(created),
        "isTrusted": trusted,
        "ipRanges": [{"@odata.type": "#microsoft.graph.iPv6CidrRange" if ":" in cidr
                      else "#microsoft.graph.iPv4CidrRange", "cidrAddress": cidr}
                     for cidr in cidrs],
    }


def country_named_location(name: str, created: datetime, countries: list[str]) -> Json:
    """A countryNamedLocation: no isTrusted property, never trusted."""
    return {
        "@odata.type": "#microsoft.graph.countryNamedLocation",
        "id": make_id("named location", name),
        "displayName": name,
        "modifiedDateTime": format_time(created),
        "createdDateTime": format_time(created),
        "countriesAndRegions": countries,
        "includeUnknownCountriesAndRegions": False,
        "countryLookupMethod": "clientIpAddress",
    }
