from itertools import pairwise

import numpy as np
import pytest

from pde.training.models.decision import cost_threshold, recall_threshold, risk_tiers, tier_of


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.round(rng.beta(1, 8, size=3000), 3)
    y = (rng.random(3000) < p).astype(np.int8)
    return p, y


def test_decision_cost_threshold_is_the_brute_force_minimum() -> None:
    p, y = _data()
    chosen = cost_threshold(p, y, cost_missed=5000, cost_intervention=100)

    def cost(t: float) -> float:
        flagged = p >= t
        return float(np.sum(~flagged & (y == 1)) * 5000 + flagged.sum() * 100)

    brute = min(cost(t) for t in [*np.unique(p), 1.01])
    assert cost(chosen) == pytest.approx(brute)
    # dearer interventions mean a higher threshold
    assert cost_threshold(p, y, cost_missed=5000, cost_intervention=1000) > chosen


def test_decision_recall_threshold_reaches_the_recall() -> None:
    p, y = _data(1)
    t = recall_threshold(p, y, recall=0.85)
    recall = float(np.sum((p >= t) & (y == 1)) / y.sum())
    assert recall >= 0.85
    higher = p[p > t].min()
    assert np.sum((p >= higher) & (y == 1)) / y.sum() < 0.85


def test_decision_tiers_are_contiguous_ordered_bands() -> None:
    p, _ = _data(2)
    tiers = risk_tiers(p, threshold=0.08)
    assert [t.name for t in tiers] == ["low", "medium", "high", "critical"]
    assert tiers[0].lower == 0.0 and tiers[-1].upper == 1.0
    assert all(a.upper == b.lower for a, b in pairwise(tiers))
    assert all(t.lower < t.upper for t in tiers)
    assert tiers[1].lower == pytest.approx(0.08)
    flagged = p[p >= 0.08]
    in_critical = np.mean(flagged >= tiers[3].lower)
    assert 0.05 <= in_critical <= 0.15
    index = tier_of(np.array([0.0, 0.05, 0.08, tiers[2].lower, 0.99, 1.0]), tiers)
    assert list(index) == [0, 0, 1, 2, 3, 3]


def test_decision_tiers_stay_valid_when_risk_is_saturated() -> None:
    p = np.r_[np.zeros(50), np.ones(50)]
    tiers = risk_tiers(p, threshold=0.3)
    assert all(t.lower < t.upper for t in tiers)
