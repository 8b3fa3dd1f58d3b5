"""entra-kri evidence: docs/audit.md, "evidence SNAPSHOT --out FILE.zip"."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile

import duckdb
import pytest
from click.testing import CliRunner

from entra_kri.cli import cli
from entra_kri.kris import KRI_SLUGS
from tests.series_builder import snapshot_id
from tests.snapshot_builder import TENANT_ID

DAY = 18
# The values of day 18 (2026-10-19) as first computed: they must reproduce exactly.
PAST_VALUES = {
    "entra_mfa_enrollment_pct": 76.2,
    "entra_privileged_no_mfa_count": 2,
    "entra_stale_accounts_90d": 2,
    "entra_ca_coverage_gaps": 0,
    # The series' policies have no conditions.applications, so none applies to all
    # cloud apps (docs/ca-resolver.md rule 3): every enabled member is a gap.
    "entra_ca_coverage_gaps_exact": 21,
    "entra_guest_account_count": 5,
    "entra_failed_signins_24h": 6,
    "entra_priv_role_changes_24h": 0,
}


@pytest.fixture(scope="module")
def pack(series_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("evidence") / "pack.zip"
    source = series_root / TENANT_ID / snapshot_id(DAY)
    result = CliRunner().invoke(cli, ["evidence", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    unpacked = out.parent / "unpacked"
    with zipfile.ZipFile(out) as z:
        z.extractall(unpacked)
    return source, unpacked


def test_snapshot_files_are_byte_for_byte_copies(pack):
    source, unpacked = pack
    copy = unpacked / "snapshot" / TENANT_ID / source.name
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in source.iterdir())
    for original in source.iterdir():
        assert (copy / original.name).read_bytes() == original.read_bytes()
    result = CliRunner().invoke(cli, ["verify", str(copy)])
    assert result.exit_code == 0, result.output


def test_sha256sums_check_by_hand(pack):
    _, unpacked = pack
    for line in (unpacked / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((unpacked / name).read_bytes()).hexdigest() == digest
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=unpacked, check=True)


def test_past_values_reproduce_with_duckdb_alone(pack, monkeypatch):
    """The pack's recompute.sql, on a bare DuckDB, gives the recorded values."""
    _, unpacked = pack
    monkeypatch.chdir(unpacked)
    con = duckdb.connect(":memory:")
    rows = con.execute((unpacked / "recompute.sql").read_text()).fetchall()
    assert {slug: value for slug, value, _, _ in rows} == PAST_VALUES
    kris = json.loads((unpacked / "kri.json").read_text())["kris"]
    assert {k["slug"]: k["value"] for k in kris} == PAST_VALUES


def test_kri_results_name_the_sql_in_the_pack(pack):
    _, unpacked = pack
    for kri in json.loads((unpacked / "kri.json").read_text())["kris"]:
        sql = (unpacked / "sql" / "kri" / f"{kri['slug']}.sql").read_bytes()
        assert kri["sql_sha256"] == hashlib.sha256(sql).hexdigest()
        assert kri["tool_version"]


def test_explain_rows_are_in_the_pack(pack):
    _, unpacked = pack
    for slug in KRI_SLUGS:
        data = json.loads((unpacked / "explain" / f"{slug}.json").read_text())
        assert data["value"] == PAST_VALUES[slug]
        assert (unpacked / "explain" / f"{slug}.csv").is_file()
    readme = (unpacked / "README.md").read_text()
    assert "sha256sum -c SHA256SUMS" in readme and "duckdb < recompute.sql" in readme


def test_tampered_snapshot_gives_no_pack(tenant_dir, tmp_path):
    target = tenant_dir / snapshot_id(DAY) / "users.ndjson.gz"
    target.write_bytes(target.read_bytes() + b"\0")
    out = tmp_path / "pack.zip"
    result = CliRunner().invoke(cli, ["evidence", str(target.parent), "--out", str(out)])
    assert result.exit_code == 1
    assert str(target) in result.output
    assert not out.exists()


HOSTILE_TENANT_ID = "x';\n.shell touch PWNED\n--"


def test_hostile_tenant_id_gives_no_pack_and_runs_nothing(tmp_path, monkeypatch):
    """A tenant folder and manifest tenant_id carrying a DuckDB dot command: the snapshot
    is refused (the id is not a GUID), so no recompute.sql can carry the command."""
    from tests.snapshot_builder import build_snapshot, user

    monkeypatch.chdir(tmp_path)
    path = build_snapshot(tmp_path / "root", users=[user("a")], tenant_id=HOSTILE_TENANT_ID)
    out = tmp_path / "pack.zip"
    for args in (["verify", str(path)], ["evidence", str(path), "--out", str(out)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert "not a GUID" in result.output or "not a tenant id" in result.output
    assert not out.exists() and not (tmp_path / "PWNED").exists()


def test_recompute_script_holds_no_dot_command_and_only_quoted_paths(pack):
    _, unpacked = pack
    script = (unpacked / "recompute.sql").read_text()
    assert not [line for line in script.splitlines() if line.lstrip().startswith(".")]
    base = f"snapshot/{TENANT_ID}/{snapshot_id(DAY)}"
    settings = [line for line in script.splitlines() if line.startswith("set variable")]
    assert f"set variable manifest_file = '{base}/manifest.json';" in settings
    assert f"set variable users_files = ['{base}/users.ndjson.gz']::varchar[];" in settings
    assert "getvariable('snapshot_dir')" not in script


def test_zip_entries_are_named_from_validated_ids_only(pack):
    _, unpacked = pack
    names = [str(p.relative_to(unpacked)) for p in unpacked.rglob("*") if p.is_file()]
    assert not [n for n in names if ".." in n.split("/") or n.startswith("/")]
    allowed = ("README.md", "SHA256SUMS", "kri.json", "recompute.sql", "explain/", "sql/",
               f"snapshot/{TENANT_ID}/{snapshot_id(DAY)}/")
    assert all(n.startswith(allowed) for n in names)


def test_readme_names_the_duckdb_that_runs_the_script(pack):
    """recompute.sql uses read_json(..., allow_empty), new in DuckDB 2.0."""
    _, unpacked = pack
    assert "DuckDB 2.0 or later" in (unpacked / "README.md").read_text()
    assert "allow_empty" in (unpacked / "recompute.sql").read_text()
