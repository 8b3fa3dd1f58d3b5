"""Only verified bytes are read (docs/snapshot-format.md, "What is verified").

Each test is an attack by someone with write access to the snapshot folder, the
person the hash chain exists to stop. Every reading command must refuse the
snapshot (SnapshotError, exit 1), never compute from bytes the manifest does not
vouch for.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from entra_kri.analysis.compute import compute_kris

from entra_kri.cli import cli
from entra_kri.errors import SnapshotError
from tests.snapshot_builder import build_snapshot, gzip_lines, role_member, user

PRIVILEGED = "entra_privileged_no_mfa_count"


def privileged_snapshot(root: Path) -> Path:
    """One role with one member who has no MFA: entra_privileged_no_mfa_count = 1."""
    return build_snapshot(
        root,
        users=[user("alice"), user("mallory"), user("bob", user_type="Guest")],
        directory_roles=[{"id": "r1", "roleTemplateId": "template-r1",
                          "displayName": "Role r1"}],
        role_members=[role_member("r1", "alice")],
    )


def value(path: Path, slug: str) -> float | int | None:
    (kri,) = compute_kris(path, kris=[slug]).kris
    return kri.value


def rewrite_manifest(path: Path, change) -> None:
    manifest_path = path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    change(manifest)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


def reading_commands(path: Path, out: Path) -> dict[str, list[str]]:
    root = path.parent.parent
    return {
        "kri": ["kri", str(path)],
        "explain": ["explain", str(path), PRIVILEGED],
        "evidence": ["evidence", str(path), "--out", str(out / "pack.zip")],
        "diff": ["diff", str(path), str(path)],
        "trend": ["trend", str(root)],
        "query": ["query", str(root), "select count(*) from users"],
    }


def assert_every_command_refuses(path: Path, out: Path, named: str) -> None:
    for command, args in reading_commands(path, out).items():
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, (command, result.output)
        assert named in result.output, (command, result.output)
        assert "Traceback" not in result.output
    assert not (out / "pack.zip").exists()


def test_unlisted_member_file_is_refused_not_counted(tmp_path):
    """Attack: an extra Xdirectory_role_members.ndjson.gz holding one more role member
    (today a glob in the SQL picked it up: the KRI went up by one with exit 0)."""
    path = privileged_snapshot(tmp_path)
    assert value(path, PRIVILEGED) == 1
    (path / "Xdirectory_role_members.ndjson.gz").write_bytes(
        gzip_lines([role_member("r1", "mallory")]))
    with pytest.raises(SnapshotError, match=r"Xdirectory_role_members\.ndjson\.gz: file not "
                                            r"listed in the manifest"):
        compute_kris(path)
    assert_every_command_refuses(path, tmp_path, "Xdirectory_role_members.ndjson.gz")


def test_manifest_naming_a_decoy_file_is_refused(tmp_path):
    """Attack: the manifest's users entry names a verified copy (decoy.ndjson.gz) while
    users.ndjson.gz is emptied (today the SQL read the fixed name: guests dropped to 0)."""
    path = privileged_snapshot(tmp_path)
    assert value(path, "entra_guest_account_count") == 1
    shutil.copyfile(path / "users.ndjson.gz", path / "decoy.ndjson.gz")
    (path / "users.ndjson.gz").write_bytes(gzip_lines([]))

    def name_the_decoy(manifest):
        entry = next(c for c in manifest["collections"] if c["name"] == "users")
        entry["file"] = "decoy.ndjson.gz"

    rewrite_manifest(path, name_the_decoy)
    with pytest.raises(SnapshotError, match=r"users\.ndjson\.gz: file not listed"):
        compute_kris(path)
    assert_every_command_refuses(path, tmp_path, "decoy.ndjson.gz")


def test_extra_directory_is_refused(tmp_path):
    path = privileged_snapshot(tmp_path)
    (path / "more").mkdir()
    with pytest.raises(SnapshotError, match=r"more: directory not listed in the manifest"):
        compute_kris(path)


@pytest.mark.parametrize("target", ["users.ndjson.gz", "manifest.json"])
def test_symlinked_file_is_refused(tmp_path, target):
    """A link to a file (or the manifest) is refused even when it points at the right bytes,
    so `evidence` can never pack /etc/passwd under a collection's name."""
    path = privileged_snapshot(tmp_path)
    real = tmp_path / f"real-{target}"
    (path / target).rename(real)
    (path / target).symlink_to(real)
    with pytest.raises(SnapshotError, match=rf"{target}: is a symlink, not a regular file"):
        compute_kris(path)
    assert_every_command_refuses(path, tmp_path, f"{target}: is a symlink")


