"""A local Azure Blob store for tests: Azurite (Node.js), a fresh container per test.

`azure_root` yields `az://<container>/snapshots` on an Azurite blob server
started once per test session on 127.0.0.1 (a free port) in a temporary
workspace, with AZURE_STORAGE_CONNECTION_STRING naming Azurite's development
account set through monkeypatch, so entra-kri reaches it exactly as it reaches
a real storage account: through adlfs and the standard AZURE_STORAGE_*
variables. `make install-azurite` (and so CI) installs Azurite under
.venv/node; without it (or without Node.js) these tests skip, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from entra_kri.snapshot.roots import open_root

REPO = Path(__file__).resolve().parent.parent
INSTALLED_AZURITE = REPO / ".venv" / "node" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's development account: its name and key are published and the same on every
# machine, so they are no secret (Azurite accepts no other account).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
               "K1SZFPTOtr/KBHBeksoGMGw==")
# Variables that would point adlfs at another account or credential than Azurite's.
FOREIGN_AZURE_VARIABLES = ("AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT_KEY",
                           "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CLIENT_ID",
                           "AZURE_STORAGE_CLIENT_SECRET", "AZURE_STORAGE_TENANT_ID",
                           "AZURE_STORAGE_ANON")
ROOT_PREFIX = "snapshots"
STARTUP_SECONDS = 60
_LISTENING = re.compile(r"listens on (http://127\.0\.0\.1:\d+)")


def azurite_command() -> str | None:
    """The `azurite-blob` that `make install-azurite` installed, else one on PATH."""
    if shutil.which("node") is None:
        return None
    if INSTALLED_AZURITE.exists():
        return str(INSTALLED_AZURITE)
    return shutil.which("azurite-blob")


@pytest.fixture(scope="session")
def azurite_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The blob endpoint (`http://127.0.0.1:PORT/devstoreaccount1`) of an Azurite server
    running for the whole session."""
    command = azurite_command()
    if command is None:
        pytest.skip("Azurite is not installed (it needs Node.js): run `make install-azurite`; "
                    "CI installs it, so these Azure Blob cases run there")
    workspace = tmp_path_factory.mktemp("azurite")
    log_path = workspace / "azurite.log"
    # Its output goes to a file, not a pipe nobody drains; --silent keeps requests out of it.
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [command, "--blobHost", "127.0.0.1", "--blobPort", "0",
             "--location", str(workspace / "data"), "--disableTelemetry", "--silent",
             "--skipApiVersionCheck"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"{wait_until_listening(process, log_path)}/{AZURITE_ACCOUNT}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_listening(process: subprocess.Popen, log_path: Path) -> str:
    """The URL Azurite says it listens on, once it says so; fails if it exits or never does."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        found = _LISTENING.search(log_path.read_text(errors="replace"))
        if found:
            return found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"Azurite did not start listening:\n{log_path.read_text(errors='replace')}")


def connection_string(endpoint: str) -> str:
    """The connection string of Azurite's development account at `endpoint`."""
    return (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={endpoint};")


def use_azurite(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    """Point AZURE_STORAGE_CONNECTION_STRING at Azurite, and nothing else at any account."""
    for name in FOREIGN_AZURE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection_string(endpoint))


@pytest.fixture
def azure_root(azurite_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`az://<a new container>/snapshots` on the session's Azurite server."""
    use_azurite(monkeypatch, azurite_endpoint)
    # Container names: 3 to 63 lower-case letters, digits and hyphens.
    container = f"test-{uuid.uuid4().hex[:20]}"
    root = open_root(f"az://{container}/{ROOT_PREFIX}")
    root.storage.fs.mkdir(container)
    return root.text

