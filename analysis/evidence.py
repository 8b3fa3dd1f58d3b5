"""The evidence pack (docs/audit.md, "evidence SNAPSHOT --out FILE.zip").

A zip an auditor can file and re-check without trusting this tool: the snapshot's
files copied byte for byte (so they verify against the same hashes and chain), the
SQL that computed the KRIs, the KRI results, the explain rows, a DuckDB script that
recomputes the values, SHA256SUMS for `sha256sum -c`, and a README saying how.
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from importlib.resources import files
from pathlib import Path, PurePath

import duckdb
from entra_kri.analysis.compute import (
    KriReport,
    create_macros,
    create_views,
    file_variables,
    macro_files,
    set_file_variables,
    sql_literal,
)
from entra_kri.analysis.explain import explain
from entra_kri.analysis.render import report_as_dict
from entra_kri.analysis.rows import render_csv

import entra_kri
from entra_kri.kris import KRI_SLUGS
from entra_kri.snapshot.layout import MANIFEST_FILE
from entra_kri.snapshot.manifest import Manifest
from entra_kri.snapshot.validate import Snapshot

SQL_LAYERS = ("macros", "staging", "intermediate", "kri", "audit", "explain")
# The oldest DuckDB that runs recompute.sql: read_json's allow_empty is new in 2.0
# (1.4 refuses it); 1.1 cannot even parse the `lambda x: ...` syntax.
RECOMPUTE_DUCKDB = "2.0"


def write_evidence(snapshot_dir: PurePath, out: Path) -> list[str]:
    """Write the evidence pack of the snapshot at `snapshot_dir` to `out`; return its names.

    The snapshot is verified first (a tampered one raises SnapshotError), so every
    name below comes from a validated id or file name.
    """
    explanations = explain(snapshot_dir)
    snapshot = explanations[0].snapshot
    base = f"snapshot/{snapshot.tenant_id}/{snapshot.snapshot_id}"
    report = KriReport(
        tenant_id=snapshot.tenant_id,
        snapshot_id=snapshot.snapshot_id,
        captured_at=snapshot.captured_at,
        kris=tuple(e.kri for e in explanations),
        warnings=tuple(snapshot.warnings),
    )
    manifest = snapshot.manifest
    snapshot_files = {MANIFEST_FILE: snapshot.manifest_path,
                      **{c.file: snapshot.files[c.name] for c in manifest.collections}}
    sums = [f"{manifest.sha256}  {base}/{MANIFEST_FILE}"] + [
        f"{c.sha256}  {base}/{c.file}" for c in manifest.collections
    ]
    moment = datetime.strptime(snapshot.captured_at[:19], "%Y-%m-%dT%H:%M:%S")
    entries: dict[str, bytes] = {
        "README.md": _readme(manifest, base).encode("utf-8"),
        "SHA256SUMS": ("\n".join(sums) + "\n").encode("utf-8"),
        "kri.json": (json.dumps(report_as_dict(report), indent=2) + "\n").encode("utf-8"),
        "recompute.sql": _recompute_script(snapshot, base).encode("utf-8"),
    }
    for explanation in explanations:
        slug = explanation.kri.slug
        entries[f"explain/{slug}.json"] = (
            json.dumps(explanation.as_dict(), indent=2) + "\n"
        ).encode("utf-8")
        entries[f"explain/{slug}.csv"] = render_csv(
            explanation.columns, explanation.rows
        ).encode("utf-8")
    for layer in SQL_LAYERS:
        for sql in sorted(files("entra_kri.analysis").joinpath("sql", layer).iterdir(), key=str):
            if sql.name.endswith(".sql"):
                entries[f"sql/{layer}/{sql.name}"] = sql.read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as pack:
        for name, path in snapshot_files.items():
            with snapshot.storage.open_read(path) as verified:
                _add(pack, f"{base}/{name}", verified.read(), moment)
        for name, data in entries.items():
            _add(pack, name, data, moment)
        return pack.namelist()


def _add(pack: zipfile.ZipFile, name: str, data: bytes, moment: datetime) -> None:
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED if name.endswith(".gz") else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    pack.writestr(info, data)


def _recompute_script(snapshot: Snapshot, base: str) -> str:
    """A DuckDB script, run from the pack's root, whose last statement gives every KRI.

    It reads the pack's copy of each verified file, named by a quoted literal; no line
    of it starts with a dot (a DuckDB shell command).
    """
    con = duckdb.connect(":memory:")
    try:
        snapshot.storage.attach_to(con)
        con.execute("set TimeZone = 'UTC'")
        set_file_variables(con, snapshot)
        create_macros(con)
        order = [(layer, name) for layer in ("staging", "intermediate")
                 for name in create_views(con, layer)]
    finally:
        con.close()
    lines = [
        "-- Recompute the KRIs of this snapshot with DuckDB alone.",
        "-- Run from the directory this pack was unzipped into: duckdb < recompute.sql",
        f"-- Needs DuckDB {RECOMPUTE_DUCKDB} or later.",
        "set TimeZone = 'UTC';",
        *_pack_file_variables(snapshot, base),
    ]
    lines += [macro.read_text("utf-8").rstrip() + "\n;" for macro in macro_files()]
    for layer, name in order:
        lines.append(f"create view {name} as\n" + _sql_text(layer, name).rstrip() + "\n;")
    kris = "\nunion all\n".join(
        f"select * from (\n{_sql_text('kri', slug).rstrip()}\n)" for slug in KRI_SLUGS
    )
    lines.append(kris + "\n;")
    script = "\n".join(lines) + "\n"
    if any(line.lstrip().startswith(".") for line in script.splitlines()):
        raise RuntimeError("recompute.sql would hold a DuckDB shell command")
    return script


def _pack_file_variables(snapshot: Snapshot, base: str) -> list[str]:
    """`set variable` statements naming the pack's copies of the verified files."""
    statements = []
    for name, value in file_variables(snapshot, lambda path: f"{base}/{path.name}").items():
        literal = ("[" + ", ".join(map(sql_literal, value)) + "]::varchar[]"
                   if isinstance(value, list) else sql_literal(value))
        statements.append(f"set variable {name} = {literal};")
    return statements


