"""A lone UTF-16 surrogate from Graph (`"\\ud800"`: legal JSON, not encodable as UTF-8)
is captured as the JSON escape Graph sent and analysed (docs/snapshot-format.md)."""

from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner
from entra_kri.analysis.surrogates import replace_lone_surrogates
from entra_kri.snapshotter.ca_references import referenced_group_ids

from entra_kri.cli import cli
from fake_graph import FakeGraph, allow_loopback, expected_kris, make_demo_tenant
from tests.conftest import NOW, capture, collection_entry

pytestmark = allow_loopback

LONE = "Mal\ud800lory"
SHOWN = "Mal\ufffdlory"


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    """The demo tenant with a guest named Mal\\ud800lory and a CA group named Pilot\\udc00."""
    tenant = make_demo_tenant(NOW)
    guest = next(u for u in tenant.users if u.get("userType") == "Guest")
    guest["displayName"] = LONE
    tenant.groups[referenced_group_ids(tenant.ca_policies)[0]]["displayName"] = "Pilot\udc00"
    with FakeGraph(tenant) as fake:
        snapshot = capture(fake, tenant, tmp_path_factory.mktemp("lone"))
    return tenant, snapshot


def test_a_lone_surrogate_is_captured_as_the_escape_graph_sent(captured):
    tenant, snapshot = captured
    users = gzip.decompress((snapshot / "users.ndjson.gz").read_bytes())
    assert b'"displayName":"Mal\\ud800lory"' in users
    assert json.loads(next(line for line in users.splitlines()
                           if b"ud800" in line))["displayName"] == LONE
    assert b'"display_name": "Pilot\\udc00"' in (snapshot / "manifest.json").read_bytes()
    assert collection_entry(snapshot, "users")["items"] == len(tenant.users)


def test_a_lone_surrogate_display_name_is_counted_and_explained(captured):
    tenant, snapshot = captured
    runner = CliRunner()
    kris = runner.invoke(cli, ["kri", str(snapshot), "--format", "json"])
    assert kris.exit_code == 0, kris.output
    values = {k["slug"]: k["value"] for k in json.loads(kris.output)["kris"]}
    assert values == expected_kris(tenant, NOW)

    explained = runner.invoke(cli, ["explain", str(snapshot), "entra_guest_account_count",
                                    "--format", "json"])
    assert explained.exit_code == 0, explained.output
    names = [row.get("display_name") for row in json.loads(explained.output)["rows"]]
    assert SHOWN in names


def test_a_lone_surrogate_display_name_can_be_queried(captured):
    _, snapshot = captured
    result = CliRunner().invoke(cli, [
        "query", str(snapshot.parent.parent), "--format", "json",
        "select displayName from users where displayName like 'Mal%'"])
    assert result.exit_code == 0, result.output
    assert [row["displayName"] for row in json.loads(result.output)["rows"]] == [SHOWN]


def test_only_lone_surrogate_escapes_are_replaced_for_duckdb():
    text = rb'{"a":"x\ud800y","b":"\\ud800","c":"\ud83d\ude00","d":"\udc00\uDBFF"}'
    assert replace_lone_surrogates(text) == (
        rb'{"a":"x\ufffdy","b":"\\ud800","c":"\ud83d\ude00","d":"\ufffd\ufffd"}')
