"""Split a configuration's tenants across N workers: `entra-kri run --all --shard k/N`.

Each tenant belongs to exactly one shard, chosen by the SHA-256 of its name in the
configuration (not Python's `hash()`, which changes from process to process), so N
workers given shards 0/N to N-1/N capture the fleet once and a tenant stays on the
same shard from run to run. Shards count from 0, as Kubernetes' JOB_COMPLETION_INDEX
does (docs/configuration.md, "Capture across machines").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from entra_kri.errors import ConfigurationError

_SHARD = re.compile(r"^(\d+)/(\d+)$")


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (0 <= index < count)."""

    index: int
    count: int

    def holds(self, tenant_name: str) -> bool:
        """Whether the tenant configured under `tenant_name` belongs to this shard."""
        return shard_of(tenant_name, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(tenant_name: str, count: int) -> int:
    """The shard (0 to count - 1) of a tenant: its name's SHA-256, as a number, modulo count."""
    digest = hashlib.sha256(tenant_name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str) -> Shard:
    """`k/N` as a Shard; raise ConfigurationError for anything else."""
    match = _SHARD.match(text.strip())
    if match is None or not 0 <= int(match[1]) < int(match[2]):
        raise ConfigurationError(
            f"--shard {text!r} is not a shard: write k/N with 0 <= k < N, e.g. 0/4 to 3/4 "
            "for four workers.",
            "Give each of N workers a different k (Kubernetes: "
            "--shard $(JOB_COMPLETION_INDEX)/N).",
        )
    return Shard(int(match[1]), int(match[2]))

