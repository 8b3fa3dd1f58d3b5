"""entra-kri.toml (docs/configuration.md): lookup order, validation naming each key, precedence."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from entra_kri.cli import cli
from entra_kri.config import load_config, settings_for_tenant
from entra_kri.errors import ConfigurationError
from tests.conftest import DEMO_CASSETTE

TENANT = "7f3c1e2a-4b5d-4c6e-9f80-1a2b3c4d5e6f"
CLIENT = "0c1d2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "entra-kri.toml"
    path.write_text(textwrap.dedent(text))
    return path


def good(tmp_path: Path, extra: str = "") -> Path:
    return write(tmp_path, f"""
        root = "snaps"
        [tenants.contoso]
        tenant_id = "{TENANT}"
        client_id = "{CLIENT}"
        {extra}
        """)


def mistakes_of(path: Path) -> str:
    with pytest.raises(ConfigurationError) as raised:
        load_config(path)
    return raised.value.message


def test_a_valid_file_loads_with_paths_relative_to_it(tmp_path):
    config = load_config(good(tmp_path))
    assert config.root == tmp_path / "snaps"
    assert config.tenant("contoso").tenant_id == TENANT
    assert config.tenant(TENANT).name == "contoso"  # the id works too


def test_unknown_keys_are_named(tmp_path):
    message = mistakes_of(good(tmp_path, 'colour = "blue"'))
    assert "tenants.contoso.colour: unknown key" in message


def test_a_bad_guid_is_named(tmp_path):
    message = mistakes_of(write(tmp_path, """
        [tenants.x]
        tenant_id = "contoso.onmicrosoft.com"
        client_id = "not-a-guid"
        """))
    assert "tenants.x.tenant_id: 'contoso.onmicrosoft.com' is not a GUID" in message
    assert "tenants.x.client_id: 'not-a-guid' is not a GUID" in message


def test_an_unknown_cloud_is_named(tmp_path):
    assert "tenants.contoso.cloud: 'germany'" in mistakes_of(good(tmp_path, 'cloud = "germany"'))


def test_thresholds_of_the_wrong_type_are_named(tmp_path):
    message = mistakes_of(good(tmp_path, """
        [tenants.contoso.thresholds]
        entra_guest_account_count = { warn = "200", breach = 1000 }
        """))
    assert "thresholds.entra_guest_account_count.warn: '200' is not a number" in message


def test_inverted_thresholds_are_named(tmp_path):
    message = mistakes_of(good(tmp_path, """
        [tenants.contoso.thresholds]
        entra_guest_account_count = { warn = 1000, breach = 200 }
        """))
    assert "thresholds.entra_guest_account_count" in message


def test_unknown_kri_is_named(tmp_path):
    assert "kris: unknown KRI 'entra_nope'" in mistakes_of(good(tmp_path, 'kris = ["entra_nope"]'))


def test_a_secret_file_readable_by_others_is_refused(tmp_path):
    (tmp_path / "secret").write_text("x")
    (tmp_path / "secret").chmod(0o644)
    assert "readable by other users" in mistakes_of(good(tmp_path, 'secret_file = "secret"'))


def test_all_mistakes_are_reported_at_once(tmp_path):
    message = mistakes_of(good(tmp_path, 'cloud = "mars"\nsignin_window_hours = 0'))
    assert "2 mistake(s)" in message


def test_lookup_uses_the_environment_variable(tmp_path, monkeypatch):
    path = good(tmp_path)
    monkeypatch.setenv("ENTRA_KRI_CONFIG", str(path))
    monkeypatch.chdir(tmp_path.parent)
    assert load_config(None).path == path


def test_command_line_values_override_the_file(tmp_path):
    config = load_config(good(tmp_path, 'cloud = "usgov"'))
    settings = settings_for_tenant(config, "contoso", cloud="china", tenant_id=None)
    assert settings.cloud == "china" and settings.client_id == CLIENT


def test_config_check_command_names_mistakes(tmp_path):
    path = good(tmp_path, 'cloud = "mars"')
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(path)])
    assert result.exit_code == 2 and "tenants.contoso.cloud" in result.stderr
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(good(tmp_path))])
    assert result.exit_code == 0 and "tenant contoso" in result.stdout


def test_kri_applies_the_tenants_thresholds_and_selection(tmp_path):
    snapshot = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE), "--out",
                                        str(tmp_path / "out")]).stdout.strip()
    config = good(tmp_path, """
        kris = ["entra_guest_account_count", "entra_stale_accounts_90d"]
        [tenants.contoso.thresholds]
        entra_guest_account_count = { warn = 10, breach = 15 }
        """)
    result = CliRunner().invoke(cli, ["kri", snapshot, "--format", "json", "--config",
                                      str(config)])
    kris = {k["slug"]: k for k in json.loads(result.stdout)["kris"]}
    assert set(kris) == {"entra_guest_account_count", "entra_stale_accounts_90d"}
    assert kris["entra_guest_account_count"]["status"] == "breach"  # 16 >= 15


def test_no_kri_selected_has_its_own_message(tmp_path):
    """An empty KRI selection: nothing would be computed."""
    assert "kris: empty; no KRI would be computed" in mistakes_of(good(tmp_path, "kris = []"))


def test_trend_and_explain_judge_statuses_by_the_configured_thresholds(tmp_path):
    out = tmp_path / "out"
    snapshot = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE), "--out",
                                        str(out)]).stdout.strip()
    config = good(tmp_path, """
        [tenants.contoso.thresholds]
        entra_guest_account_count = { warn = 10, breach = 15 }
        """)
    trend = CliRunner().invoke(cli, ["trend", str(out), "--format", "json", "--kri",
                                     "entra_guest_account_count", "--config", str(config)])
    assert trend.exit_code == 0, trend.output
    assert '"breach"' in trend.stdout
    explain = CliRunner().invoke(cli, ["explain", snapshot, "entra_guest_account_count",
                                       "--format", "json", "--config", str(config)])
    assert json.loads(explain.stdout)["status"] == "breach"


def test_a_secret_typed_into_secret_env_is_never_echoed(tmp_path):
    """secret_env names an environment variable; a secret pasted there stays unshown."""
    secret = "Xy7~Q8abc.SuperSecretValue-123"
    path = good(tmp_path, f'secret_env = "{secret}"')
    message = mistakes_of(path)
    assert "secret_env" in message and secret not in message
    for args in (["config", "check", "--config", str(path)],
                 ["run", "--all", "--config", str(path)],
                 ["check", "--tenant", "contoso", "--config", str(path)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert secret not in result.output


def test_config_check_refuses_a_root_that_cannot_be_written(tmp_path):
    """root under a regular file: even root cannot create it (works without mounting)."""
    (tmp_path / "a-file").write_text("")
    path = write(tmp_path, f"""
        root = "a-file/snaps"
        [tenants.contoso]
        tenant_id = "{TENANT}"
        client_id = "{CLIENT}"
        """)
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert "root" in result.stderr and "Not a directory" in result.stderr


def test_config_check_refuses_a_read_only_root(tmp_path):
    from tests.mounts import read_only

    (tmp_path / "source").mkdir()
    with read_only(tmp_path / "source", tmp_path / "ro"):
        path = good(tmp_path).read_text().replace('root = "snaps"', 'root = "ro/snaps"')
        config = write(tmp_path, path)
        result = CliRunner().invoke(cli, ["config", "check", "--config", str(config)])
    assert result.exit_code == 2 and "Read-only file system" in result.stderr


def test_config_check_says_root_is_writable(tmp_path):
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(good(tmp_path))])
    assert result.exit_code == 0 and "(writable)" in result.stdout
    assert not (tmp_path / "snaps").exists()


def _with_retention(tmp_path: Path, lines: str) -> Path:
    return write(tmp_path, f"""
        {lines}
        [tenants.contoso]
        tenant_id = "{TENANT}"
        client_id = "{CLIENT}"
        """)


def test_retention_days_and_mode_load_together(tmp_path):
    config = load_config(_with_retention(tmp_path, 'retention_days = 365\n'
                                                   '        retention_mode = "compliance"'))
    assert (config.retention.days, config.retention.mode) == (365, "compliance")
    assert load_config(good(tmp_path)).retention is None


def test_retention_days_without_a_mode_is_refused_naming_both_modes(tmp_path):
    """Compliance mode cannot be undone: it is never chosen for the user by default."""
    message = mistakes_of(_with_retention(tmp_path, "retention_days = 30"))
    assert "retention_mode: missing" in message
    assert "'governance'" in message and "'compliance'" in message


@pytest.mark.parametrize(("lines", "named"), [
    ('retention_days = 0\n        retention_mode = "governance"', "retention_days: 0 is not"),
    ('retention_days = "30"\n        retention_mode = "governance"',
     "retention_days: '30' is not"),
    ('retention_days = 40000\n        retention_mode = "governance"',
     "retention_days: 40000 is not"),
    ('retention_days = 30\n        retention_mode = "legal"', "retention_mode: 'legal' is not"),
    ('retention_mode = "governance"', "retention_days: missing"),
])
def test_a_wrong_retention_is_named_with_its_key(tmp_path, lines, named):
    assert named in mistakes_of(_with_retention(tmp_path, lines))


def test_config_check_shows_control_characters_in_names_and_root_escaped(tmp_path):
    """A tenant name or root in the file is shown as every other output shows text it did
    not write itself: ESC as `\\x1b`, never sent to the terminal (docs/output-safety.md)."""
    path = write(tmp_path, f"""
        root = "snaps\\u001b]0;title\\u0007"
        [tenants."contoso\\u001b[2J"]
        tenant_id = "{TENANT}"
        client_id = "{CLIENT}"
        """)
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "snaps\\x1b]0;title\\x07 (writable)" in result.stdout
    assert "tenant contoso\\x1b[2J:" in result.stdout
