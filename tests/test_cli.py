"""The command line against the fake: one actionable message per troubleshooting case.

Cases from the README's troubleshooting table and docs/graph-behaviour.md's token-endpoint table.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from entra_kri.cli import cli
from fake_graph import ALL_APP_ROLES, FakeGraph, allow_loopback

pytestmark = allow_loopback


def run(fake: FakeGraph, tenant, *args: str, secret: str | None = None,
        tenant_id: str | None = None, client_id: str | None = None):
    argv = [*args, "--tenant-id", tenant_id or tenant.tenant_id,
            "--client-id", client_id or tenant.client_id, "--graph-url", fake.graph_url,
            "--login-url", fake.login_url, "--ca-bundle", fake.ca_bundle]
    env = {"ENTRA_KRI_CLIENT_SECRET": tenant.client_secret if secret is None else secret}
    return CliRunner().invoke(cli, argv, env=env)


def snapshot(fake, tenant, root: Path, *extra: str, **kwargs):
    return run(fake, tenant, "snapshot", "--out", str(root), *extra, **kwargs)


def no_snapshot_under(root: Path) -> bool:
    return not any(p.name == "manifest.json" for p in root.rglob("*")) and not any(
        ".partial" in p.name for p in root.rglob("*"))


def test_snapshot_prints_the_new_directory(fake, demo_tenant, tmp_path):
    result = snapshot(fake, demo_tenant, tmp_path)
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.parent == tmp_path / demo_tenant.tenant_id and (path / "manifest.json").exists()


def test_wrong_secret_names_the_secret_id_mistake(fake, demo_tenant, tmp_path):
    result = snapshot(fake, demo_tenant, tmp_path, secret="the-secret-id-not-the-value")
    assert result.exit_code == 1
    assert "AADSTS7000215" in result.stderr and "Value" in result.stderr
    assert no_snapshot_under(tmp_path)


def test_expired_secret_says_so(fake, demo_tenant, tmp_path):
    demo_tenant.secret_state = "expired"
    result = snapshot(fake, demo_tenant, tmp_path)
    assert result.exit_code == 1
    assert "AADSTS7000222" in result.stderr and "expired" in result.stderr
    assert no_snapshot_under(tmp_path)


def test_unknown_tenant_is_aadsts90002(fake, demo_tenant, tmp_path):
    result = snapshot(fake, demo_tenant, tmp_path,
                      tenant_id="00000000-0000-0000-0000-000000000001")
    assert result.exit_code == 1
    assert "AADSTS90002" in result.stderr and "Directory (tenant) ID" in result.stderr
    assert "00000000-0000-0000-0000-000000000001" in result.stderr
    assert no_snapshot_under(tmp_path)


def test_unknown_client_is_aadsts700016(fake, demo_tenant, tmp_path):
    result = snapshot(fake, demo_tenant, tmp_path,
                      client_id="00000000-0000-0000-0000-000000000002")
    assert result.exit_code == 1
    assert "AADSTS700016" in result.stderr and "Application (client) ID" in result.stderr


def test_missing_consent_names_the_permission(fake, demo_tenant, tmp_path):
    demo_tenant.granted_roles = set()
    result = snapshot(fake, demo_tenant, tmp_path)
    assert result.exit_code == 1
    assert "Authorization_RequestDenied" in result.stderr
    assert "Grant admin consent" in result.stderr
    assert no_snapshot_under(tmp_path)


def test_p1_less_tenant_exits_0_with_warnings(fake, demo_tenant, tmp_path):
    demo_tenant.licence = "free"
    result = snapshot(fake, demo_tenant, tmp_path)
    assert result.exit_code == 0, result.output
    assert ("Graph refused GET /auditLogs/signIns (HTTP 403 "
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant)") in result.stderr
    report = json.loads(CliRunner().invoke(
        cli, ["kri", result.stdout.strip(), "--format", "json"]).stdout)
    degraded = {k["slug"]: k for k in report["kris"] if k["degraded"]}
    assert degraded["entra_failed_signins_24h"]["value"] == 0
    assert "P1/P2" in degraded["entra_ca_coverage_gaps"]["warnings"][0]


def test_no_secret_is_a_usage_error(fake, demo_tenant, tmp_path):
    result = snapshot(fake, demo_tenant, tmp_path, secret="")
    assert result.exit_code == 2
    assert "ENTRA_KRI_CLIENT_SECRET" in result.stderr


def test_a_world_readable_secret_file_is_refused(fake, demo_tenant, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(demo_tenant.client_secret)
    secret_file.chmod(0o644)
    result = snapshot(fake, demo_tenant, tmp_path / "out", "--client-secret-file",
                      str(secret_file), secret="")
    assert result.exit_code == 2 and "chmod 600" in result.stderr
    secret_file.chmod(0o600)
    result = snapshot(fake, demo_tenant, tmp_path / "out", "--client-secret-file",
                      str(secret_file), secret="")
    assert result.exit_code == 0, result.output


def test_a_tenant_id_that_is_not_a_guid_is_refused(fake, demo_tenant, tmp_path):
    result = snapshot(fake, demo_tenant, tmp_path, tenant_id="contoso")
    assert result.exit_code == 2 and "not a GUID" in result.stderr


@pytest.mark.parametrize("secret_case", ["good", "bad"])
def test_the_secret_never_appears_in_output(fake, demo_tenant, tmp_path, secret_case):
    secret = demo_tenant.client_secret if secret_case == "good" else "Wr0ng~Secret~Value"
    result = snapshot(fake, demo_tenant, tmp_path, secret=secret)
    assert secret not in result.output
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes()


def test_check_reports_tenant_permissions_and_licence(fake, demo_tenant):
    result = run(fake, demo_tenant, "check")
    assert result.exit_code == 0, result.output
    assert demo_tenant.organization["displayName"] in result.stdout
    assert result.stdout.count("granted") == 4
    assert "/auditLogs/signIns" in result.stdout
    assert "refused" not in result.stdout


def test_check_passes_with_auditlog_but_without_reports_read_all(fake, demo_tenant):
    """Microsoft's v1.0 reference: AuditLog.Read.All reads userRegistrationDetails."""
    demo_tenant.granted_roles = set(ALL_APP_ROLES) - {"Reports.Read.All"}
    result = run(fake, demo_tenant, "check")
    assert result.exit_code == 0, result.output
    assert "MISSING" not in result.stdout and "refused" not in result.stdout


