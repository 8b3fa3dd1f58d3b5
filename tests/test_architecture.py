"""docs/architecture.md: one import root, dependencies pointing one way, no cycles.

Every module of the package is parsed with `ast` (nothing is imported), its
imports resolved to modules of the package, and the layer rules checked:
the bottom (version, errors, the KRI registry, tenant text rendering, the
snapshot format) imports nothing of the project but the bottom; capture
(`entra_kri.snapshotter`) and analysis (`entra_kri.analysis`) import only the
bottom and themselves; the command line imports anything.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"entra_kri": "entra_kri", "entra_kri/snapshot": "entra_kri.snapshot",
           "snapshotter": "entra_kri.snapshotter", "analysis": "entra_kri.analysis"}
BOTTOM = {"entra_kri", "entra_kri.errors", "entra_kri.kris", "entra_kri.tenant_text"}
BOTTOM_PACKAGE = "entra_kri.snapshot"  # the snapshot format (docs/snapshot-format.md)
# Third-party libraries a function may import where it needs them: heavy and wanted
# only by one option (a PNG chart, a certificate, the OS keyring, a cassette, Google's
# credentials for gs:// roots).
LAZY_ALLOWED = {"matplotlib", "cryptography", "keyring", "vcr", "google"}


def module_files() -> dict[str, Path]:
    modules = {}
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            modules[name] = path
    return modules


MODULES = module_files()


def layer(module: str) -> str:
    if module in BOTTOM or module == BOTTOM_PACKAGE or module.startswith(BOTTOM_PACKAGE + "."):
        return "bottom"
    for package, name in (("entra_kri.snapshotter", "capture"), ("entra_kri.analysis", "analysis")):
        if module == package or module.startswith(package + "."):
            return name
    return "cli"


ALLOWED = {"bottom": {"bottom"}, "capture": {"bottom", "capture"},
           "analysis": {"bottom", "analysis"}, "cli": {"bottom", "capture", "analysis", "cli"}}


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


@functools.cache
def imports_of(path: Path) -> list[tuple[str, bool, bool]]:
    """(imported module, inside a function, under TYPE_CHECKING) for each import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES
                     else node.module for a in node.names]
        else:
            continue
        in_function, parent = False, node
        while parent in parents:
            parent = parents[parent]
            if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
                in_function = True
        checking = _type_checking_only(node, parents)
        found += [(name, in_function, checking) for name in names]
    return found


def project_edges(include_type_checking: bool = False) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = set()
        for name, _, checking in imports_of(path):
            if checking and not include_type_checking:
                continue
            if name != module and name.split(".")[0] in ("entra_kri", "analysis", "snapshotter"):
                targets.add(name)
        edges[module] = targets
    return edges


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    """A module imports only its own layer and the layers below it."""
    upward = sorted(t for t in project_edges(include_type_checking=True)[module]
                    if layer(t) not in ALLOWED[layer(module)])
    assert not upward, f"{module} ({layer(module)}) imports {upward}"


def test_no_top_level_analysis_or_snapshotter_imports():
    """Always the full name: `entra_kri.analysis`, never `analysis`."""
    bare = sorted(f"{m}: {t}" for m, targets in project_edges(True).items() for t in targets
                  if t.split(".")[0] in ("analysis", "snapshotter"))
    assert not bare


def test_import_graph_has_no_cycle():
    """Run-time imports form a DAG (imports only for type checking are left out)."""
    edges = project_edges()
    state: dict[str, int] = {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target):], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, [*stack, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_project_import_hidden_in_a_function(module):
    """Imports sit at the top; a function imports only a heavy optional library."""
    hidden = sorted({name for name, in_function, _ in imports_of(MODULES[module])
                     if in_function and name.split(".")[0] not in LAZY_ALLOWED})
    assert not hidden, f"{module} imports {hidden} inside a function"


def test_cycle_detection_sees_a_cycle(monkeypatch):
    """The checker itself: a planted cycle is reported."""
    monkeypatch.setattr(sys.modules[__name__], "project_edges",
                        lambda: {"a": {"b"}, "b": {"c"}, "c": {"a"}})
    with pytest.raises(pytest.fail.Exception, match="a -> b -> c -> a"):
        test_import_graph_has_no_cycle()


@pytest.mark.parametrize("name", ["analysis", "snapshotter"])
def test_bare_package_names_do_not_import_outside_the_tree(name, tmp_path):
    """Only `entra_kri` is installed: `import analysis` fails away from the source tree."""
    bare = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert bare.returncode != 0
    assert "ModuleNotFoundError" in bare.stderr
    full = subprocess.run([sys.executable, "-c", f"import entra_kri.{name}"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert full.returncode == 0, full.stderr


def test_the_command_line_starts_without_the_cassette_library():
    """vcrpy (with PyYAML and wrapt, about a tenth of the start-up time) is loaded only
    by --record and --replay, which are the only options that use it."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, entra_kri.cli; "
                               "print(sorted({'vcr', 'yaml', 'wrapt'} & set(sys.modules)))"],
        capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
