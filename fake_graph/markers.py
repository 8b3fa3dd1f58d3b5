"""The pytest mark that lets a test reach the fake under `--block-network`.

pytest-recording's `--block-network` blocks every `socket.connect`, loopback
included, unless the host matches `allowed_hosts`. Its `allowed_hosts` fixture
reads them from the `block_network` mark (not from an `allowed_hosts` mark),
the `--allowed-hosts` option or `vcr_config["allowed_hosts"]`.
"""

import pytest

allow_loopback = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$", r"localhost$"])
