"""The synthetic demo tenant: about 300 users carrying every edge case of `docs/kri.md`.

Fictional company "Northwind Demo Ltd" (`northwind-demo.example`); names come
from small fixed lists; no real personal data. Everything is a pure function of
`now` (truncated to whole seconds), so responses and cassettes are reproducible.

Edge cases and who carries them (mail nicknames; `filler-NNN` are the 250 plain
staff accounts):

| edge case | carried by |
|---|---|
| enabled member, registered | adele.admin, carla.viagroup, break.glass, 9 more, 225 fillers |
| enabled member, not registered | bruno, dev, erin, legacy.nulltype, fillers with i % 10 == 0 |
| enabled member with no registration row | hal.norow |
| userType null (counts as a member) | legacy.nulltype, fillers 7, 57, 107, 157, 207 |
| disabled members (no registration row) | frank.disabledadmin, former01..former08 |
| enabled guests (rows say "guest") | guest01..guest12 (odd ones registered), gina.guestadmin |
| disabled guests (no row) | oldguest01..oldguest03 |
| never signed in: signInActivity null | never.null |
| never: lastSignInDateTime null / "" / 0001-01-01 | never.nulldate / never.empty / never.zero |
| no signInActivity property at all | never.missing |
| last sign-in 90 d + 1 s ago (stale) | stale.justoutside |
| exactly 90 d / 90 d - 1 s ago (not stale) | fresh.exactly90 / fresh.justinside |
| 7 fractional digits, 400 days ago (stale) | stale.old7digits |
| 0..7 fractional digits on recent sign-ins | fillers (digits = i % 8) |
| privileged, direct, registered | adele.admin (Global Administrator), break.glass (GA, stale) |
| user in two roles | bruno.twohats (GA + User Administrator), not registered |
| via role-assignable group | carla.viagroup (Tier0 Admins -> Privileged Role Administrator) |
| via nested group | dev.nested (Tier0 Nested inside Tier0 Admins), not registered |
| both direct and via group | erin.both (Security Reader + Tier0 Admins), not registered |
| disabled privileged user without row | frank.disabledadmin (Exchange Administrator) |
| privileged guest | gina.guestadmin (Security Reader), row isMfaRegistered false |
| service principal in a role | "Backup Automation" (Application Administrator) |
| activated role without members | Global Reader |
| sign-ins in the 24 h window | 40 successes, 17 failures (two exactly on the bounds) |
| sign-ins outside the window | 5 failures (one 1 s early, one 1 s after now), 2 successes |
| directory audits in the window | 4 RoleManagement (one exactly on the lower bound), 12 others |
| directory audits outside | 2 RoleManagement (24 h + 1 s, 30 h), 2 UserManagement |
| CA: all-users MFA excluding break.glass, MFA Exemptions, guests | "Require MFA for all users" |
| CA: report-only all-users MFA excluding MFA Exemptions | "MFA for all users (report-only)" |
| CA: disabled all-users MFA | "Legacy MFA policy (disabled)" |
| CA: grantControls null | "Session lifetime for all users" |
| CA: MFA via inline authenticationStrength, builtInControls [], | "Phishing-resistant MFA |
|   excluding Break-glass accounts, MFA Exemptions, guests | for all" |
| CA: MFA for admin roles only, excluding group Break-glass accounts | "Require MFA for admins" |
| CA: includes b2bCollaborationGuest/Member types | "MFA for guests and external users" |
| CA: grant OR mfa, compliantDevice | "Contractors: MFA or compliant device" (group Contractors) |
| CA: platforms iOS/android only | "MFA Exemptions: MFA on mobile" (group MFA Exemptions) |
| CA: block for legacy client app types only | "Block legacy authentication" |
| CA group: Break-glass accounts | break.glass |
| CA group: MFA Exemptions (nests Contractors) | filler-240..244, filler-245..249 nested |
| member with all four B2B markers (b2bCollaborationMember) | filler-231 (guests policy) |
| member whose B2B markers disagree (#EXT# only: type unknown) | filler-232 |
| named locations: trusted IP, untrusted IP, country (no trust) | Head office, Guest Wi-Fi, |
|   | Sanctioned countries |

Expected KRIs (see `tests/test_fake_graph.py::test_demo_tenant_oracle`):
enabled members 267, registered 237 -> 88.8 %; privileged without MFA 5
(bruno, dev, erin, frank, gina); stale 8 (break.glass, five never.*,
stale.justoutside, stale.old7digits); CA gaps 267; exact CA gaps 12 (break.glass,
filler-240..249, filler-232; break.glass and filler-232 would be covered if the
report-only policy were enforced); guests 16; failed sign-ins 17; role changes 4.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from . import builders as b
from .tenant import FakeTenant, Json

DOMAIN = "northwind-demo.example"
INITIAL_DOMAIN = "northwinddemo.onmicrosoft.com"
TENANT_ID = "7f3c1e2a-4b5d-4c6e-9f80-1a2b3c4d5e6f"
CLIENT_ID = "0c1d2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5"
# The app's made-up credentials, as FakeTenant's keyword arguments.
CREDENTIALS = {
    "tenant_id": TENANT_ID,
    "client_id": CLIENT_ID,
    "client_secret": "demo~Secret.Value-not-a-real-secret_0123456789",
}
GIVEN = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Robin", "Avery"]
SURNAMES = ["Archer", "Baker", "Carter", "Dawson", "Ellis", "Fisher", "Grant", "Hughes", "Irwin"]


class _Builder:
    """Accumulates the demo tenant's objects."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.users: list[Json] = []
        self.rows: list[Json] = []
        self.by_nick: dict[str, Json] = {}
        self.created = now - timedelta(days=700)

    def recent(self, n: int, digits: int = 0) -> Json:
        moment = self.now - timedelta(days=n % 80, hours=n % 24, minutes=n % 60)
        return b.sign_in_activity(b.format_time(moment, digits), b.make_id("req", n))

    def add(
        self,
        nick: str,
        given: str,
        surname: str,
        *,
        enabled: bool = True,
        user_type: str | None = "Member",
        activity: object = None,
        registered: bool | None = True,
        methods: list[str] | None = None,
        **extra: object,
    ) -> Json:
        """Add a user; `registered=None` gives it no registration row."""
        guest = user_type == "Guest"
        upn = (
            f"{nick.replace('.', '_')}_partner.example#EXT#@{INITIAL_DOMAIN}"
            if guest
            else f"{nick}@{DOMAIN}"
        )
        u = b.user(
            user_id=b.make_id("demo-user", nick),
            given=given,
            surname=surname,
            upn=upn,
            domain=INITIAL_DOMAIN if guest else DOMAIN,
            enabled=enabled,
            user_type=user_type,
            created=self.created + timedelta(days=len(self.users) % 300),
            activity=activity,
            external_state="Accepted" if guest else None,
            **extra,  # type: ignore[arg-type]
        )
        self.users.append(u)
        self.by_nick[nick] = u
        if registered is not None and enabled:
            default = ["microsoftAuthenticatorPush", "mobilePhone"] if registered else []
            self.rows.append(
                b.registration_row(
                    u,
                    registered=registered,
                    methods=default if methods is None else methods,
                    updated=self.now - timedelta(days=3, seconds=len(self.rows)),
                    extra=len(self.rows) % 9 == 4,
                )
            )
        return u


