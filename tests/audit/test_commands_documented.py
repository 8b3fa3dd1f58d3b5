"""Every audit command has --help text and a section in docs/audit.md."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from entra_kri.audit_commands import COMMANDS
from entra_kri.cli import cli

DOC = Path(__file__).parents[2] / "docs" / "audit.md"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_documented(command):
    assert command.help
    result = CliRunner().invoke(cli, [command.name, "--help"])
    assert result.exit_code == 0
    assert f"## {command.name}\n" in DOC.read_text()
