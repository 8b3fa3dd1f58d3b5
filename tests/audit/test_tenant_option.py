"""`--tenant` of the commands that read a snapshot root (trend, query, report): a tenant id,
or a tenant name of the configuration file (docs/audit.md)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from entra_kri.cli import cli
from tests.snapshot_builder import TENANT_ID, build_snapshot, user

OTHER_ID = "11111111-1111-1111-1111-111111111111"
COMMANDS = {
    "trend": ["trend"],
    "query": ["query", "{root}", "select count(*) as n from users"],
    "report": ["report", "{root}", "--out", "{tmp}/r.html"],
}


@pytest.fixture(scope="module")
def two_tenants(tmp_path_factory):
    """A root holding two tenants, and a configuration naming the first `contoso`."""
    base = tmp_path_factory.mktemp("two")
    root = base / "root"
    build_snapshot(root, users=[user("a"), user("b")])
    build_snapshot(root, users=[user("c")], tenant_id=OTHER_ID)
    config = base / "entra-kri.toml"
    config.write_text(f'[tenants.contoso]\ntenant_id = "{TENANT_ID}"\n'
                      f'client_id = "{OTHER_ID}"\n', encoding="utf-8")
    return root, config


def invoke(command, root, tmp_path, *extra):
    args = [a.format(root=root, tmp=tmp_path) for a in COMMANDS[command]]
    if command == "trend":
        args.append(str(root))
    return CliRunner().invoke(cli, [*args, *extra])


@pytest.mark.parametrize("command", COMMANDS)
def test_a_configured_tenant_name_picks_that_tenant(two_tenants, tmp_path, command):
    root, config = two_tenants
    by_name = invoke(command, root, tmp_path, "--tenant", "contoso", "--config", str(config))
    assert by_name.exit_code == 0, by_name.output
    by_id = invoke(command, root, tmp_path, "--tenant", TENANT_ID, "--config", str(config))
    assert by_id.exit_code == 0, by_id.output
    if command != "report":
        assert by_name.stdout == by_id.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_tenant_name_is_refused_naming_the_configured_ones(two_tenants, tmp_path,
                                                                      command):
    root, config = two_tenants
    result = invoke(command, root, tmp_path, "--tenant", "fabrikam", "--config", str(config))
    assert result.exit_code == 2
    assert "'fabrikam'" in result.output and "contoso" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_a_tenant_id_needs_no_configuration(two_tenants, tmp_path, command, monkeypatch):
    root, _ = two_tenants
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENTRA_KRI_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    result = invoke(command, root, tmp_path, "--tenant", OTHER_ID.upper())
    assert result.exit_code == 0, result.output