@dataclass(frozen=True)
class ExternalMarkers:
    """Which of docs/ca-resolver.md's four guest/external markers a member carries."""

    upn: bool
    invitation: bool
    state: bool
    identity: bool


def _mark_external(bl: _Builder, nick: str, markers: ExternalMarkers) -> None:
    """Give an existing member B2B markers (its registration row follows the UPN)."""
    u = bl.by_nick[nick]
    if markers.upn:
        upn = f"{nick}_partner.example#EXT#@{INITIAL_DOMAIN}"
        for row in bl.rows:
            if row["id"] == u["id"]:
                row["userPrincipalName"] = upn
        u.update(userPrincipalName=upn, mail=f"{nick}@partner.example", proxyAddresses=[])
    if markers.invitation:
        u["creationType"] = "Invitation"
    if markers.state:
        u["externalUserState"] = "Accepted"
        u["externalUserStateChangeDateTime"] = u["createdDateTime"]
    if markers.identity:
        u["identities"] = [
            {"signInType": "federated", "issuer": "ExternalAzureAD", "issuerAssignedId": None}
        ]


def _users(bl: _Builder) -> None:
    now = bl.now
    for i in range(250):
        registered = i % 10 != 0
        methods = (
            ["microsoftAuthenticatorPush", "mobilePhone", "passKeyDeviceBound"]
            if i % 25 == 3
            else None
        )
        if not registered:
            methods = ["email"] if i % 20 == 0 else []
        bl.add(
            f"filler-{i:03d}",
            GIVEN[i % len(GIVEN)],
            SURNAMES[(i * 7) % len(SURNAMES)],
            user_type=None if i % 50 == 7 else "Member",
            activity=bl.recent(i, i % 8),
            registered=registered,
            methods=methods,
            department=["Sales", "Finance", "Operations", "IT"][i % 4],
            synced=True if i % 3 == 0 else None,
        )
    _mark_external(bl, "filler-231", ExternalMarkers(upn=True, invitation=True, state=True,
                                                      identity=True))
    _mark_external(bl, "filler-232", ExternalMarkers(upn=True, invitation=False, state=False,
                                                      identity=False))
    bl.add("adele.admin", "Adele", "Admin", activity=bl.recent(1, 3))
    bl.add("bruno.twohats", "Bruno", "Twohats", activity=bl.recent(2), registered=False)
    bl.add("carla.viagroup", "Carla", "Viagroup", activity=bl.recent(3, 7))
    bl.add("dev.nested", "Dev", "Nested", activity=bl.recent(4, 1), registered=False)
    bl.add("erin.both", "Erin", "Both", activity=bl.recent(5, 2), registered=False)
    stale_glass = b.format_time(now - timedelta(days=200), 5)
    bl.add("break.glass", "Break", "Glass", activity=b.sign_in_activity(stale_glass, "bg-1"))
    bl.add("hal.norow", "Hal", "Norow", activity=bl.recent(6, 6), registered=None)
    bl.add("never.null", "Nell", "Null", activity=None)
    bl.add("never.nulldate", "Nora", "Nulldate", activity=b.sign_in_activity(None, None))
    bl.add("never.empty", "Ned", "Empty", activity=b.sign_in_activity("", None))
    bl.add("never.zero", "Nia", "Zero", activity=b.sign_in_activity(b.NEVER_SIGNED_IN, None))
    bl.add("never.missing", "Nat", "Missing", activity=b.MISSING)
    ninety = now - timedelta(days=90)
    bl.add(
        "stale.justoutside",
        "Stan",
        "Justoutside",
        activity=b.sign_in_activity(b.format_time(ninety - timedelta(seconds=1), 4), "s-1"),
    )
    bl.add(
        "fresh.exactly90",
        "Fay",
        "Exactly",
        activity=b.sign_in_activity(b.format_time(ninety, 7), "f-90"),
    )
    bl.add(
        "fresh.justinside",
        "Fred",
        "Justinside",
        activity=b.sign_in_activity(b.format_time(ninety + timedelta(seconds=1), 1), "f-1"),
    )
    bl.add(
        "stale.old7digits",
        "Sol",
        "Old",
        activity=b.sign_in_activity(
            b.format_time(now - timedelta(days=400, microseconds=123456), 7), "s-400"
        ),
    )
    bl.add(
        "legacy.nulltype", "Lee", "Legacy", user_type=None, activity=bl.recent(8), registered=False
    )
    bl.add("frank.disabledadmin", "Frank", "Disabled", enabled=False, activity=bl.recent(70))
    for k in range(1, 9):
        old = b.sign_in_activity(b.format_time(now - timedelta(days=150 + k)), f"former-{k}")
        bl.add(f"former{k:02d}", GIVEN[k], "Former", enabled=False, activity=old)
    for k in range(1, 13):
        activity = bl.recent(10 + k) if k % 3 else None
        bl.add(
            f"guest{k:02d}",
            GIVEN[k % len(GIVEN)],
            "Partner",
            user_type="Guest",
            activity=activity,
            registered=k % 2 == 1,
            methods=["email"] if k % 2 == 0 else None,
        )
    bl.add(
        "gina.guestadmin",
        "Gina",
        "Guestadmin",
        user_type="Guest",
        activity=bl.recent(9),
        registered=False,
    )
    for k in range(1, 4):
        bl.add(
            f"oldguest{k:02d}",
            GIVEN[k],
            "Oldpartner",
            enabled=False,
            user_type="Guest",
            activity=None,
        )


