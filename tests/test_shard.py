"""`entra-kri run --all --shard k/N` (docs/configuration.md, "Capture across machines")."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from entra_kri import ops_commands
from entra_kri.cli import cli
from entra_kri.errors import ConfigurationError
from entra_kri.runlog import RunRecord
from entra_kri.shard import Shard, parse_shard, shard_of

FLEET = [f"tenant-{i:04d}" for i in range(1000)]


@pytest.mark.parametrize("count", [1, 2, 3, 7, 16])
def test_n_shards_cover_the_fleet_exactly_once(count):
    shards = [Shard(k, count) for k in range(count)]
    for name in FLEET:
        assert sum(shard.holds(name) for shard in shards) == 1, name


def test_shards_are_balanced_within_reason():
    sizes = [sum(Shard(k, 4).holds(n) for n in FLEET) for k in range(4)]
    assert min(sizes) > 200 and max(sizes) < 300, sizes


def test_a_tenant_keeps_its_shard_across_processes():
    # SHA-256 of the name, not hash(): these values must never change between releases,
    # or a fleet split over N workers would capture some tenants twice and others never.
    names = ("contoso", "fabrikam", "tenant-0000")
    assert [shard_of(name, 4) for name in names] == [3, 2, 3]
    assert [shard_of(name, 7) for name in names] == [4, 3, 5]


@pytest.mark.parametrize("text", ["4/4", "-1/4", "1/0", "1", "a/b", "1/2/3", ""])
def test_a_malformed_shard_is_refused(text):
    with pytest.raises(ConfigurationError, match="0 <= k < N"):
        parse_shard(text)


@pytest.fixture
def fleet_config(tmp_path):
    blocks = [textwrap.dedent(f"""
        [tenants.{name}]
        tenant_id = "00000000-0000-4000-8000-{i:012d}"
        client_id = "11111111-1111-4111-8111-111111111111"
        """) for i, name in enumerate(FLEET[:12])]
    config = tmp_path / "entra-kri.toml"
    config.write_text(f'root = "{tmp_path / "snaps"}"\n' + "".join(blocks))
    return config


def test_run_all_with_a_shard_runs_only_that_shards_tenants(fleet_config, monkeypatch):
    ran: list[str] = []

    def fake_run_tenant(root, settings, run_id):
        ran.append(settings.name)
        return RunRecord(run_id, settings.name, settings.tenant_id, "x", outcome="ok")

    monkeypatch.setattr(ops_commands, "run_tenant", fake_run_tenant)
    covered: list[str] = []
    for k in range(3):
        ran.clear()
        result = CliRunner().invoke(
            cli, ["run", "--all", "--shard", f"{k}/3", "--config", str(fleet_config)])
        assert result.exit_code == 0, result.output
        assert ran == [n for n in FLEET[:12] if shard_of(n, 3) == k]
        covered += ran
    assert sorted(covered) == FLEET[:12]


def test_shard_without_all_is_a_usage_error(fleet_config):
    result = CliRunner().invoke(cli, ["run", "--tenant", FLEET[0], "--shard", "0/2",
                                      "--config", str(fleet_config)])
    assert result.exit_code == 2 and "--all" in result.output


def test_a_malformed_shard_on_the_command_line_exits_2(fleet_config):
    result = CliRunner().invoke(cli, ["run", "--all", "--shard", "2/2",
                                      "--config", str(fleet_config)])
    assert result.exit_code == 2 and "0 <= k < N" in result.output
