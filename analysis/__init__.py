"""Analysis: compute the KRIs from one snapshot on disk with DuckDB SQL.

Capture only writes snapshots; this package only reads them. `compute_kris` is
the entry point; `render` turns its report into table, JSON or CSV text.
"""

from entra_kri.analysis.compute import KriReport, KriResult, compute_kris
from entra_kri.analysis.render import render
from entra_kri.analysis.thresholds import merge_thresholds, status

from entra_kri.kris import DEFAULT_THRESHOLDS, KRI_SLUGS, Threshold
from entra_kri.snapshot.validate import Snapshot, open_snapshot

__all__ = [
    "DEFAULT_THRESHOLDS",
    "KRI_SLUGS",
    "KriReport",
    "KriResult",
    "Snapshot",
    "Threshold",
    "compute_kris",
    "merge_thresholds",
    "open_snapshot",
    "render",
    "status",
]