@dataclass(frozen=True)
class Groups:
    """Group objects (GET /groups/{id}) and transitive members, by group id."""

    objects: dict[str, Json]
    members: dict[str, list[Json]]


def _ca_groups(bl: _Builder) -> Groups:
    """The groups Conditional Access policies name (not role-assignable)."""
    u = bl.by_nick
    um = b.user_member
    objects = {
        b.make_id("group", name): b.group(b.make_id("group", name), name, bl.created,
                                          role_assignable=False)
        for name in ("Break-glass accounts", "MFA Exemptions", "Contractors")
    }
    glass, exemptions, contractors = objects
    contractors_obj = {"@odata.type": "#microsoft.graph.group", **objects[contractors]}
    contractor_users = [um(u[f"filler-{i}"]) for i in range(245, 250)]
    members = {
        glass: [um(u["break.glass"])],
        exemptions: [
            *(um(u[f"filler-{i}"]) for i in range(240, 245)),
            contractors_obj,
            *contractor_users,
        ],
        contractors: contractor_users,
    }
    return Groups(objects, members)


def _roles(bl: _Builder) -> tuple[list[Json], dict[str, list[Json]], dict[str, list[Json]]]:
    u = bl.by_nick
    roles = {name: b.directory_role(name, f"Built-in role: {name}.") for name in b.ROLE_TEMPLATES}
    tier0 = b.make_id("group", "Tier0 Admins")
    nested = b.make_id("group", "Tier0 Nested")
    tier0_obj = b.group_member(tier0, "Tier0 Admins", bl.created)
    nested_obj = b.group_member(nested, "Tier0 Nested", bl.created)
    backup = b.service_principal_member(
        b.make_id("sp", "Backup Automation"),
        b.make_id("app", "Backup Automation"),
        "Backup Automation",
    )
    um = b.user_member
    members = {
        roles["Global Administrator"]["id"]: [
            um(u["adele.admin"]),
            um(u["bruno.twohats"]),
            um(u["break.glass"]),
        ],
        roles["User Administrator"]["id"]: [um(u["bruno.twohats"])],
        roles["Privileged Role Administrator"]["id"]: [tier0_obj],
        roles["Security Reader"]["id"]: [um(u["erin.both"]), um(u["gina.guestadmin"])],
        roles["Exchange Administrator"]["id"]: [um(u["frank.disabledadmin"])],
        roles["Application Administrator"]["id"]: [backup],
        roles["Global Reader"]["id"]: [],
    }
    groups = {
        tier0: [um(u["carla.viagroup"]), um(u["erin.both"]), nested_obj, um(u["dev.nested"])],
        nested: [um(u["dev.nested"])],
    }
    return list(roles.values()), members, groups


