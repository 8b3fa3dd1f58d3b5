"""`entra-kri lake export` and `lake query` on hand-built snapshots (docs/lake.md)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from entra_kri.analysis.compute import compute_kris
from entra_kri.analysis.lake import KRI_DATASET, export_lake, partition_dir

from entra_kri.cli import cli
from entra_kri.kris import KRI_SLUGS
from tests.snapshot_builder import TENANT_ID, build_snapshot, registered, user

OTHER_TENANT = "11111111-1111-4111-8111-111111111111"
OCTOBER = ("2026-10-30T06:00:00Z", "2026-10-31T06:00:00Z")
NOVEMBER = "2026-11-01T06:00:00Z"


def snapshot(root: Path, captured_at: str, tenant_id: str = TENANT_ID,
             registered_users: int = 2) -> Path:
    users = [user(f"u{i}") for i in range(4)]
    return build_snapshot(root, users=users, captured_at=captured_at, tenant_id=tenant_id,
                          registration=[registered(f"u{i}") for i in range(registered_users)])


def rows(lake: Path, dataset: str, where: str = "true") -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(
            f"select * from read_parquet('{lake / dataset}/*/*/*.parquet', "
            f"hive_partitioning = true, hive_types_autocast = false) where {where} "
            "order by all").fetchall()


def file_digests(lake: Path) -> dict[str, str]:
    return {str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(lake.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Three snapshots of one tenant over two months, one of another tenant, exported."""
    base = tmp_path_factory.mktemp("lake")
    root, lake = base / "root", base / "lake"
    for captured_at in (*OCTOBER, NOVEMBER):
        snapshot(root, captured_at)
    snapshot(root, NOVEMBER, tenant_id=OTHER_TENANT)
    results = list(export_lake(root, lake))
    assert [r.problems for r in results] == [[], []]
    return root, lake


@pytest.fixture
def copy(exported, tmp_path):
    """The exported root and lake, copied so that a test may change them."""
    root, lake = exported
    shutil.copytree(root, tmp_path / "root")
    shutil.copytree(lake, tmp_path / "lake")
    return tmp_path / "root", tmp_path / "lake"


def test_one_file_per_dataset_tenant_and_month(exported):
    _, lake = exported
    kri_files = sorted(str(p.relative_to(lake / KRI_DATASET))
                       for p in (lake / KRI_DATASET).rglob("*.parquet"))
    assert kri_files == [f"tenant_id={TENANT_ID}/month=2026-10/data.parquet",
                         f"tenant_id={TENANT_ID}/month=2026-11/data.parquet",
                         f"tenant_id={OTHER_TENANT}/month=2026-11/data.parquet"]
    datasets = {p.name for p in lake.iterdir() if p.is_dir()}
    assert {"kri_values", "stg_users", "stg_registration", "stg_sign_ins"} <= datasets
    assert all(name == KRI_DATASET or name.startswith("stg_") for name in datasets)


def test_kri_values_equal_what_kri_computes_with_their_manifest_hash(exported):
    root, lake = exported
    path = root / TENANT_ID / "20261030T060000Z"
    report = compute_kris(path)
    manifest_sha = hashlib.sha256((path / "manifest.json").read_bytes()).hexdigest()
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        lake_rows = con.execute(
            f"select slug, value, degraded, warnings, sql_sha256, manifest_sha256, "
            f"strftime(captured_at, '%Y-%m-%dT%H:%M:%SZ') from read_parquet("
            f"'{partition_dir(lake, KRI_DATASET, TENANT_ID, '2026-10')}/data.parquet') "
            "where snapshot_id = '20261030T060000Z' order by slug").fetchall()
    assert lake_rows == sorted(
        (k.slug, k.value, k.degraded, list(k.warnings), k.sql_sha256, manifest_sha,
         OCTOBER[0]) for k in report.kris)
    assert len(lake_rows) == len(KRI_SLUGS)


