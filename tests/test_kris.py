"""entra_kri/kris.py: every KRI defined once, and the files and docs that name it agree."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from entra_kri.errors import ConfigurationError
from entra_kri.kris import KRI_SLUGS, KRIS, Kri, kri_by_slug, selected

ROOT = Path(__file__).resolve().parents[1]
SQL = files("entra_kri.analysis").joinpath("sql")


def test_names_are_unique():
    for field in ("slug", "title", "short_name"):
        names = [getattr(k, field) for k in KRIS]
        assert len(set(names)) == len(names), field


@pytest.mark.parametrize("kri", KRIS, ids=lambda k: k.slug)
def test_each_kri_has_its_sql_files(kri):
    for relative in (kri.kri_sql, kri.explain_sql):
        assert SQL.joinpath(*relative.split("/")).is_file(), relative


def test_every_kri_sql_file_is_registered():
    on_disk = sorted(f.name.removesuffix(".sql") for f in SQL.joinpath("kri").iterdir()
                     if f.name.endswith(".sql"))
    assert on_disk == sorted(KRI_SLUGS)


def _levels(kri: Kri, at_least: str) -> tuple[str, str]:
    below = kri.threshold.direction == "lower_is_worse"

    def level(value: float | None) -> str:
        return "—" if value is None else f"{'<' if below else at_least} {value:g}"

    return level(kri.threshold.warn), level(kri.threshold.breach)


@pytest.mark.parametrize("kri", KRIS, ids=lambda k: k.slug)
def test_readme_table_agrees(kri):
    """The README's KRI table: summary, warn and breach as the registry has them."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = re.search(rf"^\| `{kri.slug}` \| (.*) \| (.*) \| (.*) \|$", readme, re.M)
    assert row, f"no README row for {kri.slug}"
    assert row.group(1).startswith(kri.summary)
    assert (row.group(2), row.group(3)) == _levels(kri, "≥")


@pytest.mark.parametrize("kri", [k for k in KRIS if k.slug != "entra_ca_coverage_gaps_exact"],
                         ids=lambda k: k.slug)
def test_default_thresholds_agree_with_docs(kri):
    """docs/kri.md, "Default thresholds": the registry holds the same levels."""
    doc = (ROOT / "docs" / "kri.md").read_text(encoding="utf-8")
    row = re.search(rf"^\| `{kri.slug}` \| (.*) \| (.*) \|$", doc, re.M)
    assert row
    assert (row.group(1), row.group(2)) == _levels(kri, ">=")


def test_selected_keeps_order_and_drops_repeats():
    assert selected(None) == KRI_SLUGS
    assert selected(["entra_guest_account_count", "entra_mfa_enrollment_pct",
                     "entra_guest_account_count"]) == ("entra_guest_account_count",
                                                       "entra_mfa_enrollment_pct")


def test_unknown_slug_names_the_known_ones():
    with pytest.raises(ConfigurationError, match=r"KRI .entra_nope.\. Use one of: entra_mfa"):
        selected(["entra_nope"])
    with pytest.raises(ConfigurationError, match="Unknown KRI 'entra_nope'"):
        kri_by_slug("entra_nope")