def test_check_names_what_a_missing_permission_costs_and_passes(fake, demo_tenant):
    """Policy.Read.All missing: the CA KRIs degrade, but a snapshot can be taken."""
    demo_tenant.granted_roles = set(ALL_APP_ROLES) - {"Policy.Read.All"}
    result = run(fake, demo_tenant, "check")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if "Policy.Read.All" in x)
    assert "MISSING" in line and "both CA KRIs count every enabled member" in line
    assert "refused: 403 Authorization_RequestDenied" in result.stdout


def test_check_says_a_missing_permission_covered_by_another_costs_nothing(fake, demo_tenant):
    """User.Read.All missing, Directory.Read.All granted: /users still answers."""
    demo_tenant.granted_roles = set(ALL_APP_ROLES) - {"User.Read.All"}
    result = run(fake, demo_tenant, "check")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if "User.Read.All" in x)
    assert "MISSING, costs nothing" in line


def test_check_fails_when_a_collection_the_kris_need_is_refused(fake, demo_tenant):
    demo_tenant.granted_roles = set(ALL_APP_ROLES) - {"Directory.Read.All"}
    result = run(fake, demo_tenant, "check")
    assert result.exit_code == 1
    assert "/directoryRoles" in result.stdout and "MISSING" in result.stdout
    assert "GET /directoryRoles" in result.stderr and "Directory.Read.All" in result.stderr
    assert "Grant admin consent" in result.stderr


def test_check_on_a_free_tenant_reports_refusals_but_passes(fake, demo_tenant):
    demo_tenant.licence = "free"
    result = run(fake, demo_tenant, "check")
    assert result.exit_code == 0, result.output
    assert "refused: 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant" in result.stdout


def test_kri_refuses_a_tampered_snapshot_naming_the_file(fake, demo_tenant, tmp_path):
    path = Path(snapshot(fake, demo_tenant, tmp_path).stdout.strip())
    users = path / "users.ndjson.gz"
    data = bytearray(users.read_bytes())
    data[-5] ^= 0xFF
    users.write_bytes(bytes(data))
    result = CliRunner().invoke(cli, ["kri", str(path)])
    assert result.exit_code == 1 and "users.ndjson.gz" in result.stderr


def test_every_command_is_documented():
    """STYLE: each click command's one-line docstring is its --help; README names each."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for name, command in cli.commands.items():
        assert command.help, name
        assert f"entra-kri {name}" in readme or f"`{name}`" in readme, name


def test_json_log_format_gives_one_object_per_line(tmp_path):
    from tests.conftest import DEMO_CASSETTE
    result = CliRunner().invoke(cli, ["--log-format", "json", "snapshot", "--replay",
                                      str(DEMO_CASSETTE), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert lines and {"time", "level", "logger", "message"} <= set(lines[0])
    assert any("users:" in line["message"] for line in lines)
