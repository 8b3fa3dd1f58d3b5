"""fake_graph as a product of its own (fake_graph/README.md): installed, runnable, standalone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import fake_graph
from fake_graph import __main__ as fake_graph_main

PACKAGE = Path(fake_graph.__file__).parent


def test_python_m_fake_graph_runs_from_any_directory(tmp_path):
    """The README's `python -m fake_graph` works outside the source tree."""
    result = subprocess.run([sys.executable, "-m", "fake_graph", "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--config" in result.stdout and "--users" in result.stdout


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_fake_does_not_import_entra_kri(path):
    """The fake imitates Graph; it must not share code with the tool it tests."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert not [n for n in names if n.split(".")[0] == "entra_kri"]


def test_schemas_ship_with_the_fake():
    assert (fake_graph.SCHEMA_DIR / "index.json").is_file()
    assert (fake_graph.SCHEMA_DIR / "user.schema.json").is_file()


def test_help_names_the_configuration_file_written_by_default(capsys, monkeypatch):
    """`--help` names the file it writes when --config is left out, and no other."""
    monkeypatch.setattr(sys, "argv", ["python -m fake_graph", "--help"])
    with pytest.raises(SystemExit):
        fake_graph_main.main()
    text = " ".join(capsys.readouterr().out.split())
    assert "entra-kri.toml" not in text
    assert "writes an entra-kri configuration file (fake-tenants.toml" in text