def test_staged_rows_carry_their_snapshot_and_partition(exported):
    _, lake = exported
    users = rows(lake, "stg_users", f"tenant_id = '{TENANT_ID}' and month = '2026-10'")
    assert len(users) == 2 * 4  # two October snapshots of four users
    with duckdb.connect() as con:
        described = con.execute(
            f"describe select * from read_parquet('{lake}/stg_users/*/*/*.parquet', "
            "hive_partitioning = false)").fetchall()
    columns = [c[0] for c in described]
    assert columns[:3] == ["snapshot_id", "captured_at", "manifest_sha256"]
    assert "tenant_id" not in columns  # the partition, not a column of the file


def test_exporting_twice_adds_nothing(copy):
    root, lake = copy
    before = file_digests(lake)
    results = list(export_lake(root, lake))
    assert [(r.exported, r.present, r.problems) for r in results] == [([], 3, []), ([], 1, [])]
    assert file_digests(lake) == before


def test_a_new_snapshot_joins_its_month_and_leaves_the_others_alone(copy):
    root, lake = copy
    before = file_digests(lake)
    snapshot(root, "2026-11-02T06:00:00Z", registered_users=1)
    (result, _) = list(export_lake(root, lake))
    assert result.exported == ["20261102T060000Z"]
    after = file_digests(lake)
    changed = {name.split("/")[0] + "/" + name.split("/")[2] for name in after
               if after[name] != before.get(name)}
    assert all(name.endswith("month=2026-11") for name in changed)
    mfa = rows(lake, KRI_DATASET, f"tenant_id = '{TENANT_ID}' and month = '2026-11' "
                                  "and slug = 'entra_mfa_enrollment_pct'")
    assert [(r[0], r[4]) for r in mfa] == [("20261101T060000Z", 50.0),
                                           ("20261102T060000Z", 25.0)]


def test_a_tampered_snapshot_is_not_exported_and_the_others_are(tmp_path):
    root = tmp_path / "root"
    good = snapshot(root, OCTOBER[0])
    bad = snapshot(root, OCTOBER[1])
    users = bad / "users.ndjson.gz"
    users.write_bytes(gzip.compress(b'{"id":"intruder"}\n'))
    (result,) = list(export_lake(root, tmp_path / "lake"))
    assert result.exported == [good.name]
    (problem,) = result.problems
    assert problem.path == bad and "users.ndjson.gz" in problem.message
    assert {r[0] for r in rows(tmp_path / "lake", KRI_DATASET)} == {good.name}


def test_a_snapshot_changed_after_export_is_reported_and_its_rows_kept(copy):
    root, lake = copy
    path = root / TENANT_ID / "20261030T060000Z"
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["warnings"] = ["rewritten later"]
    (path / "manifest.json").write_text(json.dumps(manifest))
    before = file_digests(lake)
    (result, _) = list(export_lake(root, lake))
    (problem,) = result.problems
    assert problem.path == path and "changed after it was exported" in problem.message
    assert file_digests(lake) == before


def test_rows_left_by_an_interrupted_export_are_replaced_not_doubled(copy):
    root, lake = copy
    # An export that stopped after the staged tables but before kri_values, which is
    # written last: the lake's record lacks November, its stg_users file has it.
    (partition_dir(lake, KRI_DATASET, TENANT_ID, "2026-11") / "data.parquet").unlink()
    (result, _) = list(export_lake(root, lake))
    assert result.exported == ["20261101T060000Z"] and result.present == 2
    users = rows(lake, "stg_users", f"tenant_id = '{TENANT_ID}' and month = '2026-11'")
    assert len(users) == 4


def test_two_jobs_export_the_same_rows_and_refuse_the_same_snapshots(exported, tmp_path):
    root, lake = exported
    shutil.copytree(root, tmp_path / "root")
    bad = tmp_path / "root" / TENANT_ID / "20261031T060000Z"
    (bad / "users.ndjson.gz").write_bytes(b"changed")
    results = list(export_lake(tmp_path / "root", tmp_path / "lake", jobs=2))
    assert [(r.exported, [p.path for p in r.problems]) for r in results] == [
        (["20261030T060000Z", "20261101T060000Z"], [bad]), (["20261101T060000Z"], [])]
    for dataset in (KRI_DATASET, "stg_users"):
        assert rows(tmp_path / "lake", dataset) == rows(lake, dataset,
                                                        "snapshot_id <> '20261031T060000Z' "
                                                        f"or tenant_id <> '{TENANT_ID}'")