def _sql_text(layer: str, name: str) -> str:
    return files("entra_kri.analysis").joinpath("sql", layer, f"{name}.sql").read_text("utf-8")


def _readme(manifest: Manifest, base: str) -> str:
    return f"""# Evidence pack: tenant {manifest.tenant_id}, snapshot {manifest.snapshot_id}

Captured at {manifest.captured_at} by entra-kri {manifest.tool_version}; pack
written by entra-kri {entra_kri.__version__}.

- `{base}/`: the snapshot, copied byte for byte (manifest.json and one gzip'd
  NDJSON file per Graph collection).
- `kri.json`: the KRI values, each with the SHA-256 of the SQL file that
  computed it (`sql_sha256`) and the tool version.
- `explain/<slug>.json|csv`: the rows behind each value (their count is the value;
  for `entra_mfa_enrollment_pct`, `round(100 * registered / rows, 1)` is).
- `sql/`: every SQL file used (`sha256sum sql/kri/<slug>.sql` equals `sql_sha256`).
- `recompute.sql`: those SQL files as one DuckDB script that prints the KRIs.
- `SHA256SUMS`: the SHA-256 the manifest records for each snapshot file, and the
  manifest's own SHA-256.

## Re-verify with entra-kri

    entra-kri verify {base}
    entra-kri kri {base} --format json

## Re-verify by hand

1. The files are intact: `sha256sum -c SHA256SUMS` (every line `OK`), and each
   hash in SHA256SUMS equals the `sha256` of the same file in `manifest.json`.
2. The manifest is the one in the chain: its SHA-256 is

       {manifest.sha256}

   The next snapshot's `manifest.json` records it as `previous_manifest_sha256`
   (or, for the newest snapshot, it is the chain head printed by `entra-kri verify
   ROOT`). This manifest's own `previous_manifest_sha256` is
   `{manifest.previous_manifest_sha256}`.
3. The values: `duckdb < recompute.sql` (DuckDB {RECOMPUTE_DUCKDB} or later, run in this
   directory) prints one row per KRI; compare `value` with `kri.json`.
"""
