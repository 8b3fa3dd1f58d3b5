"""Microsoft Graph v1.0, read-only, for the endpoints entra-kri captures.

Behaviour follows Microsoft's documentation and `docs/graph-behaviour.md`:
permissions per endpoint from the token's `roles`, licence gates, `$select`
projection on users, page sizes and `$top` limits, the two window filters, and
nextLinks that carry an opaque `$skiptoken` and the original query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from . import errors
from .exchange import Incoming, Json, Outgoing
from .odata import (
    QueryError,
    build_next_link,
    decode_skiptoken,
    parse_audits_filter,
    parse_select,
    parse_signins_filter,
    parse_time,
    parse_top,
    project,
)
from .tenant import FakeTenant
from .tokens import IssuedToken, TokenRegistry

PREFIX = "/v1.0"

# Application permissions that open each endpoint (any one is enough). Sources:
# the v1.0 API reference pages' permission tables.
READ_USERS = frozenset({"User.Read.All", "Directory.Read.All"})
READ_ORG = frozenset({"User.Read.All", "Directory.Read.All", "Organization.Read.All"})
READ_ROLES = frozenset({"Directory.Read.All", "RoleManagement.Read.Directory"})
READ_GROUP_MEMBERS = frozenset({"Directory.Read.All", "GroupMember.Read.All", "Group.Read.All"})
READ_AUDIT = frozenset({"AuditLog.Read.All"})
READ_CA = frozenset({"Policy.Read.All", "Policy.Read.ConditionalAccess"})
READ_GROUPS = frozenset({"Directory.Read.All", "Group.Read.All", "GroupMember.Read.All"})
READ_STRENGTHS = frozenset({"Policy.Read.All", "Policy.Read.AuthenticationMethod"})
GROUP_PROPERTIES = ("id", "displayName", "description", "groupTypes", "isAssignableToRole",
                    "mailEnabled", "securityEnabled", "createdDateTime")
_GROUP_KNOWN = {name.lower(): name for name in GROUP_PROPERTIES}
# userregistrationdetails-list (v1.0): Application "AuditLog.Read.All", nothing higher.
READ_REGISTRATION = frozenset({"AuditLog.Read.All"})

USER_PROPERTIES = (
    "id",
    "accountEnabled",
    "ageGroup",
    "businessPhones",
    "city",
    "companyName",
    "country",
    "createdDateTime",
    "creationType",
    "department",
    "displayName",
    "employeeId",
    "employeeType",
    "externalUserState",
    "externalUserStateChangeDateTime",
    "givenName",
    "identities",
    "jobTitle",
    "lastPasswordChangeDateTime",
    "mail",
    "mailNickname",
    "mobilePhone",
    "officeLocation",
    "onPremisesSyncEnabled",
    "onPremisesLastSyncDateTime",
    "otherMails",
    "preferredLanguage",
    "proxyAddresses",
    "signInActivity",
    "surname",
    "usageLocation",
    "userPrincipalName",
    "userType",
)
_USER_KNOWN = {name.lower(): name for name in USER_PROPERTIES}
# What /users returns without $select (Graph's default property set).
USER_DEFAULT_SELECT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
)
TIPS = (
    "Use $select to choose only the properties your app needs, as this can lead to performance "
    "improvements. For example: GET {example}"
)


class GraphRefusal(Exception):
    """A request Graph answers with an error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Page:
    """One page of a collection."""

    items: list[Json]
    next_offset: int | None


def _bad_request(exc: QueryError) -> GraphRefusal:
    return GraphRefusal(400, exc.code, exc.message)


