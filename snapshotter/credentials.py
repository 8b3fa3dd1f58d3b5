"""Where the app's credential comes from: environment, file, OS keyring or certificate.

Never from argv (visible to every user of the machine). What is loaded here is
handed to msal and nowhere else: no message built here quotes it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from entra_kri.errors import ConfigurationError

Credential = str | dict[str, str]
DEFAULT_SECRET_ENV = "ENTRA_KRI_CLIENT_SECRET"


@dataclass(frozen=True)
class CredentialSource:
    """One way to get the credential; exactly one of the optional fields is used."""

    client_id: str
    secret_env: str = DEFAULT_SECRET_ENV
    secret_file: Path | None = None
    keyring_service: str | None = None
    certificate: Path | None = None

    def load(self) -> Credential:
        if self.certificate is not None:
            return certificate_credential(self.certificate)
        if self.secret_file is not None:
            return _non_empty(_read_private_file(self.secret_file), f"the file {self.secret_file}")
        if self.keyring_service is not None:
            return _non_empty(_from_keyring(self.keyring_service, self.client_id),
                              f"the keyring entry {self.keyring_service}/{self.client_id}")
        return _non_empty(os.environ.get(self.secret_env, ""),
                          f"the environment variable {self.secret_env}")

    def expiry(self) -> datetime | None:
        """When the credential stops working, if that can be told from here (certificates)."""
        if self.certificate is None:
            return None
        from cryptography import x509  # only certificate users need it

        cert = x509.load_pem_x509_certificate(self.certificate.read_bytes())
        return cert.not_valid_after_utc


def _non_empty(secret: str, where: str) -> str:
    secret = secret.strip()
    if not secret:
        raise ConfigurationError(
            f"No client secret: {where} is empty or unset.",
            f"Set {DEFAULT_SECRET_ENV} to the secret's Value (never pass it as an argument), "
            "or give --client-secret-file, a keyring entry or a certificate.",
        )
    return secret


def _read_private_file(path: Path) -> str:
    try:
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigurationError(
                f"The secret file {path} is readable by other users.",
                f"Restrict it: chmod 600 {path}.",
            )
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"Cannot read the secret file {path} ({exc.strerror}).",
                                 "Check the path and its permissions.") from exc


def _from_keyring(service: str, client_id: str) -> str:
    # Imported here: loading keyring probes the OS for backends, wanted only with --keyring.
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(service, client_id) or ""
    except KeyringError as exc:
        raise ConfigurationError(
            f"The OS keyring could not be read ({type(exc).__name__}).",
            f"Store the secret with `keyring set {service} {client_id}` on a machine with a "
            "keyring backend, or use a secret file or certificate instead.",
        ) from exc


def certificate_credential(path: Path) -> dict[str, str]:
    """msal's certificate credential from a PEM holding the private key and the certificate."""
    # Imported here, as in CredentialSource.expiry: only certificate users need it.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    try:
        pem = _read_private_file(path).encode()
        cert = x509.load_pem_x509_certificate(pem)
        serialization.load_pem_private_key(pem, password=None)
    except ValueError as exc:
        raise ConfigurationError(
            f"{path} does not hold both a PEM certificate and its unencrypted private key.",
            "Concatenate the private key and the certificate uploaded to the app registration "
            "into one PEM file (chmod 600).",
        ) from exc
    if cert.not_valid_after_utc < datetime.now(UTC):
        raise ConfigurationError(
            f"The certificate in {path} expired on {cert.not_valid_after_utc:%Y-%m-%d}.",
            "Upload a new certificate to the app registration and point the tool at it.",
        )
    return {"private_key": pem.decode(), "thumbprint": cert.fingerprint(hashes.SHA1()).hex()}
