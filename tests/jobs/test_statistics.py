"""The monitoring statistics on known distributions: PSI (scipy's rel_entr), reference bins,
and confidence-based performance estimation against outcomes drawn from the probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pde.contracts.reference import Bins
from pde.db.models import DriftLevel
from pde.jobs.drift import binned_psi, level_of, psi
from pde.jobs.performance import estimated, expected_auc, realised


def test_statistics_psi_is_the_symmetric_divergence_and_zero_for_equal_shares() -> None:
    e, a = np.array([0.25, 0.25, 0.5]), np.array([0.1, 0.3, 0.6])
    assert psi(e, e) == 0.0
    assert psi(e, a) == pytest.approx(float(np.sum((a - e) * np.log(a / e))))
    assert psi(e, a) == pytest.approx(psi(a, e))
    assert np.isfinite(psi(e, np.array([0.5, 0.5, 0.0])))  # an empty bin stays finite


def test_statistics_bins_put_values_and_missing_where_the_rule_says() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=10_000)
    values[:1000] = np.nan
    bins = Bins.of(values)
    assert len(bins.edges) == 9 and len(bins.shares) == 10
    assert bins.missing == pytest.approx(0.1)
    assert np.allclose(bins.shares, 0.09, atol=0.002)
    shares, missing = bins.distribution(np.array([bins.edges[0], -1e9, 1e9, np.nan]))
    assert shares[1] == shares[0] == shares[-1] == 0.25 and missing == 0.25  # edge: upper bin
    zeros = Bins.of(np.r_[np.zeros(800), np.arange(200.0)])  # repeated quantiles merge
    assert zeros.edges == sorted(set(zeros.edges)) and sum(zeros.shares) == pytest.approx(1.0)


def test_statistics_psi_levels_follow_the_settings_thresholds() -> None:
    rng = np.random.default_rng(2)
    bins = Bins.of(rng.normal(size=20_000))
    same, _ = binned_psi(bins, rng.normal(size=20_000))
    moved, _ = binned_psi(bins, rng.normal(loc=0.8, size=20_000))
    assert same < 0.01 and moved > 0.25
    assert level_of(same, warn=0.1, alert=0.25) == DriftLevel.OK
    assert level_of(0.1, warn=0.1, alert=0.25) == DriftLevel.WARN
    assert level_of(moved, warn=0.1, alert=0.25) == DriftLevel.ALERT


def test_statistics_cbpe_estimates_what_calibrated_outcomes_show() -> None:
    rng = np.random.default_rng(3)
    p = rng.beta(1.2, 8.0, size=20_000)
    tiers = np.where(p > 0.3, "high", "low").tolist()
    guess = estimated(p, tiers, seed=4)
    realised_aucs, rates = [], []
    for _ in range(20):  # outcomes of a calibrated model: Bernoulli(p)
        y = (rng.random(p.shape[0]) < p).astype(np.int8)
        realised_aucs.append(roc_auc_score(y, p))
        rates.append(y.mean())
    assert guess.auc is not None and guess.auc_low is not None and guess.auc_high is not None
    assert abs(guess.auc - float(np.mean(realised_aucs))) < 0.005
    inside = [guess.auc_low <= a <= guess.auc_high for a in realised_aucs]
    assert sum(inside) >= 15  # a 90 % interval
    assert guess.predicted_rate == pytest.approx(float(np.mean(rates)), abs=0.003)
    assert expected_auc(np.full(100, 0.2)) == pytest.approx(0.5)
    assert [t["tier"] for t in guess.by_tier] == ["low", "high"]


def test_statistics_realised_figures_on_known_outcomes() -> None:
    p = np.array([0.9, 0.8, 0.3, 0.2, 0.1, 0.05])
    y = np.array([1, 0, 1, 0, 0, 0], dtype=np.int8)
    tiers = ["high", "high", "low", "low", "low", "low"]
    found = realised(p, y, tiers)
    assert found.auc == pytest.approx(roc_auc_score(y, p))
    assert found.ks == pytest.approx(0.75)  # max gap of the two classes' score CDFs
    assert found.observed_rate == pytest.approx(2 / 6)
    assert found.by_tier == [
        {"tier": "low", "rows": 4, "predicted_rate": pytest.approx(0.1625), "observed_rate": 0.25},
        {"tier": "high", "rows": 2, "predicted_rate": pytest.approx(0.85), "observed_rate": 0.5},
    ]
    one_class = realised(p, np.zeros(6, dtype=np.int8), tiers)
    assert one_class.auc is None and one_class.ks is None