def _sign_ins(bl: _Builder) -> list[Json]:
    now = bl.now
    fillers = [bl.by_nick[f"filler-{i:03d}"] for i in range(250)]
    plan: list[tuple[datetime, int, int]] = []  # (when, errorCode, digits)
    plan += [(now - timedelta(minutes=35 * j + 7), 0, j % 8) for j in range(40)]
    codes = [50126, 50074, 53003, 50053]
    plan += [(now - timedelta(minutes=90 * j + 13), codes[j % 4], (j + 3) % 8) for j in range(15)]
    day = timedelta(hours=24)
    plan += [(now - day, 50126, 7), (now, 50126, 0)]
    plan += [(now - day - timedelta(seconds=1), 50126, 0), (now + timedelta(seconds=1), 50126, 2)]
    plan += [(now - timedelta(hours=h), 50074, 3) for h in (25, 28, 30)]
    plan += [(now - day - timedelta(seconds=2), 0, 0), (now - timedelta(hours=48), 0, 6)]
    out = []
    for n, (when, code, digits) in enumerate(plan):
        out.append(
            b.sign_in(
                sign_in_id=b.make_id("signin", n),
                u=fillers[(n * 13) % len(fillers)],
                created=when,
                digits=digits,
                error_code=code,
                extra=n % 7 == 2,
            )
        )
    return out


