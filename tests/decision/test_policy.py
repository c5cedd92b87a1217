"""The alert policy: ranking by expected net benefit, capacity, break-even, figures."""

from __future__ import annotations

import numpy as np
import pytest

from pde.contracts.bundle import AlertPolicy
from pde.core.settings import Settings
from pde.decision import (
    alert_figures,
    default_policy,
    exposures,
    net_benefit,
    policy_from_settings,
    policy_warnings,
    select_alerts,
)


def _policy(**changes: object) -> AlertPolicy:
    return default_policy().model_copy(update=changes)


def test_policy_defaults_are_the_documented_settings() -> None:
    policy = default_policy()
    assert policy.capacity == 7 * 100
    # 100 / (10,000 x 0.5 x 0.25)
    assert policy.break_even() == pytest.approx(0.08)
    assert policy.break_even(exposure=20_000) == pytest.approx(0.04)
    assert policy.break_even(exposure=0.0) == 1.0


def test_policy_from_settings_reads_pde_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PDE_OFFICERS", "3")
    monkeypatch.setenv("PDE_CONTACTS_PER_OFFICER", "40")
    monkeypatch.setenv("PDE_EXPOSURE_SOURCE", "credit_limit")
    monkeypatch.setenv("PDE_ACTION_EFFECT", "0.5")
    policy = policy_from_settings(Settings())
    assert policy.capacity == 120
    assert policy.exposure_source == "credit_limit"
    assert policy.break_even() == pytest.approx(100 / (10_000 * 0.5 * 0.5))


def test_policy_alerts_the_top_net_benefit_within_capacity() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(1000) * 0.5
    alerts = select_alerts(p, exposures(_policy(), None, 1000), _policy(), capacity=50)
    assert alerts.alerts == 50 and alerts.capacity_used == 1.0
    assert alerts.share_alerted == pytest.approx(0.05)
    # with one exposure for all, the top of the net benefit is the top of the risk
    assert p[alerts.alerted].min() >= p[~alerts.alerted].max()


def test_policy_never_alerts_below_break_even_whatever_the_capacity() -> None:
    p = np.array([0.01, 0.05, 0.079, 0.08, 0.2, 0.9])
    alerts = select_alerts(p, np.full(6, 10_000.0), _policy(), capacity=1000)
    assert alerts.alerted.tolist() == [False, False, False, True, True, True]
    assert alerts.capacity_used == pytest.approx(3 / 1000)


def test_policy_ranks_by_exposure_as_well_as_risk() -> None:
    policy = _policy(exposure_source="outstanding_balance")
    p = np.array([0.30, 0.20, 0.60])
    balance = np.array([50_000.0, np.nan, 1_000.0])
    exposure = exposures(policy, balance, 3)
    assert exposure.tolist() == [50_000.0, 10_000.0, 1_000.0]  # missing: the fixed amount
    benefit = net_benefit(p, exposure, policy)
    assert benefit == pytest.approx(
        [0.3 * 50_000 * 0.125 - 100, 0.2 * 10_000 * 0.125 - 100, 0.6 * 1_000 * 0.125 - 100]
    )
    alerts = select_alerts(p, exposure, policy, capacity=1)
    # the riskiest customer owes too little for an action to pay: the large balance comes first
    assert alerts.alerted.tolist() == [True, False, False]
    assert not alerts.eligible[2]


def test_policy_figures_precision_recall_lift() -> None:
    p = np.array([0.9, 0.8, 0.5, 0.3, 0.1, 0.01, 0.01, 0.01, 0.01, 0.01])
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 1, 0])
    alerts = select_alerts(p, np.full(10, 10_000.0), _policy(), capacity=2)
    figures = alert_figures(alerts, y)
    assert figures["precision"] == pytest.approx(0.5)
    assert figures["recall"] == pytest.approx(1 / 3)
    assert figures["lift"] == pytest.approx(0.5 / 0.3)
    assert figures["share_above_break_even"] == pytest.approx(0.5)
    assert "precision" not in alert_figures(alerts)


def test_policy_warns_when_the_floor_or_the_alerts_pass_a_quarter() -> None:
    p = np.r_[np.full(30, 0.5), np.full(70, 0.01)]
    few = select_alerts(p, np.full(100, 10_000.0), _policy(), capacity=10)
    [warning] = policy_warnings(few, floor=0.08)
    assert "30.0% of the rows" in warning
    many = select_alerts(p, np.full(100, 10_000.0), _policy(), capacity=30)
    assert len(policy_warnings(many, floor=0.08)) == 2
    calm = select_alerts(np.full(100, 0.01), np.full(100, 10_000.0), _policy(), capacity=10)
    assert policy_warnings(calm, floor=0.08) == []


def test_policy_refuses_a_negative_capacity_and_bad_exposure_shapes() -> None:
    with pytest.raises(ValueError, match="capacity"):
        select_alerts([0.5], [1.0], _policy(), capacity=-1)
    with pytest.raises(ValueError, match="shape"):
        exposures(_policy(exposure_source="credit_limit"), [1.0, 2.0], 3)


def test_policy_settings_refuse_impossible_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from pde.core.settings import SettingsError, load_settings

    monkeypatch.setenv("PDE_ACTION_EFFECT", "1.5")
    with pytest.raises(SettingsError, match="PDE_ACTION_EFFECT"):
        load_settings()