def test_a_partial_capture_is_not_a_snapshot_and_not_exported(tmp_path):
    root = tmp_path / "root"
    path = snapshot(root, OCTOBER[0])
    path.rename(path.with_name(path.name + ".partial"))
    assert [(r.exported, r.problems) for r in export_lake(root, tmp_path / "lake")] == [([], [])]


def test_cli_export_then_query(exported, tmp_path):
    root, _ = exported
    lake = tmp_path / "lake"
    runner = CliRunner()
    first = runner.invoke(cli, ["lake", "export", str(root), "--to", str(lake)])
    assert first.exit_code == 0, first.output
    assert f"{TENANT_ID}: 3 exported, 0 already in the lake, 0 refused" in first.stdout
    again = runner.invoke(cli, ["lake", "export", str(root), "--to", str(lake)])
    assert f"{TENANT_ID}: 0 exported, 3 already in the lake, 0 refused" in again.stdout
    latest = runner.invoke(cli, ["lake", "query", "kri_latest", str(lake), "--format", "json"])
    assert latest.exit_code == 0, latest.output
    answer = json.loads(latest.stdout)
    assert {(r["tenant_id"], r["snapshot_id"]) for r in answer["rows"]} == {
        (TENANT_ID, "20261101T060000Z"), (OTHER_TENANT, "20261101T060000Z")}
    assert len(answer["rows"]) == 2 * len(KRI_SLUGS)


def test_cli_export_exits_1_naming_a_snapshot_that_does_not_verify(tmp_path):
    root = tmp_path / "root"
    bad = snapshot(root, OCTOBER[0])
    (bad / "users.ndjson.gz").write_bytes(b"changed")
    result = CliRunner().invoke(cli, ["lake", "export", str(root), "--to",
                                      str(tmp_path / "lake")])
    assert result.exit_code == 1
    assert str(bad) in result.stderr and "Traceback" not in result.output


def test_cli_query_of_an_unknown_question_exits_2(exported):
    _, lake = exported
    result = CliRunner().invoke(cli, ["lake", "query", "nope", str(lake)])
    assert result.exit_code == 2 and "kri_latest" in result.stderr


def test_cli_query_of_a_folder_that_is_not_a_lake_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["lake", "query", "kri_latest", str(tmp_path)])
    assert result.exit_code == 2 and "lake export" in result.stderr


@pytest.mark.parametrize("name", ["export", "query"])
def test_lake_commands_have_help_and_are_documented(name):
    from entra_kri.lake_commands import lake

    assert lake.commands[name].help
    assert f"entra-kri lake {name} " in (Path(__file__).parents[1] / "docs" / "lake.md").read_text()


def test_a_tenant_folder_name_reaches_the_terminal_with_its_controls_visible(tmp_path):
    root = tmp_path / "root"
    path = snapshot(root, OCTOBER[0])
    path.parent.rename(root / "evil\x1bc\x07")  # ESC c resets a terminal
    result = CliRunner().invoke(cli, ["lake", "export", str(root), "--to", str(tmp_path / "l")])
    assert result.exit_code == 0, result.output
    # A tenant folder is named by a GUID (docs/snapshot-format.md): this one is not a
    # tenant at all, so nothing of it is exported and nothing of its name is printed.
    assert "\x1b" not in result.stdout and "exported" not in result.stdout


def test_a_corrupt_lake_file_is_one_paragraph_not_a_traceback(copy):
    root, lake = copy
    (partition_dir(lake, KRI_DATASET, TENANT_ID, "2026-10") / "data.parquet").write_bytes(b"x")
    for args in (["lake", "export", str(root), "--to", str(lake)],
                 ["lake", "query", "kri_latest", str(lake)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, (args, result.output)
        assert "data.parquet" in result.stderr and "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
