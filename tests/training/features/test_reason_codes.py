"""Every catalogue feature has one standard reason code; protected ones are marked."""

from __future__ import annotations

import math

import pytest

from pde.contracts.catalogue import CatalogueEntry, FeatureStatistics, usual_text
from pde.contracts.reason_codes import REASON_CODES
from pde.training.features.catalogue import CATALOGUE, feature_spec
from pde.training.features.reason_codes import REASON_CODE_OF


def test_reason_codes_a_closed_reviewed_list() -> None:
    assert 15 <= len(REASON_CODES) <= 30
    assert list(REASON_CODES) == [f"R{i:02d}" for i in range(1, len(REASON_CODES) + 1)]
    assert all(text and text[0].isupper() for text in REASON_CODES.values())


def test_reason_codes_every_feature_has_exactly_one() -> None:
    assert set(REASON_CODE_OF) == {spec.name for spec in CATALOGUE}
    assert all(spec.reason_code in REASON_CODES for spec in CATALOGUE)
    # every code explains at least one feature
    assert {spec.reason_code for spec in CATALOGUE} == set(REASON_CODES)
    assert feature_spec("salary_delay_last").reason_code == "R01"


def test_reason_codes_age_is_protected() -> None:
    assert [spec.name for spec in CATALOGUE if spec.protected] == ["age_years"]


def test_reason_codes_an_unknown_code_is_refused() -> None:
    with pytest.raises(ValueError, match="standard reason code"):
        CatalogueEntry(
            name="x",
            family="f",
            description="",
            unit="days",
            window="",
            reason="",
            reason_code="R99",
        )


def test_reason_codes_usual_texts() -> None:
    stats = FeatureStatistics(q1=0.0, median=0.0, q3=0.0, mean=0.4, missing=0.0)
    spread = FeatureStatistics(q1=0.04, median=0.07, q3=0.12, mean=0.08, missing=0.1)
    assert usual_text("days", "whole", stats) == "usually 0 days"
    assert usual_text("share", "percent", spread) == "usually 4% to 12%"
    assert usual_text("flag", "whole", stats) == "seen in 40% of customers"
    entry = CatalogueEntry(
        name="salary_delay_last",
        family="salary",
        description="",
        unit="days",
        window="",
        reason="salary arrived {v} days late",
        value_format="whole",
        reason_code="R01",
    )
    assert entry.reason_text(9.0, stats) == "salary arrived 9 days late; usually 0 days"
    assert entry.reason_text(9.0) == "salary arrived 9 days late"
    assert entry.reason_text(math.nan, stats).startswith("salary arrived unknown days late")
    assert entry.code_text == REASON_CODES["R01"]
