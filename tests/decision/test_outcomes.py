"""One definition of success, and an ROI that subtracts the control group's cure rate."""

from __future__ import annotations

import math

import pytest

from pde.decision.outcomes import SUCCESS, cure_rate, is_success, outcome_of, roi


def test_outcomes_success_is_cured_within_30_days() -> None:
    assert outcome_of(missed=False, reached=False) == SUCCESS == "cured"
    assert outcome_of(missed=True, reached=True) == "missed"
    assert outcome_of(missed=True, reached=False) == "no_response"
    assert [is_success(o) for o in ("cured", "missed", "no_response")] == [True, False, False]
    with pytest.raises(ValueError, match="unknown outcome 'paid'"):
        is_success("paid")
    assert cure_rate(["cured", "missed", "cured", "no_response"]) == 0.5
    assert math.isnan(cure_rate([]))


def test_outcomes_roi_counts_only_cures_beyond_the_control_group() -> None:
    figures = roi(
        treated_outcomes=["cured"] * 80 + ["missed"] * 20,
        control_outcomes=["cured"] * 70 + ["missed"] * 30,
        cost=1_000.0,
        exposure=10_000.0,
        loss_given_default=0.5,
    )
    assert figures.treated_cure_rate == 0.8 and figures.control_cure_rate == 0.7
    assert figures.incremental_cures == pytest.approx(10.0)
    assert figures.loss_avoided == pytest.approx(10 * 10_000 * 0.5)
    assert figures.roi == pytest.approx((50_000 - 1_000) / 1_000)
    assert "control cure rate" in figures.basis and "cured within 30 days" in figures.basis


def test_outcomes_roi_without_a_control_group_is_not_a_number() -> None:
    figures = roi(
        treated_outcomes=["cured"],
        control_outcomes=[],
        cost=10.0,
        exposure=1.0,
        loss_given_default=0.5,
    )
    assert math.isnan(figures.roi) and figures.control == 0
