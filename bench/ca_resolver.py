"""Time the exact CA resolver on a large synthetic tenant.

    python -m bench.ca_resolver [USERS] [POLICIES]      (default 1,000,000 x 200)

Builds one snapshot (users, a few large include/exclude groups, roles held
directly and through a group, B2B members, and policies of the shapes real
baselines use: client app, platform, location and risk splits, report-only
policies, strengths, guest and role policies) and prints how long
entra_ca_coverage_gaps_exact (verify, stage, resolve) and its explain take, each in
a child process with its peak RSS (its own VmHWM: the kernel's figure for a child
forked from this process would include the tenant built here), the load average
before and after, and the number of sign-in contexts, user profiles and distinct
policy sets behind them (docs/ca-resolver.md, "For auditors").
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from entra_kri.analysis.compute import connect, materialize_for

from bench.run import run_child
from entra_kri.snapshot.validate import open_snapshot
from tests.ca_policies import BUILT_IN_STRENGTHS, b2b_member, ca_policy, grant, guests
from tests.snapshot_builder import build_snapshot, role_member, user

SLUG = "entra_ca_coverage_gaps_exact"
LEGACY = ["exchangeActiveSync", "other"]
MODERN = ["browser", "mobileAppsAndDesktopClients"]
NAMED_LOCATIONS = [{"@odata.type": "#microsoft.graph.ipNamedLocation", "id": "loc-hq",
                    "displayName": "HQ", "isTrusted": True}]


def _where(**conditions: object) -> dict[str, object]:
    return {"conditions": conditions}


SHAPES = [
    lambda n: ca_policy(n, users={"excludeGroups": ["g0"]},
                        **_where(clientAppTypes=MODERN)),
    lambda n: ca_policy(n, grant_controls=grant(["block"]), **_where(clientAppTypes=LEGACY)),
    lambda n: ca_policy(n, users={"includeUsers": [], "includeGroups": ["g1", "g2"]},
                        grant_controls=grant(["mfa", "compliantDevice"], operator="AND"),
                        **_where(platforms={"includePlatforms": ["iOS", "android"],
                                            "excludePlatforms": []})),
    lambda n: ca_policy(n, users={"includeUsers": [], "includeRoles": ["template-r-ga"]}),
    lambda n: ca_policy(n, users={"includeUsers": [], "includeGuestsOrExternalUsers":
                                  guests("b2bCollaborationMember")}),
    lambda n: ca_policy(n, grant_controls=grant(["block"]),
                        **_where(signInRiskLevels=["high", "medium"])),
    lambda n: ca_policy(n, users={"excludeGroups": ["g3"], "excludeRoles": ["template-r-ga"]},
                        grant_controls=grant([], strength=BUILT_IN_STRENGTHS[1]),
                        **_where(locations={"includeLocations": ["All"],
                                            "excludeLocations": ["AllTrusted"]})),
    lambda n: ca_policy(n, grant_controls=grant(["block"]),
                        **_where(locations={"includeLocations": ["loc-hq"],
                                            "excludeLocations": []})),
    lambda n: ca_policy(n, state="enabledForReportingButNotEnforced"),
    lambda n: ca_policy(n, users={"excludeUsers": [f"u{i:07d}" for i in range(0, 500)],
                                  "excludeGroups": ["g4"]},
                        applications={"includeApplications": ["Office365"]}),
]


def build(root: Path, users: int, policies: int) -> Path:
    people = [b2b_member(f"u{i:07d}") if i % 97 == 0 else user(f"u{i:07d}")
              for i in range(users)]
    groups = {f"g{k}": [f"u{i:07d}" for i in range(k, users, 10 + k)] for k in range(5)}
    ca_members = [{"@odata.type": "#microsoft.graph.user", "id": m, "_groupId": g,
                   "_groupDisplayName": g} for g, ids in groups.items() for m in ids]
    roles = [role_member("r-ga", f"u{i:07d}") for i in range(0, users, 5000)]
    roles.append(role_member("r-ga", "tier0", "#microsoft.graph.group"))
    tier0 = [{"@odata.type": "#microsoft.graph.user", "id": f"u{i:07d}", "_groupId": "tier0",
              "_groupDisplayName": "Tier0"} for i in range(1, users, 7000)]
    return build_snapshot(
        root, users=people, ca_policies=[SHAPES[k % len(SHAPES)](f"p{k:03d}")
                                         for k in range(policies)],
        ca_group_members=ca_members, role_members=roles, group_members=tier0,
        authentication_strengths=BUILT_IN_STRENGTHS, named_locations=NAMED_LOCATIONS,
    )


def main(users: int = 1_000_000, policies: int = 200) -> None:
    with tempfile.TemporaryDirectory() as root:
        started = time.perf_counter()
        path = build(Path(root), users, policies)
        print(f"built {users} users x {policies} policies in "
              f"{time.perf_counter() - started:.1f} s")
        print(f"load average {_load()} (1, 5, 15 min) on {os.cpu_count()} cores")
        kri = run_child("ca_kri", {"snapshot": str(path)})
        print(f"{SLUG} = {kri.report['value']} in {kri.report['seconds']:.1f} s "
              f"(verify, stage, resolve), peak RSS {kri.report['rss_peak_mb']:.0f} MB")
        explained = run_child("ca_explain", {"snapshot": str(path)})
        report = explained.report
        print(f"explain: {report['rows']} rows in {report['seconds']:.1f} s "
              f"(verify, stage, resolve, explain), peak RSS {report['rss_peak_mb']:.0f} MB")
        print(f"load average {_load()}")
        with connect(open_snapshot(path)) as con:
            sql = ("select (select count(*) from int_ca_contexts), "
                   "(select count(distinct profile_key) from int_ca_user_profiles), "
                   "(select count(*) from int_ca_set_coverage)")
            materialize_for(con, sql)
            contexts, profiles, sets = con.execute(sql).fetchone()
        print(f"{contexts} sign-in contexts (classes of values), {profiles} user profiles, "
              f"{sets} distinct policy sets")


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
