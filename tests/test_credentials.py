"""Credential sources (snapshotter/credentials.py): env, file, keyring, certificate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from entra_kri.snapshotter.credentials import CredentialSource, certificate_credential

from entra_kri.cli import cli
from entra_kri.errors import ConfigurationError
from fake_graph import allow_loopback


def app_certificate(tmp_path: Path, days: int = 365) -> tuple[Path, str]:
    """A PEM with a private key and its self-signed certificate, as a user would make one."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entra-kri test app")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    path = tmp_path / "app.pem"
    path.write_bytes(key_pem + cert_pem)
    path.chmod(0o600)
    return path, cert_pem.decode()


def test_environment_secret_is_the_default(monkeypatch):
    monkeypatch.setenv("ENTRA_KRI_CLIENT_SECRET", " s3cret \n")
    assert CredentialSource("client").load() == "s3cret"


def test_a_custom_environment_variable_can_be_named(monkeypatch):
    monkeypatch.setenv("CONTOSO_SECRET", "abc")
    assert CredentialSource("client", secret_env="CONTOSO_SECRET").load() == "abc"


def test_an_empty_secret_is_refused_naming_where_it_was_looked_for(monkeypatch):
    monkeypatch.delenv("ENTRA_KRI_CLIENT_SECRET", raising=False)
    with pytest.raises(ConfigurationError, match="ENTRA_KRI_CLIENT_SECRET"):
        CredentialSource("client").load()


def test_a_keyring_without_backend_gives_a_clear_error(monkeypatch):
    import keyring
    from keyring.errors import NoKeyringError

    def no_backend(service: str, user: str) -> str:
        raise NoKeyringError("no backend")
    monkeypatch.setattr(keyring, "get_password", no_backend)
    with pytest.raises(ConfigurationError, match="keyring"):
        CredentialSource("client", keyring_service="entra-kri").load()


def test_a_keyring_secret_is_read_by_client_id(monkeypatch):
    import keyring
    monkeypatch.setattr(keyring, "get_password",
                        lambda service, user: "k3y" if (service, user) == ("svc", "cid") else None)
    assert CredentialSource("cid", keyring_service="svc").load() == "k3y"


def test_certificate_credential_has_key_and_sha1_thumbprint(tmp_path):
    path, _ = app_certificate(tmp_path)
    credential = certificate_credential(path)
    assert "PRIVATE KEY" in credential["private_key"]
    assert len(credential["thumbprint"]) == 40


def test_a_pem_without_a_key_is_refused(tmp_path):
    path, cert_pem = app_certificate(tmp_path)
    path.write_text(cert_pem)
    with pytest.raises(ConfigurationError, match="private key"):
        certificate_credential(path)


@allow_loopback
def test_snapshot_signs_in_with_a_certificate(fake, demo_tenant, tmp_path):
    path, cert_pem = app_certificate(tmp_path)
    demo_tenant.certificate_pem = cert_pem
    result = CliRunner().invoke(cli, [
        "snapshot", "--tenant-id", demo_tenant.tenant_id, "--client-id", demo_tenant.client_id,
        "--graph-url", fake.graph_url, "--login-url", fake.login_url,
        "--ca-bundle", fake.ca_bundle, "--certificate", str(path), "--out", str(tmp_path / "o"),
    ], env={"ENTRA_KRI_CLIENT_SECRET": ""})
    assert result.exit_code == 0, result.output
    token_calls = [r for r in fake.requests if r.path.endswith("/token")]
    assert b"client_assertion=" in token_calls[0].body
    assert b"client_secret" not in token_calls[0].body


@allow_loopback
def test_check_warns_when_the_certificate_expires_soon(fake, demo_tenant, tmp_path):
    path, cert_pem = app_certificate(tmp_path, days=10)
    demo_tenant.certificate_pem = cert_pem
    result = CliRunner().invoke(cli, [
        "check", "--tenant-id", demo_tenant.tenant_id, "--client-id", demo_tenant.client_id,
        "--graph-url", fake.graph_url, "--login-url", fake.login_url,
        "--ca-bundle", fake.ca_bundle, "--certificate", str(path)])
    assert result.exit_code == 0, result.output
    assert "Certificate expires" in result.stdout and "expires in 9 days" in result.stderr
