"""Synthetic tenants for the benchmark: S, M and L, deterministic by seed.

The same conventions as `fake_graph.make_tenant` (every 20th user disabled, so
registration row k belongs to the k-th enabled user; 8 % guests; Graph's shapes from
`fake_graph.builders`), scaled up and made cheap to serve: users, registration
rows, sign-ins and audits are `LazySequence`s built from (seed, index) with an integer
hash instead of `uuid5`/`random.Random` per object, so the fake's own CPU stays small
next to the latency it emulates, and a million users cost no memory.

Per tenant of n users: registration rows for the n - n/20 enabled users, n
interactive sign-ins spread over the 24 h before `now` of which every 5th failed (L:
200,000 failures in the window), n/20 directory audits in the same window (every 10th a
RoleManagement event), 40 activated roles (a few members each; 10 of them hold a
role-assignable group, one of which grows with n), and 30 Conditional Access policies
naming 8 groups (one grows with n).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fake_graph import builders as b
from fake_graph.odata import format_time
from fake_graph.tenant import FakeTenant, Json, LazySequence

SIZES = {"S": 1_000, "M": 100_000, "L": 1_000_000}
# The tests' capture time (tests/conftest.py NOW): the sign-in window ends here.
NOW = datetime(2026, 11, 27, 11, 6, 44, tzinfo=UTC)
DOMAIN = "bench.example"
INITIAL_DOMAIN = "benchtenant.onmicrosoft.com"
GIVEN = ["Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lia"]
SURNAMES = ["North", "South", "East", "West", "Hill", "Dale", "Brook", "Field", "Wood"]
FAILURE_CODES = (50126, 50074, 53003, 50053)
WINDOW = timedelta(hours=24)
_MASK = (1 << 64) - 1

# 40 activated built-in roles. The first seven carry Microsoft's template ids (builders);
# the others get stable synthetic ones: nothing in the analysis depends on their value.
ROLE_NAMES = (
    *b.ROLE_TEMPLATES,
    "Authentication Administrator", "Privileged Authentication Administrator",
    "Conditional Access Administrator", "Security Administrator", "Security Operator",
    "Helpdesk Administrator", "Password Administrator", "Groups Administrator",
    "License Administrator", "Billing Administrator", "SharePoint Administrator",
    "Teams Administrator", "Intune Administrator", "Cloud Application Administrator",
    "Compliance Administrator", "Reports Reader", "Directory Readers", "Directory Writers",
    "Hybrid Identity Administrator", "Identity Governance Administrator",
    "Authentication Policy Administrator", "Azure Information Protection Administrator",
    "Cloud Device Administrator", "Exchange Recipient Administrator", "Guest Inviter",
    "Insights Administrator", "Knowledge Administrator", "Message Center Reader",
    "Power Platform Administrator", "Printer Administrator", "Search Administrator",
    "Service Support Administrator", "User Experience Success Manager",
)


def _hash(seed: int, kind: int, index: int) -> int:
    """A 64-bit mix of (seed, kind, index) (splitmix64's finaliser)."""
    x = (seed * 0x9E3779B97F4A7C15 + kind * 0xBF58476D1CE4E5B9 + index) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _unit(seed: int, kind: int, index: int) -> float:
    return _hash(seed, kind, index) / 2**64


def _enabled(index: int) -> bool:
    return index % 20 != 19


def _enabled_index(k: int) -> int:
    """The index of the k-th (0-based) enabled user."""
    return (k // 19) * 20 + k % 19


@dataclass(frozen=True)
class TenantShape:
    """How many of each object a bench tenant holds.

    `users_bound`: a quiet tenant, with one sign-in per 100 users (at least 100) and
    20 audits, so that the `/users` chain, not the audit-log budget, sets the
    critical path.
    """

    users: int
    users_bound: bool = False

    @property
    def registrations(self) -> int:
        return self.users - self.users // 20

    @property
    def sign_ins(self) -> int:
        return max(100, self.users // 100) if self.users_bound else self.users

    @property
    def failed_sign_ins(self) -> int:
        return (self.sign_ins + 4) // 5

    @property
    def audits(self) -> int:
        return 20 if self.users_bound else max(20, self.users // 20)


class _Objects:
    """Builds the lazily served objects of one tenant from (seed, index)."""

    USER, REGISTRATION, ACTIVITY = 1, 2, 3

    def __init__(self, shape: TenantShape, seed: int, now: datetime) -> None:
        self.shape = shape
        self.n = shape.users
        self.seed = seed
        self.now = now
        self._user_ids = b.make_id("bench-user", seed)[:24]
        self._sign_in_ids = b.make_id("bench-signin", seed)[:24]

    def user_id(self, i: int) -> str:
        return f"{self._user_ids}{i:012x}"

    def user(self, i: int) -> Json:
        h = _hash(self.seed, self.USER, i)
        roll = (h & 0xFFFF) / 0x10000
        user_type = "Guest" if roll < 0.08 else (None if roll < 0.10 else "Member")
        given, surname = GIVEN[(h >> 16) % len(GIVEN)], SURNAMES[(h >> 24) % len(SURNAMES)]
        nick = f"{given.lower()}.{surname.lower()}.{i}"
        guest = user_type == "Guest"
        upn = f"{nick}_partner.example#EXT#@{INITIAL_DOMAIN}" if guest else f"{nick}@{DOMAIN}"
        return b.user(
            user_id=self.user_id(i),
            given=given,
            surname=surname,
            upn=upn,
            domain=INITIAL_DOMAIN if guest else DOMAIN,
            enabled=_enabled(i),
            user_type=user_type,
            created=self.now - timedelta(days=30 + i % 1000),
            activity=self.activity(i, (h >> 32) / 2**32),
            external_state="Accepted" if guest else None,
        )

    def activity(self, i: int, when: float) -> object:
        if when < 0.03:
            return None
        if when < 0.05:
            return b.sign_in_activity((None, "", b.NEVER_SIGNED_IN)[i % 3], None)
        ago = int(_unit(self.seed, self.ACTIVITY, i) * 200 * 86400)
        last = format_time(self.now - timedelta(seconds=ago), i % 8)
        return b.sign_in_activity(last, f"{self._sign_in_ids[:8]}-act-{i:x}")

    def registration(self, k: int) -> Json:
        i = _enabled_index(k)
        registered = _unit(self.seed, self.REGISTRATION, i) < 0.85
        methods = ["microsoftAuthenticatorPush", "fido2"] if registered else []
        return b.registration_row(
            self.user(i), registered=registered, methods=methods,
            updated=self.now - timedelta(hours=k % 72), extra=k % 11 == 3,
        )

    def sign_in(self, j: int) -> Json:
        """Sign-in j, j-th newest, spread evenly over the window; every 5th failed."""
        span = WINDOW / self.shape.sign_ins
        failed = j % 5 == 0
        return b.sign_in(
            sign_in_id=f"{self._sign_in_ids}{j:012x}",
            u=self.user((j * 7919) % self.n),
            created=self.now - span * (j + 0.5),
            digits=j % 8,
            error_code=FAILURE_CODES[(j // 5) % len(FAILURE_CODES)] if failed else 0,
            extra=j % 13 == 5,
        )

    def audit(self, j: int) -> Json:
        span = WINDOW / self.shape.audits
        role = j % 10 == 0
        return b.directory_audit(
            audit_id=f"Directory_{self._sign_in_ids[:5].upper()}_{j}",
            when=self.now - span * (j + 0.5),
            digits=j % 8,
            category="RoleManagement" if role else "UserManagement",
            activity="Add member to role" if role else "Update user",
            actor=self.user(0) if j % 3 else None,
            target=self.user((j * 17) % self.n),
            new_value='"Global Administrator"' if role else None,
        )

    def members(self, first: int, count: int) -> list[Json]:
        """`count` users as member objects, spread over the tenant from `first`."""
        stride = max(1, self.n // max(count, 1))
        return [b.user_member(self.user((first + m * stride) % self.n)) for m in range(count)]


def _role(name: str) -> Json:
    template = b.ROLE_TEMPLATES.get(name) or b.make_id("bench-role-template", name)
    return {
        "id": b.make_id("role", template),
        "deletedDateTime": None,
        "description": f"Built-in role: {name}.",
        "displayName": name,
        "roleTemplateId": template,
    }


def _roles(objects: _Objects, seed: int, now: datetime) -> tuple[
        list[Json], dict[str, list[Json]], dict[str, list[Json]], dict[str, Json]]:
    """40 roles with their members, and the role-assignable groups some of them hold."""
    n = objects.n
    roles = [_role(name) for name in ROLE_NAMES]
    members: dict[str, list[Json]] = {}
    group_members: dict[str, list[Json]] = {}
    groups: dict[str, Json] = {}
    for r, role in enumerate(roles):
        count = 4 if r == 0 else 1 + _hash(seed, 10, r) % 6
        listed = objects.members(r * 101, count)
        if r % 4 == 1:
            group_id = b.make_id("bench-role-group", seed, r)
            name = f"{role['displayName']}s (group)"
            size = max(10, n // 100) if r == 1 else 5 + 20 * (r // 4)
            listed.append(b.group_member(group_id, name, now - timedelta(days=400)))
            group_members[group_id] = objects.members(r * 7 + 3, min(size, n))
            groups[group_id] = b.group(group_id, name, now - timedelta(days=400))
        if r % 7 == 3:
            listed.append(b.service_principal_member(
                b.make_id("bench-sp", seed, r), b.make_id("bench-app", seed, r),
                f"Automation {r}"))
        members[role["id"]] = listed
    return roles, members, group_members, groups


CA_GROUPS = ("Break-glass accounts", "MFA pilot", "Contractors", "Finance", "Executives",
             "Service accounts", "Legacy app users", "Travelling staff")


def _ca(objects: _Objects, seed: int, now: datetime, roles: list[Json]) -> tuple[
        list[Json], dict[str, list[Json]], dict[str, Json]]:
    """30 Conditional Access policies and the 8 groups they name."""
    n = objects.n
    ids = [b.make_id("bench-ca-group", seed, name) for name in CA_GROUPS]
    sizes = [2, max(20, n // 100), 40, 60, 12, 8, 25, 30]
    group_members = {gid: objects.members(50 + g * 13, min(size, n))
                     for g, (gid, size) in enumerate(zip(ids, sizes, strict=True))}
    groups = {gid: b.group(gid, name, now - timedelta(days=300), role_assignable=False)
              for gid, name in zip(ids, CA_GROUPS, strict=True)}
    created = now - timedelta(days=200)
    admin_roles = [r["roleTemplateId"] for r in roles[:14]]
    policies = [
        b.ca_policy(name="Require MFA for all users", state="enabled", created=created,
                    include_users=["All"], grant=b.grant(["mfa"]),
                    users={"excludeGroups": [ids[0]]}),
        b.ca_policy(name="Block legacy authentication", state="enabled", created=created,
                    include_users=["All"], grant=b.grant(["block"]),
                    conditions={"clientAppTypes": ["exchangeActiveSync", "other"]}),
        b.ca_policy(name="Require MFA for administrators", state="enabled", created=created,
                    include_users=[], include_roles=admin_roles, grant=b.grant(["mfa"])),
        b.ca_policy(name="Phishing-resistant MFA for Global Administrators", state="enabled",
                    created=created, include_users=[], include_roles=admin_roles[:1],
                    grant=b.grant([], strength=b.PHISHING_RESISTANT_STRENGTH)),
        b.ca_policy(name="Guests require MFA", state="enabled", created=created,
                    include_users=[], grant=b.grant(["mfa"]),
                    users={"includeGuestsOrExternalUsers": b.guests_or_external_users(
                        "b2bCollaborationGuest,b2bCollaborationMember")}),
    ]
    states = ("enabled", "enabledForReportingButNotEnforced", "disabled")
    controls = (["mfa"], ["compliantDevice"], ["mfa", "compliantDevice"], ["block"],
                ["domainJoinedDevice"])
    for p in range(len(policies), 30):
        included = ids[1 + p % (len(ids) - 1)]
        policies.append(b.ca_policy(
            name=f"Policy {p:02d}: {CA_GROUPS[1 + p % (len(ids) - 1)]}",
            state=states[p % len(states)], created=created - timedelta(days=p),
            include_users=[], grant=b.grant(controls[p % len(controls)]), extra=p % 4 == 0,
            users={"includeGroups": [included],
                   "excludeGroups": [ids[0]] if p % 2 else []},
        ))
    return policies, group_members, groups


def bench_tenant(users: int, seed: int = 1, now: datetime = NOW,
                 users_bound: bool = False) -> FakeTenant:
    """A bench tenant of `users` users (see the module docstring for what it holds)."""
    if users < 20:
        raise ValueError("a bench tenant has at least 20 users")
    now = now.astimezone(UTC).replace(microsecond=0)
    shape = TenantShape(users, users_bound)
    objects = _Objects(shape, seed, now)
    roles, role_members, role_groups, role_group_objects = _roles(objects, seed, now)
    policies, ca_groups, ca_group_objects = _ca(objects, seed, now, roles)
    tenant_id = b.make_id("bench-tenant", seed)
    return FakeTenant(
        tenant_id=tenant_id,
        client_id=b.make_id("bench-client", seed),
        client_secret=f"bench~secret-{seed}",
        now=now,
        organization=b.organization(tenant_id, "Bench Scale Ltd", DOMAIN, INITIAL_DOMAIN,
                                    now - timedelta(days=900)),
        users=LazySequence(users, objects.user),
        registration_details=LazySequence(shape.registrations, objects.registration),
        directory_roles=roles,
        role_members=role_members,
        group_transitive_members={**role_groups, **ca_groups},
        sign_ins=LazySequence(shape.sign_ins, objects.sign_in),
        directory_audits=LazySequence(shape.audits, objects.audit),
        ca_policies=policies,
        groups={**role_group_objects, **ca_group_objects},
    )


def group_parents(tenant: FakeTenant) -> dict[str, list[str]]:
    """For each group, the Graph paths whose answer names it (what must come first)."""
    parents: dict[str, list[str]] = {}
    for role_id, members in tenant.role_members.items():
        for member in members:
            if member.get("@odata.type") == "#microsoft.graph.group":
                parents.setdefault(member["id"], []).append(f"/directoryRoles/{role_id}/members")
    for policy in tenant.ca_policies:
        users = (policy.get("conditions") or {}).get("users") or {}
        for key in ("includeGroups", "excludeGroups"):
            for group_id in users.get(key) or ():
                paths = parents.setdefault(group_id, [])
                if "/identity/conditionalAccess/policies" not in paths:
                    paths.append("/identity/conditionalAccess/policies")
    return parents