def _audits(bl: _Builder) -> list[Json]:
    now, u = bl.now, bl.by_nick
    actor = u["adele.admin"]
    plan: list[tuple[datetime, str, str, Json | None, Json, str | None]] = [
        (
            now - timedelta(hours=1),
            "RoleManagement",
            "Add member to role",
            actor,
            u["bruno.twohats"],
            '"User Administrator"',
        ),
        (
            now - timedelta(hours=5),
            "RoleManagement",
            "Remove member from role",
            actor,
            u["filler-011"],
            '"Helpdesk Administrator"',
        ),
        (
            now - timedelta(hours=20),
            "RoleManagement",
            "Add eligible member to role in PIM completed (permanent)",
            None,
            u["carla.viagroup"],
            '"Privileged Role Administrator"',
        ),
        (
            now - timedelta(hours=24),
            "RoleManagement",
            "Add member to role",
            actor,
            u["erin.both"],
            '"Security Reader"',
        ),
        (
            now - timedelta(hours=24, seconds=1),
            "RoleManagement",
            "Add member to role",
            actor,
            u["gina.guestadmin"],
            '"Security Reader"',
        ),
        (
            now - timedelta(hours=30),
            "RoleManagement",
            "Add member to role",
            actor,
            u["frank.disabledadmin"],
            '"Exchange Administrator"',
        ),
    ]
    others = [("UserManagement", "Update user")] * 6
    others += [("GroupManagement", "Add member to group")] * 3
    others += [("ApplicationManagement", "Update application")] * 2 + [("Policy", "Update policy")]
    for k, (category, activity) in enumerate(others):
        plan.append(
            (
                now - timedelta(hours=k * 1.5 + 0.2),
                category,
                activity,
                actor,
                u[f"filler-{k:03d}"],
                None,
            )
        )
    plan += [
        (now - timedelta(days=3), "UserManagement", "Update user", actor, u["filler-020"], None),
        (now - timedelta(days=5), "UserManagement", "Delete user", actor, u["filler-021"], None),
    ]
    return [
        b.directory_audit(
            audit_id=f"Directory_{b.make_id('audit', n)[:5].upper()}_{40000000 + n}",
            when=when,
            digits=n % 8,
            category=category,
            activity=activity,
            actor=who,
            target=target,
            new_value=value,
        )
        for n, (when, category, activity, who, target, value) in enumerate(plan)
    ]


