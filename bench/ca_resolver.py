"""Time the exact CA resolver on a large synthetic tenant (100k users, 50 policies).

    python -m bench.ca_resolver [USERS] [POLICIES]

Builds one snapshot (users, a few large include/exclude groups, roles held
directly and through a group, B2B members, every kind of policy clause) and
prints how long `compute_kris` takes for entra_ca_coverage_gaps_exact and for the
evaluation rows (users x policies) behind it. Not part of the test suite.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from entra_kri.analysis.compute import compute_kris, connect

from entra_kri.snapshot.validate import open_snapshot
from tests.ca_policies import BUILT_IN_STRENGTHS, b2b_member, ca_policy, grant, guests
from tests.snapshot_builder import build_snapshot, role_member, user


def build(root: Path, users: int, policies: int) -> Path:
    people = [b2b_member(f"u{i:06d}") if i % 97 == 0 else user(f"u{i:06d}")
              for i in range(users)]
    groups = {f"g{k}": [f"u{i:06d}" for i in range(k, users, 10 + k)] for k in range(5)}
    ca_members = [{"@odata.type": "#microsoft.graph.user", "id": m, "_groupId": g,
                   "_groupDisplayName": g} for g, ids in groups.items() for m in ids]
    roles = [role_member("r-ga", f"u{i:06d}") for i in range(0, users, 5000)]
    roles.append(role_member("r-ga", "tier0", "#microsoft.graph.group"))
    tier0 = [{"@odata.type": "#microsoft.graph.user", "id": f"u{i:06d}", "_groupId": "tier0",
              "_groupDisplayName": "Tier0"} for i in range(1, users, 7000)]
    shapes = [
        lambda n: ca_policy(n, users={"excludeGroups": ["g0"]}),
        lambda n: ca_policy(n, users={"includeUsers": [], "includeGroups": ["g1", "g2"]},
                            grant_controls=grant(["mfa", "compliantDevice"])),
        lambda n: ca_policy(n, users={"includeUsers": [], "includeRoles": ["template-r-ga"]}),
        lambda n: ca_policy(n, users={"includeUsers": [], "includeGuestsOrExternalUsers":
                                      guests("b2bCollaborationMember")}),
        lambda n: ca_policy(n, conditions={"platforms": {"includePlatforms": ["iOS"],
                                                         "excludePlatforms": []}}),
        lambda n: ca_policy(n, grant_controls=grant([], strength=BUILT_IN_STRENGTHS[1]),
                            users={"excludeGroups": ["g3"], "excludeRoles": ["template-r-ga"]}),
        lambda n: ca_policy(n, state="enabledForReportingButNotEnforced"),
        lambda n: ca_policy(n, users={"excludeUsers": [f"u{i:06d}" for i in range(0, 500)],
                                      "excludeGroups": ["g4"]}),
    ]
    return build_snapshot(
        root, users=people, ca_policies=[shapes[k % len(shapes)](f"p{k}")
                                         for k in range(policies)],
        ca_group_members=ca_members, role_members=roles, group_members=tier0,
        authentication_strengths=BUILT_IN_STRENGTHS,
    )


def main(users: int = 100_000, policies: int = 50) -> None:
    with tempfile.TemporaryDirectory() as root:
        started = time.perf_counter()
        path = build(Path(root), users, policies)
        print(f"built {users} users x {policies} policies in "
              f"{time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        (kri,) = compute_kris(path, kris=["entra_ca_coverage_gaps_exact"]).kris
        print(f"entra_ca_coverage_gaps_exact = {kri.value} in "
              f"{time.perf_counter() - started:.2f} s (verify, stage, resolve)")
        with connect(open_snapshot(path)) as con:
            started = time.perf_counter()
            (count,) = con.execute(
                "select count(*) from int_ca_user_policy_evaluations").fetchone()
            print(f"{count} (user, policy) evaluations in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