class GraphApi:
    """Routes Graph requests for one tenant. Thread-safe."""

    def __init__(
        self,
        tenant: FakeTenant,
        tokens: TokenRegistry,
        *,
        reject_errorcode_ne: bool,
        refusal_for: Callable[[str], tuple[int, str] | None],
        now: Callable[[], float],
    ) -> None:
        self._tenant = tenant
        self._tokens = tokens
        self._reject_errorcode_ne = reject_errorcode_ne
        self._refusal_for = refusal_for
        self._now = now
        self._windows: dict[tuple[str, str], list[int]] = {}
        self._lock = threading.Lock()

    # -- entry point -------------------------------------------------------------------------

    def handle(self, req: Incoming) -> Outgoing:
        try:
            if req.method != "GET":
                raise GraphRefusal(405, *errors.METHOD_NOT_ALLOWED)
            token = self._authenticate(req)
            refusal = self._refusal_for(req.path)
            if refusal is not None:
                raise GraphRefusal(refusal[0], refusal[1], errors.DENIED[1])
            return Outgoing(200, self._route(req, token))
        except GraphRefusal as exc:
            return self.error(req, exc.status, exc.code, exc.message)

    def error(self, req: Incoming, status: int, code: str, message: str) -> Outgoing:
        body = errors.graph_error(
            code,
            message,
            date=req.date,
            request_id=req.request_id,
            client_request_id=req.client_request_id,
        )
        headers: dict[str, str] = {}
        if status == 401:
            headers["WWW-Authenticate"] = (
                'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/'
                'oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
            )
        return Outgoing(status, body, headers)

    # -- checks ------------------------------------------------------------------------------

    def _authenticate(self, req: Incoming) -> IssuedToken:
        header = req.headers.get("authorization", "")
        if not header.strip():
            raise GraphRefusal(401, *errors.MISSING_TOKEN)
        scheme, _, value = header.partition(" ")
        issued = self._tokens.lookup(value.strip()) if scheme.lower() == "bearer" else None
        if issued is None or issued.audience.lower() != req.root.lower():
            raise GraphRefusal(401, *errors.INVALID_TOKEN)
        if issued.expires_at <= self._now():
            raise GraphRefusal(401, *errors.EXPIRED_TOKEN)
        return issued

    @staticmethod
    def _require(token: IssuedToken, permissions: frozenset[str]) -> None:
        if not permissions.intersection(token.roles):
            raise GraphRefusal(403, *errors.DENIED)

    def _require_premium(self) -> None:
        if self._tenant.licence != "p1":
            raise GraphRefusal(403, *errors.NON_PREMIUM)

    # -- routing -----------------------------------------------------------------------------

    def _route(self, req: Incoming, token: IssuedToken) -> Json:
        if not req.path.startswith(PREFIX + "/"):
            raise GraphRefusal(400, "BadRequest", f"Invalid version: {req.path.split('/')[1]}")
        parts = [p for p in req.path[len(PREFIX) :].split("/") if p]
        lowered = [p.lower() for p in parts]
        try:
            match lowered:
                case ["organization"]:
                    self._require(token, READ_ORG)
                    return self._one_page(req, "organization", [self._tenant.organization])
                case ["users"]:
                    self._require(token, READ_USERS)
                    return self._users(req, token)
                case ["directoryroles"]:
                    self._require(token, READ_ROLES)
                    self._reject_paging_options(req)
                    return self._one_page(req, "directoryRoles", self._tenant.directory_roles)
                case ["directoryroles", _, "members"]:
                    self._require(token, READ_ROLES)
                    self._reject_paging_options(req)
                    return self._role_members(req, parts[1])
                case ["groups", _]:
                    self._require(token, READ_GROUPS)
                    return self._group(req, parts[1])
                case ["policies", "authenticationstrengthpolicies"]:
                    self._require(token, READ_STRENGTHS)
                    return self._one_page(
                        req, "policies/authenticationStrengthPolicies",
                        self._tenant.authentication_strength_policies,
                    )
                case ["groups", _, "transitivemembers"]:
                    self._require(token, READ_GROUP_MEMBERS)
                    return self._group_members(req, parts[1])
                case ["auditlogs", "signins"]:
                    self._require(token, READ_AUDIT)
                    self._require_premium()
                    return self._sign_ins(req)
                case ["auditlogs", "directoryaudits"]:
                    self._require(token, READ_AUDIT)
                    return self._directory_audits(req)
                case ["identity", "conditionalaccess", "namedlocations"]:
                    self._require(token, READ_CA)
                    return self._one_page(
                        req, "identity/conditionalAccess/namedLocations",
                        self._tenant.named_locations,
                    )
                case ["identity", "conditionalaccess", "policies"]:
                    self._require(token, READ_CA)
                    self._require_premium()
                    return self._one_page(
                        req, "identity/conditionalAccess/policies", self._tenant.ca_policies
                    )
                case ["reports", "authenticationmethods", "userregistrationdetails"]:
                    self._require(token, READ_REGISTRATION)
                    if self._tenant.registration_details_need_premium:
                        self._require_premium()
                    return self._registration_details(req)
        except QueryError as exc:
            raise _bad_request(exc) from exc
        segment = parts[-1] if parts else ""
        raise GraphRefusal(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

    # -- collections -------------------------------------------------------------------------

    def _envelope(self, req: Incoming, context: str, page: Page) -> Json:
        body: Json = {"@odata.context": f"{req.root}{PREFIX}/$metadata#{context}"}
        if page.next_offset is not None:
            body["@odata.nextLink"] = build_next_link(
                req.root, req.path, list(req.query_pairs), page.next_offset
            )
        body["value"] = page.items
        return body

    def _one_page(self, req: Incoming, context: str, items: Sequence[Json]) -> Json:
        return self._envelope(req, context, Page(list(items), None))

    @staticmethod
    def _reject_paging_options(req: Incoming) -> None:
        for option in ("$top", "$filter", "$skiptoken"):
            if req.param(option) is not None:
                name = option[1:].capitalize()
                raise GraphRefusal(
                    400,
                    "Request_UnsupportedQuery",
                    f"The query specified in the URI is not valid. Query option '{name}' is "
                    "not allowed.",
                )

    @staticmethod
    def _bounds(req: Incoming, total: int, size: int) -> tuple[int, int, int | None]:
        """(start, stop, next offset or None) of the page `$skiptoken` points at."""
        token = req.param("$skiptoken")
        start = decode_skiptoken(token, req.path) if token is not None else 0
        stop = min(start + size, total)
        return start, stop, stop if stop < total else None

    def _page(self, req: Incoming, items: Sequence[Json], size: int) -> Page:
        start, stop, following = self._bounds(req, len(items), size)
        return Page(list(items[start:stop]), following)

    def _users(self, req: Incoming, token: IssuedToken) -> Json:
        select = parse_select(req.param("$select"))
        if req.param("$filter") is not None:
            raise QueryError("Request_UnsupportedQuery", "This fake does not filter users.")
        chosen = select or list(USER_DEFAULT_SELECT)
        for name in chosen:
            if name.lower() not in _USER_KNOWN:
                raise QueryError(
                    "Request_BadRequest",
                    f"Could not find a property named '{name}' on type 'microsoft.graph.user'.",
                )
        canonical = [_USER_KNOWN[name.lower()] for name in chosen]
        size = parse_top(req.param("$top"), default=100, maximum=999)
        if "signInActivity" in canonical:
            if "AuditLog.Read.All" not in token.roles:
                raise GraphRefusal(403, *errors.PERMISSION_MISSING)
            self._require_premium()
            size = min(size, 500)
        page = self._page(req, self._tenant.users, size)
        items = [project(user, canonical, _USER_KNOWN) for user in page.items]
        context = f"users({','.join(canonical)})" if select else "users"
        body = self._envelope(req, context, Page(items, page.next_offset))
        if select is None:
            body = {
                "@microsoft.graph.tips": TIPS.format(
                    example="users?$select=businessPhones,displayName"
                ),
                **body,
            }
        return body

    def _role_members(self, req: Incoming, role_id: str) -> Json:
        if not any(role["id"] == role_id for role in self._tenant.directory_roles):
            raise GraphRefusal(404, errors.NOT_FOUND[0], errors.NOT_FOUND[1].format(id=role_id))
        members = self._tenant.role_members.get(role_id, [])
        body = self._one_page(req, "directoryObjects", members)
        return {
            "@microsoft.graph.tips": TIPS.format(example="directoryRoles/{id}/members?$select=id"),
            **body,
        }

    def _group(self, req: Incoming, group_id: str) -> Json:
        group = self._tenant.groups.get(group_id)
        if group is None:
            raise GraphRefusal(404, errors.NOT_FOUND[0], errors.NOT_FOUND[1].format(id=group_id))
        select = parse_select(req.param("$select")) or list(GROUP_PROPERTIES)
        for name in select:
            if name.lower() not in _GROUP_KNOWN:
                raise QueryError(
                    "Request_BadRequest",
                    f"Could not find a property named '{name}' on type 'microsoft.graph.group'.",
                )
        context = f"{req.root}{PREFIX}/$metadata#groups({','.join(select)})/$entity"
        return {"@odata.context": context, **project(group, select, _GROUP_KNOWN)}

    def _group_members(self, req: Incoming, group_id: str) -> Json:
        members = self._tenant.group_transitive_members.get(group_id)
        if members is None:
            raise GraphRefusal(404, errors.NOT_FOUND[0], errors.NOT_FOUND[1].format(id=group_id))
        size = parse_top(req.param("$top"), default=100, maximum=999)
        return self._envelope(req, "directoryObjects", self._page(req, members, size))

    def _window(
        self,
        key: tuple[str, str],
        items: Sequence[Json],
        stamp: str,
        keep: Callable[[Json, datetime], bool],
    ) -> list[int]:
        """Indices of matching items, newest first; cached per (collection, filter)."""
        with self._lock:
            cached = self._windows.get(key)
        if cached is not None:
            return cached
        found = []
        for index, item in enumerate(items):
            moment = parse_time(item[stamp])
            if keep(item, moment):
                found.append((moment, index))
        found.sort(key=lambda pair: (-pair[0].timestamp(), pair[1]))
        indices = [index for _, index in found]
        with self._lock:
            self._windows[key] = indices
        return indices

    def _filtered_page(
        self, req: Incoming, items: Sequence[Json], indices: list[int], size: int
    ) -> Page:
        start, stop, following = self._bounds(req, len(indices), size)
        return Page([items[i] for i in indices[start:stop]], following)

    def _sign_ins(self, req: Incoming) -> Json:
        raw = req.param("$filter")
        size = parse_top(req.param("$top"), default=1000, maximum=1000)
        if raw is None:
            indices = self._window(
                ("signIns", ""),
                self._tenant.sign_ins,
                "createdDateTime",
                lambda _item, _moment: True,
            )
        else:
            start, end, failures_only = parse_signins_filter(raw)
            if failures_only and self._reject_errorcode_ne:
                raise QueryError(
                    "Request_UnsupportedQuery",
                    "Unsupported or invalid query filter clause specified for property "
                    "'status/errorCode' of resource 'signIn'.",
                )

            def keep(item: Json, moment: datetime) -> bool:
                failed = (item.get("status") or {}).get("errorCode", 0) != 0
                return start <= moment <= end and (failed or not failures_only)

            indices = self._window(("signIns", raw), self._tenant.sign_ins, "createdDateTime", keep)
        page = self._filtered_page(req, self._tenant.sign_ins, indices, size)
        return self._envelope(req, "auditLogs/signIns", page)

    def _directory_audits(self, req: Incoming) -> Json:
        raw = req.param("$filter")
        size = parse_top(req.param("$top"), default=1000, maximum=1000)
        if raw is None:
            keep: Callable[[Json, datetime], bool] = lambda _item, _moment: True  # noqa: E731
        else:
            start, end = parse_audits_filter(raw)
            keep = lambda _item, moment: start <= moment <= end  # noqa: E731
        indices = self._window(
            ("directoryAudits", raw or ""), self._tenant.directory_audits, "activityDateTime", keep
        )
        page = self._filtered_page(req, self._tenant.directory_audits, indices, size)
        return self._envelope(req, "auditLogs/directoryAudits", page)

    def _registration_details(self, req: Incoming) -> Json:
        size = parse_top(req.param("$top"), default=1000, maximum=1000)
        page = self._page(req, self._tenant.registration_details, size)
        return self._envelope(req, "reports/authenticationMethods/userRegistrationDetails", page)