def _policies(bl: _Builder, groups: Groups) -> list[Json]:
    created = bl.now - timedelta(days=200)
    glass = bl.by_nick["break.glass"]["id"]
    ga = b.ROLE_TEMPLATES["Global Administrator"]
    glass_group, exemptions, contractors = groups.objects
    external = b.guests_or_external_users(
        "internalGuest,b2bCollaborationGuest,b2bCollaborationMember"
    )
    return [
        b.ca_policy(
            name="Require MFA for all users",
            state="enabled",
            created=created,
            include_users=["All"],
            exclude_users=[glass],
            grant=b.grant(["mfa"]),
            users={"excludeGroups": [exemptions], "excludeGuestsOrExternalUsers": external},
        ),
        b.ca_policy(
            name="MFA for all users (report-only)",
            state="enabledForReportingButNotEnforced",
            created=created,
            include_users=["All"],
            grant=b.grant(["mfa"]),
            extra=True,
            users={"excludeGroups": [exemptions]},
        ),
        b.ca_policy(
            name="Legacy MFA policy (disabled)",
            state="disabled",
            created=created,
            include_users=["All"],
            grant=b.grant(["mfa"]),
        ),
        b.ca_policy(
            name="Session lifetime for all users",
            state="enabled",
            created=created,
            include_users=["All"],
            grant=None,
        ),
        b.ca_policy(
            name="Phishing-resistant MFA for all",
            state="enabled",
            created=created,
            include_users=["All"],
            grant=b.grant([], b.PHISHING_RESISTANT_STRENGTH),
            users={
                "excludeGroups": [glass_group, exemptions],
                "excludeGuestsOrExternalUsers": external,
            },
        ),
        b.ca_policy(
            name="Require MFA for admins",
            state="enabled",
            created=created,
            include_users=[],
            include_roles=[ga],
            grant=b.grant(["mfa"]),
            users={"excludeGroups": [glass_group]},
        ),
        b.ca_policy(
            name="MFA for guests and external users",
            state="enabled",
            created=created,
            include_users=[],
            grant=b.grant(["mfa"]),
            users={"includeGuestsOrExternalUsers": b.guests_or_external_users(
                "b2bCollaborationGuest,b2bCollaborationMember")},
        ),
        b.ca_policy(
            name="Contractors: MFA or compliant device",
            state="enabled",
            created=created,
            include_users=[],
            grant=b.grant(["mfa", "compliantDevice"]),
            users={"includeGroups": [contractors]},
        ),
        b.ca_policy(
            name="MFA Exemptions: MFA on mobile",
            state="enabled",
            created=created,
            include_users=[],
            grant=b.grant(["mfa"]),
            users={"includeGroups": [exemptions]},
            conditions={"platforms": {"includePlatforms": ["iOS", "android"],
                                      "excludePlatforms": []}},
        ),
        b.ca_policy(
            name="Block legacy authentication",
            state="enabled",
            created=created,
            include_users=["All"],
            grant=b.grant(["block"]),
            conditions={"clientAppTypes": ["exchangeActiveSync", "other"]},
        ),
    ]


def _named_locations(bl: _Builder) -> list[Json]:
    created = bl.now - timedelta(days=300)
    return [
        b.ip_named_location("Head office", created, ["203.0.113.0/24", "2001:db8:1234::/48"],
                            trusted=True),
        b.ip_named_location("Guest Wi-Fi", created, ["198.51.100.0/24"], trusted=False),
        b.country_named_location("Sanctioned countries", created, ["KP", "IR"]),
    ]


def make_demo_tenant(now: datetime) -> FakeTenant:
    """The deterministic demo tenant as of `now` (UTC, truncated to whole seconds)."""
    now = now.astimezone(UTC).replace(microsecond=0)
    bl = _Builder(now)
    _users(bl)
    roles, members, role_groups = _roles(bl)
    ca_groups = _ca_groups(bl)
    return FakeTenant(
        **CREDENTIALS,
        now=now,
        organization=b.organization(
            TENANT_ID, "Northwind Demo Ltd", DOMAIN, INITIAL_DOMAIN, now - timedelta(days=900)
        ),
        users=bl.users,
        registration_details=bl.rows,
        directory_roles=roles,
        role_members=members,
        group_transitive_members={**role_groups, **ca_groups.members},
        sign_ins=_sign_ins(bl),
        directory_audits=_audits(bl),
        ca_policies=_policies(bl, ca_groups),
        named_locations=_named_locations(bl),
        groups={
            **{
                b.make_id("group", name): b.group(b.make_id("group", name), name, bl.created)
                for name in ("Tier0 Admins", "Tier0 Nested")
            },
            **ca_groups.objects,
        },
    )
