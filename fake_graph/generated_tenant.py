"""`make_tenant`: a deterministic tenant of any size, for paging and volume tests.

Users, registration rows, sign-ins and audits are `LazySequence`s: each object
is built from (seed, index) when it is served, so a million-user tenant costs
no memory until pages are requested. Every 20th user (index % 20 == 19) is
disabled, which makes "the k-th enabled user" (who owns registration row k)
simple arithmetic.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from . import builders as b
from .tenant import FakeTenant, Json, LazySequence

DOMAIN = "volume-demo.example"
INITIAL_DOMAIN = "volumedemo.onmicrosoft.com"
GIVEN = ["Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lia"]
SURNAMES = ["North", "South", "East", "West", "Hill", "Dale", "Brook", "Field", "Wood"]


def _enabled(index: int) -> bool:
    return index % 20 != 19


def _enabled_index(k: int) -> int:
    """The index of the k-th (0-based) enabled user."""
    return (k // 19) * 20 + k % 19


class _Volume:
    def __init__(self, users: int, seed: int, now: datetime) -> None:
        self.n = users
        self.seed = seed
        self.now = now

    def rng(self, kind: str, index: int) -> random.Random:
        return random.Random(f"{self.seed}:{kind}:{index}")

    def user(self, i: int) -> Json:
        rng = self.rng("user", i)
        roll = rng.random()
        user_type = "Guest" if roll < 0.08 else (None if roll < 0.10 else "Member")
        given, surname = rng.choice(GIVEN), rng.choice(SURNAMES)
        nick = f"{given.lower()}.{surname.lower()}.{i}"
        upn = (
            f"{nick}_partner.example#EXT#@{INITIAL_DOMAIN}"
            if user_type == "Guest"
            else f"{nick}@{DOMAIN}"
        )
        when = rng.random()
        activity: object
        if when < 0.03:
            activity = None
        elif when < 0.05:
            activity = b.sign_in_activity(rng.choice([None, "", b.NEVER_SIGNED_IN]), None)
        else:
            last = self.now - timedelta(seconds=rng.randrange(0, 200 * 86400))
            activity = b.sign_in_activity(b.format_time(last, i % 8), b.make_id("vreq", i))
        return b.user(
            user_id=b.make_id("volume-user", self.seed, i),
            given=given,
            surname=surname,
            upn=upn,
            domain=INITIAL_DOMAIN if user_type == "Guest" else DOMAIN,
            enabled=_enabled(i),
            user_type=user_type,
            created=self.now - timedelta(days=30 + i % 1000),
            activity=activity,
            external_state="Accepted" if user_type == "Guest" else None,
        )

    def registration(self, k: int) -> Json:
        i = _enabled_index(k)
        registered = self.rng("reg", i).random() < 0.85
        methods = ["microsoftAuthenticatorPush", "fido2"] if registered else []
        return b.registration_row(
            self.user(i),
            registered=registered,
            methods=methods,
            updated=self.now - timedelta(hours=k % 72),
            extra=k % 11 == 3,
        )

    def sign_in_count(self) -> int:
        return min(max(100, self.n // 2), 20000)

    def sign_in(self, j: int) -> Json:
        span = timedelta(hours=26) / self.sign_in_count()
        return b.sign_in(
            sign_in_id=b.make_id("vsignin", self.seed, j),
            u=self.user((j * 31) % self.n),
            created=self.now - span * j,
            digits=j % 8,
            error_code=[50126, 50074, 53003][j % 3] if j % 7 == 0 else 0,
            extra=j % 13 == 5,
        )

    def audit_count(self) -> int:
        return min(max(20, self.n // 20), 5000)

    def audit(self, j: int) -> Json:
        span = timedelta(hours=30) / self.audit_count()
        role = j % 10 == 0
        return b.directory_audit(
            audit_id=f"Directory_{b.make_id('vaudit', self.seed, j)[:5].upper()}_{j}",
            when=self.now - span * j,
            digits=j % 8,
            category="RoleManagement" if role else "UserManagement",
            activity="Add member to role" if role else "Update user",
            actor=self.user(0),
            target=self.user((j * 17) % self.n),
            new_value='"Global Administrator"' if role else None,
        )


def make_tenant(users: int, seed: int, now: datetime) -> FakeTenant:
    """A deterministic tenant with `users` users (at least 1), same shape as the demo."""
    if users < 1:
        raise ValueError("users must be at least 1")
    now = now.astimezone(UTC).replace(microsecond=0)
    vol = _Volume(users, seed, now)
    disabled = users // 20
    roles = {
        name: b.directory_role(name, f"Built-in role: {name}.")
        for name in (
            "Global Administrator",
            "User Administrator",
            "Security Reader",
            "Application Administrator",
        )
    }
    group_id = b.make_id("volume-group", seed)
    group = b.group_member(group_id, "Operations Admins", now - timedelta(days=400))
    group_members = [b.user_member(vol.user(i % users)) for i in range(10, 10 + min(250, users))]
    sp = b.service_principal_member(
        b.make_id("volume-sp", seed), b.make_id("volume-app", seed), "Provisioning Bot"
    )
    role_members = {
        roles["Global Administrator"]["id"]: [b.user_member(vol.user(i % users)) for i in range(3)],
        roles["User Administrator"]["id"]: [group],
        roles["Security Reader"]["id"]: [b.user_member(vol.user(i % users)) for i in range(5, 10)],
        roles["Application Administrator"]["id"]: [sp],
    }
    exemptions_id = b.make_id("volume-exemptions", seed)
    exemptions = b.group(exemptions_id, "MFA Exemptions", now - timedelta(days=300),
                         role_assignable=False)
    exempt_members = [b.user_member(vol.user(i % users)) for i in range(20, 20 + min(20, users))]
    tenant_id = b.make_id("volume-tenant", seed)
    return FakeTenant(
        tenant_id=tenant_id,
        client_id=b.make_id("volume-client", seed),
        client_secret=f"volume~secret-{seed}",
        now=now,
        organization=b.organization(
            tenant_id, "Volume Demo Ltd", DOMAIN, INITIAL_DOMAIN, now - timedelta(days=900)
        ),
        users=LazySequence(users, vol.user),
        registration_details=LazySequence(users - disabled, vol.registration),
        directory_roles=list(roles.values()),
        role_members=role_members,
        group_transitive_members={group_id: group_members, exemptions_id: exempt_members},
        groups={
            group_id: b.group(group_id, "Operations Admins", now - timedelta(days=400)),
            exemptions_id: exemptions,
        },
        sign_ins=LazySequence(vol.sign_in_count(), vol.sign_in),
        directory_audits=LazySequence(vol.audit_count(), vol.audit),
        ca_policies=[
            b.ca_policy(
                name="Require MFA for all users",
                state="enabled",
                created=now - timedelta(days=100),
                include_users=["All"],
                grant=b.grant(["mfa"]),
                users={"excludeGroups": [exemptions_id]},
            ),
            b.ca_policy(
                name="Block legacy authentication",
                state="enabled",
                created=now - timedelta(days=100),
                include_users=["All"],
                grant=b.grant(["block"]),
                conditions={"clientAppTypes": ["exchangeActiveSync", "other"]},
            ),
        ],
    )
