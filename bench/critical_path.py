"""The critical path of a capture: the physical limit on its wall time (bench/README.md).

From the fake's traffic log: every Graph request answered 200 belongs to a *chain*, the
pages of one path (the `@odata.nextLink`s of one collection, which must follow one
another). A chain may depend on others (`/directoryRoles/{id}/members` on
`/directoryRoles`; `/groups/{id}...` on whichever answer named the group); chains that
do not depend on each other can run at once. Then, with latency L per request:

    finish(chain) = max(finish(parent) for its parents, default token) + own(chain)
    own(chain)    = max(n * L, floor((u - 1) / C) * W + L)   if a budget (C units per W s)
                                                             applies, u its units; else n * L
    critical path = max(max finish(chain), token + floor((U - 1) / C) * W + L per budget,
                        U the units of all its chains)

token = L (the one token request). The *served* variant puts each request at the time the
fake actually took to answer it (latency plus the fake's own CPU) instead of L, to show
how much of the gap is the fake's rather than the capture's.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fake_graph.rate_limits import Budget
from fake_graph.traffic import Exchange

GRAPH_PREFIX = "/v1.0"
TOKEN_SUFFIX = "/oauth2/v2.0/token"


@dataclass
class Chain:
    """The answered pages of one path, and what must be answered before its first."""

    key: str
    parents: tuple[str, ...]
    units: dict[str, int] = field(default_factory=dict)  # per budget name
    durations: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.durations)


@dataclass(frozen=True)
class CriticalPath:
    """The critical path at nominal latency and as served, and the chain that sets it."""

    seconds: float
    served_seconds: float
    token_seconds: float
    bound_by: str
    requests: int
    chains: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "served_seconds": round(self.served_seconds, 3),
            "token_seconds": round(self.token_seconds, 3),
            "bound_by": self.bound_by,
            "requests": self.requests,
            "chains": list(self.chains),
        }


def chain_key(path: str) -> str:
    """The chain a Graph path belongs to: the path under the Graph root, lower-cased."""
    path = path.lower()
    return path[len(GRAPH_PREFIX):] if path.startswith(GRAPH_PREFIX + "/") else path


def parents_of(key: str, group_parents: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    parts = [p for p in key.split("/") if p]
    if len(parts) == 3 and parts[0] == "directoryroles" and parts[2] == "members":
        return ("/directoryroles",)
    if len(parts) >= 2 and parts[0] == "groups":
        return tuple(chain_key(p) for p in group_parents.get(parts[1], ()))
    return ()


def build_chains(exchanges: Iterable[Exchange], budgets: Sequence[Budget],
                 group_parents: Mapping[str, Sequence[str]]) -> dict[str, Chain]:
    """The chains of the Graph requests answered 200, in the order they were answered."""
    lowered = {k.lower(): v for k, v in group_parents.items()}
    chains: dict[str, Chain] = {}
    for exchange in exchanges:
        if not exchange.is_graph or exchange.status != 200:
            continue
        key = chain_key(exchange.path)
        chain = chains.get(key)
        if chain is None:
            chain = chains[key] = Chain(key, parents_of(key, lowered))
        chain.durations.append(exchange.seconds)
        for budget in budgets:
            if budget.applies_to(exchange.path):
                units = budget.cost(exchange.path, exchange.query)
                chain.units[budget.name] = chain.units.get(budget.name, 0) + units
    return chains


def _budget_wait(units: int, budget: Budget) -> float:
    """The least time from the first to the last admission of `units` units."""
    return math.floor((units - 1) / budget.capacity) * budget.seconds if units else 0.0


def critical_path(exchanges: Sequence[Exchange], latency: float, budgets: Sequence[Budget],
                  group_parents: Mapping[str, Sequence[str]]) -> CriticalPath:
    """The critical path of the capture whose traffic is `exchanges` (see the module doc)."""
    chains = build_chains(exchanges, budgets, group_parents)
    by_name = {budget.name: budget for budget in budgets}
    token_served = next((e.seconds for e in exchanges
                         if e.method == "POST" and e.path.endswith(TOKEN_SUFFIX)), latency)

    def own(chain: Chain, served: bool) -> float:
        steps = chain.durations if served else [latency] * chain.requests
        last = steps[-1] if steps else 0.0
        waits = [_budget_wait(units, by_name[name]) + last
                 for name, units in chain.units.items()]
        return max([sum(steps), *waits])

    def finishes(served: bool, token: float) -> dict[str, float]:
        done: dict[str, float] = {}

        def finish(key: str, seen: frozenset[str] = frozenset()) -> float:
            if key not in done:
                chain = chains[key]
                starts = [finish(p, seen | {key}) for p in chain.parents
                          if p in chains and p not in seen]
                done[key] = max(starts, default=token) + own(chain, served)
            return done[key]

        for key in chains:
            finish(key)
        return done

    nominal = finishes(False, latency)
    served = finishes(True, token_served)
    candidates = {f"chain {key}": value for key, value in nominal.items()}
    served_candidates = list(served.values())
    totals: dict[str, int] = defaultdict(int)
    durations: dict[str, list[float]] = defaultdict(list)
    for chain in chains.values():
        for name, units in chain.units.items():
            totals[name] += units
            durations[name].extend(chain.durations)
    for name, units in totals.items():
        wait = _budget_wait(units, by_name[name])
        candidates[f"budget {name} ({units} units)"] = latency + wait + latency
        mean = sum(durations[name]) / len(durations[name])
        served_candidates.append(token_served + wait + mean)
    bound_by, seconds = max(candidates.items(), key=lambda item: item[1],
                            default=("token", latency))
    rows = tuple(
        {"chain": key, "requests": chain.requests, "parents": list(chain.parents),
         "finish_s": round(nominal[key], 3), "served_finish_s": round(served[key], 3)}
        for key, chain in sorted(chains.items(), key=lambda item: -nominal[item[0]])
    )
    return CriticalPath(
        seconds=seconds,
        served_seconds=max(served_candidates, default=token_served),
        token_seconds=latency,
        bound_by=bound_by,
        requests=sum(chain.requests for chain in chains.values()),
        chains=rows,
    )
