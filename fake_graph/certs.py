"""A throwaway certificate authority and server certificate for the fake's TLS.

Generated once per process (EC P-256, so it is fast) and written to a temporary
directory. The server certificate names the real Microsoft hosts as well as
loopback, so `FakeGraph.route_real_hosts()` can serve them with a certificate
that verifies against `ca_bundle`.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_DNS_NAMES = ("graph.microsoft.com", "login.microsoftonline.com", "localhost")
SERVER_IPS = ("127.0.0.1",)
_VALID_FROM = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
_VALID_UNTIL = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class CertFiles:
    """Paths of the PEM files: the CA certificate, and the server's chain and key."""

    ca_bundle: Path
    server_cert: Path
    server_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "entra-kri test fake"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _build_ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("entra-kri fake Graph CA"))
        .issuer_name(_name("entra-kri fake Graph CA"))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(_VALID_FROM)
        .not_valid_after(_VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _build_server(
    ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    sans: list[x509.GeneralName] = [x509.DNSName(name) for name in SERVER_DNS_NAMES]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in SERVER_IPS]
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("graph.microsoft.com"))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(_VALID_FROM)
        .not_valid_after(_VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


@functools.cache
def cert_files() -> CertFiles:
    """Create (once per process) the CA and server certificate; return their paths."""
    ca_key, ca_cert = _build_ca()
    server_key, server_cert = _build_server(ca_key, ca_cert)
    directory = Path(tempfile.mkdtemp(prefix="fake-graph-tls-"))
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    files = CertFiles(
        ca_bundle=directory / "ca.pem",
        server_cert=directory / "server-chain.pem",
        server_key=directory / "server-key.pem",
    )
    files.ca_bundle.write_bytes(ca_pem)
    files.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM) + ca_pem)
    files.server_key.write_bytes(_key_pem(server_key))
    return files
