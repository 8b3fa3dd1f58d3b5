"""Serve fake tenants for trying entra-kri without a tenant: `python -m fake_graph`.

Starts the demo tenant and a generated one, each on its own local HTTPS port,
writes an entra-kri configuration file (fake-tenants.toml unless --config
names another) naming both, with secret files readable only by you, and serves
until interrupted. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import signal
import textwrap
import threading
from contextlib import ExitStack, suppress
from datetime import UTC, datetime
from pathlib import Path

from . import FakeGraph, make_demo_tenant, make_tenant

DEFAULT_CONFIG = Path("fake-tenants.toml")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fake_graph", description=__doc__)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, metavar="FILE",
                        help=f"configuration to write (default: {DEFAULT_CONFIG})")
    parser.add_argument("--root", default="snapshots-fake", help="snapshot root it names")
    parser.add_argument("--users", type=int, default=2000, help="users of the second tenant")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    args = parser.parse_args()

    now = datetime.now(UTC).replace(microsecond=0)
    tenants = {"demo": make_demo_tenant(now), "volume": make_tenant(args.users, 1, now)}
    with ExitStack() as stack:
        blocks = [f'root = "{args.root}"\n']
        for name, tenant in tenants.items():
            fake = stack.enter_context(FakeGraph(tenant, latency=args.latency))
            secret_file = args.config.with_name(f"{args.config.stem}.{name}.secret")
            secret_file.touch(mode=0o600)
            secret_file.chmod(0o600)
            secret_file.write_text(tenant.client_secret)
            blocks.append(textwrap.dedent(f"""
                [tenants.{name}]
                tenant_id = "{tenant.tenant_id}"
                client_id = "{tenant.client_id}"
                graph_url = "{fake.graph_url}"
                login_url = "{fake.login_url}"
                ca_bundle = "{fake.ca_bundle}"
                secret_file = "{secret_file.name}"
                """))
        args.config.write_text("".join(blocks))
        print(f"Serving {len(tenants)} fake tenants; configuration in {args.config}. "
              "Ctrl-C stops.", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
