"""A local S3 for tests: moto's server in this process, a fresh bucket per test.

`s3_root` yields `s3://<bucket>/snapshots` on a moto server started once per
test session on 127.0.0.1 (a free port), with fake credentials and
AWS_ENDPOINT_URL set through monkeypatch, so entra-kri reaches it exactly as it
reaches a real bucket: through s3fs and the standard AWS_* variables. Tests
using it are marked to reach the loopback address under `--block-network`
(conftest.py does that).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from entra_kri.snapshot.object_storage import ObjectStorage
from entra_kri.snapshot.roots import open_root

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing-key-id",
                    "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
                    "AWS_DEFAULT_REGION": "us-east-1"}
# Variables that would point boto elsewhere than the moto server.
FOREIGN_AWS_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                         "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_REGION",
                         "AWS_ENDPOINT_URL_S3")
ROOT_PREFIX = "snapshots"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server running in this process for the whole session."""
    server_module = pytest.importorskip(
        "moto.server", reason="moto is not installed: make install (the dev extra has it)")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def use_moto(monkeypatch: pytest.MonkeyPatch, endpoint: str, tmp_path: Path) -> None:
    """Point the AWS_* variables at the moto server, with fake credentials only, and the
    user's cache directory (where a store's history cache goes) into `tmp_path`."""
    for name in FOREIGN_AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role to ask
    # No profile or credentials file of the machine's user is read.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def s3_root(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """`s3://<a new bucket>/snapshots` on the session's moto server (the user's cache
    directory is `tmp_path`/xdg-cache)."""
    use_moto(monkeypatch, moto_endpoint, tmp_path)
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    root = open_root(f"s3://{bucket}/{ROOT_PREFIX}")
    store(root.text).fs.mkdir(bucket)
    return root.text


def store(root_text: str) -> ObjectStorage:
    """The object storage of `root_text` (a URL), to look at or change objects directly."""
    storage = open_root(root_text).storage
    assert isinstance(storage, ObjectStorage)
    return storage


def upload(local_root: Path, root_text: str) -> None:
    """Copy every file under `local_root` to the same relative keys under `root_text`."""
    root = open_root(root_text)
    fs = store(root_text).fs
    for path in sorted(local_root.rglob("*")):
        if path.is_file():
            relative = path.relative_to(local_root).as_posix()
            fs.put_file(str(path), f"{root.path}/{relative}")


@pytest.fixture(params=["s3", "azure", "gcs"])
def object_root(request: pytest.FixtureRequest) -> str:
    """A fresh root on each local object store: `s3://…` (moto), `az://…` (Azurite),
    `gs://…` (tests/gcs_fake.py)."""
    return request.getfixturevalue(f"{request.param}_root")
