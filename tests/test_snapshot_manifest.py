"""manifest.json is parsed once, strictly, and `verify` and `kri` agree on every verdict
(docs/snapshot-format.md, "What is verified")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from entra_kri.analysis.compute import compute_kris
from entra_kri.snapshotter import collections as capture_collections

from entra_kri.cli import cli
from entra_kri.errors import SnapshotError
from entra_kri.snapshot.layout import COLLECTIONS, collection_file
from entra_kri.snapshot.manifest import parse_manifest
from tests.snapshot_builder import build_snapshot, user


def manifest_text(path: Path) -> str:
    return (path / "manifest.json").read_text()


def edit(path: Path, change) -> None:
    manifest = json.loads(manifest_text(path))
    change(manifest)
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2))


def users_entry(manifest):
    return next(c for c in manifest["collections"] if c["name"] == "users")


def assert_both_refuse(path: Path, message: str) -> None:
    """`verify` fails naming the problem, and so do `kri` and the library."""
    verify = CliRunner().invoke(cli, ["verify", str(path)])
    assert verify.exit_code == 1 and message in verify.output, verify.output
    kri = CliRunner().invoke(cli, ["kri", str(path)])
    assert kri.exit_code == 1 and message in kri.output, kri.output
    assert "Traceback" not in verify.output + kri.output
    with pytest.raises(SnapshotError):
        compute_kris(path)


@pytest.mark.parametrize("name", [["users"], {"users": 1}], ids=["list", "object"])
def test_collection_name_that_is_a_list_or_object_is_refused(tmp_path, name):
    path = build_snapshot(tmp_path, users=[user("a")])
    edit(path, lambda m: users_entry(m).update(name=name))
    assert_both_refuse(path, f"with the name {name!r}, which is not a collection name")


def test_outcome_that_is_a_list_is_refused(tmp_path):
    path = build_snapshot(tmp_path, users=[user("a")])
    edit(path, lambda m: users_entry(m).update(outcome=["ok"]))
    assert_both_refuse(path, "collection 'users' with the outcome ['ok']")


def test_manifest_nested_100k_deep_is_refused(tmp_path):
    path = build_snapshot(tmp_path, users=[user("a")])
    text = manifest_text(path)
    deep = "[" * 100_000 + "]" * 100_000
    (path / "manifest.json").write_text(text.replace('"warnings": []', f'"warnings": {deep}'))
    assert_both_refuse(path, "is nested deeper than any manifest")


def test_manifest_with_duplicate_keys_is_refused_by_verify_and_kri(tmp_path):
    path = build_snapshot(tmp_path, users=[user("a")])
    text = manifest_text(path)
    (path / "manifest.json").write_text(
        text.replace('"complete": true,', '"complete": true,\n  "complete": true,'))
    assert_both_refuse(path, 'repeats the key "complete"')


def test_tenant_id_that_is_not_a_guid_is_refused(tmp_path):
    """The id of issue's evidence attack, in the manifest and the directory name alike."""
    hostile = "x';\n.shell touch PWNED\n--"
    path = build_snapshot(tmp_path, users=[user("a")])
    edit(path, lambda m: m.update(tenant_id=hostile))
    assert_both_refuse(path, "which is not a GUID")


def test_snapshot_id_that_does_not_match_the_pattern_is_refused(tmp_path):
    path = build_snapshot(tmp_path, users=[user("a")])
    edit(path, lambda m: m.update(snapshot_id="../../x"))
    assert_both_refuse(path, "which is not of the form YYYYMMDDTHHMMSSZ")


def test_snapshot_directory_not_named_by_its_id_is_refused(tmp_path):
    path = build_snapshot(tmp_path, users=[user("a")])
    renamed = path.with_name("20261127T110645Z")
    path.rename(renamed)
    assert_both_refuse(renamed, "differs from the directory name")


def test_tenant_directory_that_is_not_a_guid_is_refused(tmp_path):
    path = build_snapshot(tmp_path, users=[user("a")])
    moved = tmp_path / "contoso" / path.name
    moved.parent.mkdir()
    path.rename(moved)
    result = CliRunner().invoke(cli, ["kri", str(moved)])
    assert result.exit_code == 1 and "'contoso', which is not a tenant id" in result.output


def test_unknown_outcome_is_refused():
    reading = parse_manifest(b'{"format_version": 1, "collections": [{"name": "users", '
                             b'"outcome": "maybe"}]}')
    assert reading.manifest is None
    assert any("with the outcome 'maybe'" in p for p in reading.problems)


@pytest.mark.parametrize("raw", [b"\xff\xfe{}", b'{"a": NaN}', b"[1]", b'"x"'])
def test_manifest_that_is_not_a_json_object_in_utf8_is_refused(raw):
    reading = parse_manifest(raw)
    assert reading.manifest is None and reading.problems


def test_every_collection_the_capture_writes_is_in_the_format():
    """Adding a collection is one line in entra_kri/snapshot/layout.py, and the capture's
    licence-gated collections are the format's refusable ones."""
    specs = {spec.name: spec for spec in COLLECTIONS}
    for collection in capture_collections.ALL:
        assert collection.name in specs
        assert bool(collection.tolerated) == specs[collection.name].refusable
        assert collection_file(collection.name) == f"{collection.name}.ndjson.gz"
