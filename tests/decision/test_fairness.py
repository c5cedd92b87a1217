"""Fairness per group: share alerted, action mix, cure rate, calibration; four-fifths flags."""

from __future__ import annotations

import numpy as np

from pde.decision.fairness import Outcomes, age_bands, fairness_report
from pde.decision.vulnerability import vulnerability


def outcomes(alerted: list[bool], p: float = 0.1, y: float = 0.1) -> Outcomes:
    n = len(alerted)
    return Outcomes(
        alerted=np.array(alerted),
        arm=np.where(np.array(alerted), "soft_reminder", "none").astype(str),
        cured=np.full(n, 0.9),
        p=np.full(n, p),
        y=(np.arange(n) % round(1 / y) == 0).astype(np.float64),  # every 1/y-th row defaults
    )


def test_fairness_flags_a_group_alerted_below_four_fifths_of_the_highest() -> None:
    alerted = [True] * 50 + [False] * 50 + [True] * 30 + [False] * 70
    groups = np.array(["a"] * 100 + ["b"] * 100)
    report = fairness_report(outcomes(alerted), {"band": groups})
    figures = report["attributes"]["band"]
    assert figures["groups"]["a"]["share_alerted"] == 0.5
    assert figures["groups"]["b"]["share_alerted"] == 0.3
    assert figures["groups"]["b"]["action_mix"]["soft_reminder"] == 1.0
    assert figures["flags"] == ["share_alerted of b is 0.60 of the highest group's"]
    relaxed = fairness_report(outcomes(alerted), {"band": groups}, ratio=0.5)
    assert relaxed["attributes"]["band"]["flags"] == []


def test_fairness_small_groups_are_reported_not_flagged() -> None:
    alerted = [True] * 100 + [False] * 10
    groups = np.array(["big"] * 100 + ["tiny"] * 10)
    figures = fairness_report(outcomes(alerted), {"g": groups})["attributes"]["g"]
    assert figures["groups"]["tiny"]["rows"] == 10 and figures["flags"] == []


def test_fairness_flags_miscalibration() -> None:
    report = fairness_report(outcomes([True] * 100, p=0.3, y=0.1), {"g": np.array(["x"] * 100)})
    assert report["attributes"]["g"]["flags"][0].startswith("calibration of x")


def test_fairness_age_bands() -> None:
    bands = age_bands([18, 24.9, 25, 40, 64, 65, 90, np.nan])
    assert bands.tolist() == ["18-24", "18-24", "25-34", "35-49", "50-64", "65+", "65+", "unknown"]


def test_vulnerability_signals_route_by_reason() -> None:
    found = vulnerability(
        {
            "gambling_to_income": [0.2, 0.0, np.nan, 0.0],
            "lending_app_30d": [0, 3, 0, 0],
            "salary_missing": [0, 0, 1, 0],
        },
        4,
    )
    assert found.flagged.tolist() == [True, True, True, False]
    assert found.reasons_of(0) == ["gambling"]
    assert found.reasons_of(1) == ["payday_lending"]
    assert found.reasons_of(2) == ["hardship"]