def test_symlinked_directory_inside_is_refused(tmp_path):
    path = privileged_snapshot(tmp_path)
    (path / "etc").symlink_to("/etc")
    with pytest.raises(SnapshotError, match=r"etc: symlink not listed in the manifest"):
        compute_kris(path)


def test_symlinked_snapshot_directory_is_refused(tmp_path):
    path = privileged_snapshot(tmp_path / "real")
    link = tmp_path / "root" / path.parent.name / path.name
    link.parent.mkdir(parents=True)
    link.symlink_to(path, target_is_directory=True)
    with pytest.raises(SnapshotError, match=r"is a symbolic link"):
        compute_kris(link)


def write_listed(path: Path, name: str, data: bytes, items: int) -> None:
    """Replace a collection file and record its new size and hash in the manifest, as an
    attacker rewriting the newest manifest would."""
    (path / f"{name}.ndjson.gz").write_bytes(data)

    def record(manifest):
        entry = next(c for c in manifest["collections"] if c["name"] == name)
        entry.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), items=items)

    rewrite_manifest(path, record)


@pytest.mark.parametrize(("data", "message"), [
    (b'{"id":"a"}\n', "is not a gzip stream"),
    (b"", "is not a gzip stream"),
    (gzip_lines([])[:-4], "is not a gzip stream of JSON lines"),
    (gzip_lines([{"id": "a"}]) + b"tail", "is not a gzip stream of JSON lines"),
])
def test_collection_file_that_is_not_gzip_is_refused(tmp_path, data, message):
    path = privileged_snapshot(tmp_path)
    write_listed(path, "organization", data, 1)
    with pytest.raises(SnapshotError, match=rf"organization\.ndjson\.gz: {message}"):
        compute_kris(path)


def test_collection_line_that_is_not_json_is_refused(tmp_path):
    import gzip

    path = privileged_snapshot(tmp_path)
    write_listed(path, "organization", gzip.compress(b'{"id":"a"}\nroot:x:0:0\n', mtime=0), 2)
    with pytest.raises(SnapshotError, match=r"organization\.ndjson\.gz: is not a gzip stream "
                                            r"of JSON lines \(.*Malformed JSON"):
        compute_kris(path)


def test_collection_line_that_is_not_an_object_is_refused(tmp_path):
    path = privileged_snapshot(tmp_path)
    write_listed(path, "organization", gzip_lines([{"id": "a"}, ["not", "an", "object"]]), 2)
    with pytest.raises(SnapshotError, match=r"1 line\(s\) that are JSON but not an object"):
        compute_kris(path)


def test_object_count_must_match_the_manifest(tmp_path):
    path = privileged_snapshot(tmp_path)
    write_listed(path, "organization", gzip_lines([{"id": "a"}, {"id": "b"}]), 1)
    with pytest.raises(SnapshotError, match=r"holds 2 object\(s\), the manifest records 1"):
        compute_kris(path)


def test_root_with_glob_characters_reads_only_its_own_files(tmp_path):
    """DuckDB expands * ? [ in the paths it reads: a ROOT named a[b] must not read ROOT ab."""
    path = privileged_snapshot(tmp_path / "a[b]")
    other = privileged_snapshot(tmp_path / "ab")
    (other / "directory_role_members.ndjson.gz").write_bytes(
        gzip_lines([role_member("r1", "alice"), role_member("r1", "mallory")]))
    assert value(path, PRIVILEGED) == 1
    starred = privileged_snapshot(tmp_path / "s*x")
    privileged_snapshot(tmp_path / "sYx")
    assert value(starred, PRIVILEGED) == 1


def test_snapshot_read_through_a_relative_path(tmp_path, monkeypatch):
    path = privileged_snapshot(tmp_path)
    monkeypatch.chdir(path)
    assert value(Path("."), PRIVILEGED) == 1
    monkeypatch.chdir(path.parent)
    assert value(Path(os.curdir) / path.name, PRIVILEGED) == 1
