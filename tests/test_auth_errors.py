"""Token-endpoint refusals become the README's troubleshooting messages (snapshotter/auth.py)."""

import base64
import json

import pytest
from entra_kri.snapshotter.auth import missing_permissions, token_error, token_roles

TENANT = "00000000-0000-0000-0000-0000000000aa"


@pytest.mark.parametrize(("code", "expected"), [
    (7000215, "Secret ID was copied instead of its Value"),
    (7000222, "has expired"),
    (700016, "does not know this client id"),
    (90002, f"does not know the tenant {TENANT}"),
])
def test_each_aadsts_code_has_its_own_cause(code, expected):
    error = token_error({"error": "invalid_client", "error_codes": [code],
                         "error_description": f"AADSTS{code}: something"}, TENANT)
    assert expected in error.cause
    assert error.fix


def test_unknown_code_names_the_code():
    error = token_error({"error": "invalid_grant", "error_codes": [50999]}, TENANT)
    assert "invalid_grant" in error.message and "AADSTS50999" in error.message


def _jwt(claims: dict) -> str:
    def encode(part: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
    return f"{encode({'alg': 'none'})}.{encode(claims)}.sig"


def test_roles_claim_is_read_from_the_token():
    token = _jwt({"roles": ["User.Read.All", "AuditLog.Read.All"]})
    assert token_roles(token) == ["AuditLog.Read.All", "User.Read.All"]
    assert missing_permissions(token_roles(token)) == [
        "Directory.Read.All", "Policy.Read.All"]


def test_a_scrubbed_token_has_unknown_roles():
    assert token_roles("REDACTED") is None
