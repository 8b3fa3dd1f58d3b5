"""Send connections for the real Microsoft host names to the fake, under urllib3.

Patching `urllib3.util.connection.create_connection` (not DNS, not requests)
keeps everything above the socket real: urllib3's connection classes, TLS with
SNI and hostname checks against the real names, and vcrpy, which wraps those
connection classes and so still sees and records every request.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import urllib3.util.connection as urllib3_connection

REAL_HOSTS = frozenset({"graph.microsoft.com", "login.microsoftonline.com"})
_patch_lock = threading.Lock()


@contextlib.contextmanager
def route_hosts_to(port: int, hosts: frozenset[str] = REAL_HOSTS) -> Iterator[None]:
    """Within the block, urllib3 connections to `hosts`:443 go to 127.0.0.1:`port`."""
    with _patch_lock:
        original = urllib3_connection.create_connection

        def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
            host, target_port = address
            if host.lower() in hosts and target_port == 443:
                address = ("127.0.0.1", port)
            return original(address, *args, **kwargs)

        urllib3_connection.create_connection = create_connection  # type: ignore[assignment]
    try:
        yield
    finally:
        with _patch_lock:
            urllib3_connection.create_connection = original
