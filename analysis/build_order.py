"""The order in which the SQL files of one layer are created, derived from the files.

A file reads another relation of its layer when its code (comments and string
literals removed) names that relation as a word. Each file comes after the ones it
reads; files ready at the same time come in name order, so the order is the same on
every run. The layers themselves are created in a fixed order (staging, then
intermediate, then the KRI, audit and explain files).
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Mapping

_COMMENTS_AND_LITERALS = re.compile(r"--[^\n]*|'(?:[^']|'')*'")


def sql_code(text: str) -> str:
    """`text` without its comments and string literals."""
    return _COMMENTS_AND_LITERALS.sub(" ", text)


def reads(sql: str, names: set[str]) -> set[str]:
    """The relations among `names` that the statement `sql` names."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql_code(sql)))
    return names & words


def build_order(statements: Mapping[str, str]) -> list[str]:
    """The names of `statements` (name -> SQL) so that each comes after those it reads.

    Raises ValueError when files read each other in a cycle.
    """
    names = set(statements)
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in sorted(names):
        sorter.add(name, *sorted(reads(statements[name], names - {name})))
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise ValueError(f"SQL files read each other in a cycle: {cycle}") from exc
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order
