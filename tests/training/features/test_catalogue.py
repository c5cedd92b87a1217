import importlib
import math
from collections import Counter
from dataclasses import asdict

import polars as pl

from pde.contracts.catalogue import CatalogueEntry
from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.schema import EMPLOYMENT_TYPES
from pde.training.features import FEATURE_NAMES, compute_features, weekly_as_of_dates
from pde.training.features.catalogue import CATALOGUE, CATALOGUE_VERSION, GROUPS, feature_spec
from pde.training.features.docs import render_markdown
from pde.training.features.profile import EMPLOYMENT_BY_STABILITY
from pde.training.features.spec import FAMILIES

MINIMUM_PER_FAMILY = {
    "salary": 12,
    "balance": 10,
    "spending": 15,
    "payments": 12,
    "cash": 8,
    "patterns": 10,
    "derived": 37,
}


def test_catalogue_meets_family_minimums() -> None:
    counts = Counter(spec.family for spec in CATALOGUE)
    for family, minimum in MINIMUM_PER_FAMILY.items():
        assert counts[family] >= minimum, family
    assert len(FEATURE_NAMES) >= 104
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)


def test_catalogue_entries_are_complete() -> None:
    for spec in CATALOGUE:
        assert spec.name.islower() and " " not in spec.name
        assert spec.description and spec.unit and spec.window and spec.reason
    assert CATALOGUE_VERSION.startswith("pde-features-v")


def test_catalogue_weekly_flag_summaries_present() -> None:
    for flag in ("cash_hoarding", "atm_spike", "gambling", "lending_app"):
        for stat in ("mean", "std", "min", "max"):
            assert f"{flag}_week_{stat}" in FEATURE_NAMES


def test_catalogue_matches_computed_columns(small_data: CanonicalData) -> None:
    dates = weekly_as_of_dates(small_data)[-1:]
    frame = compute_features(small_data, dates)
    assert frame.columns == ["customer_id", "as_of", *FEATURE_NAMES]
    assert all(frame.schema[name] == pl.Float64 for name in FEATURE_NAMES)


def test_catalogue_reason_text_formats_values() -> None:
    assert feature_spec("salary_delay_last").format_reason(9.2) == "salary arrived 9 days late"
    assert feature_spec("autodebit_failed_30d").format_reason(3) == (
        "3 failed auto-debits in 30 days"
    )
    assert "unknown" in feature_spec("salary_delay_last").format_reason(float("nan"))


def test_catalogue_families_come_in_order() -> None:
    """Each family's features sit together, the families in FAMILIES order."""
    runs = [
        spec.family
        for i, spec in enumerate(CATALOGUE)
        if i == 0 or CATALOGUE[i - 1].family != spec.family
    ]
    assert runs == list(FAMILIES)


def test_catalogue_groups_are_declared_by_their_modules() -> None:
    for group in GROUPS:
        module = importlib.import_module(group.module)
        assert group in vars(module).values(), group.module


def test_catalogue_entries_ship_as_bundle_entries() -> None:
    """What a bundle ships (the entry as strings) gives the same reason texts."""
    for spec in CATALOGUE:
        shipped = CatalogueEntry.model_validate({k: str(v) for k, v in asdict(spec).items()})
        for value in (0.257, 3.0, -1234.5, math.nan):
            assert shipped.reason_text(value) == spec.format_reason(value)


def test_catalogue_value_formats_follow_units() -> None:
    assert feature_spec("atm_share").format_reason(0.257) == "26% of spending in cash"
    assert feature_spec("spend_to_income").value_format == "decimal"
    assert feature_spec("balance_min").format_reason(-1234.5) == "balance fell to -1,234.50"


def test_catalogue_employment_ranking_covers_schema() -> None:
    assert sorted(EMPLOYMENT_BY_STABILITY) == sorted(EMPLOYMENT_TYPES)


def test_catalogue_docs_are_rendered_from_code() -> None:
    from pathlib import Path

    committed = Path(__file__).resolve().parents[3] / "docs" / "features.md"
    assert committed.read_text() == render_markdown(), (
        "docs/features.md is stale: run `python -m pde.training.features.docs`"
    )
