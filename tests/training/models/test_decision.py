import numpy as np
import pytest

from pde.decision import default_policy, tier_of
from pde.training.models import TrainingFrame
from pde.training.models.decision import (
    decide,
    held_out_alerts,
    portfolio_size,
    recall_threshold,
)


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.round(rng.beta(1, 8, size=3000), 3)
    y = (rng.random(3000) < p).astype(np.int8)
    return p, y


def test_decision_recall_threshold_reaches_the_recall() -> None:
    p, y = _data(1)
    t = recall_threshold(p, y, recall=0.85)
    recall = float(np.sum((p >= t) & (y == 1)) / y.sum())
    assert recall >= 0.85
    higher = p[p > t].min()
    assert np.sum((p >= higher) & (y == 1)) / y.sum() < 0.85


def test_decision_capacity_applies_per_scoring_date(panel_frame: TrainingFrame) -> None:
    """Out of time, each test date is a whole portfolio: the weekly capacity applies to each."""
    policy = default_policy().model_copy(update={"officers": 1, "contacts_per_officer": 30})
    assert portfolio_size(panel_frame) == 300
    times = panel_frame.times
    assert times is not None
    rows = np.flatnonzero(times >= np.unique(times)[-3])
    p = np.linspace(0.01, 0.9, len(rows))
    alerts = held_out_alerts(p, frame=panel_frame, rows=rows, policy=policy)
    assert alerts.capacity == 3 * 30 and alerts.alerts == 90
    for when in np.unique(times[rows]):
        assert alerts.alerted[times[rows] == when].sum() == 30


def test_decision_capacity_is_scaled_to_a_stratified_test_sample(
    table_frame: TrainingFrame,
) -> None:
    """One snapshot: the test rows are a sample of the portfolio, so they get its share of the
    capacity (and the alert share is what the whole portfolio would see)."""
    policy = default_policy().model_copy(update={"officers": 1, "contacts_per_officer": 160})
    rows = np.arange(0, table_frame.n_rows, 5)  # a fifth of the rows
    alerts = held_out_alerts(np.full(len(rows), 0.5), frame=table_frame, rows=rows, policy=policy)
    assert alerts.capacity == 32 and alerts.alerts == 32
    assert alerts.share_alerted == pytest.approx(160 / table_frame.n_rows)


def test_decision_tiers_anchor_on_validation_base_rate_and_capacity(
    table_frame: TrainingFrame,
) -> None:
    p, y = _data(2)
    policy = default_policy().model_copy(update={"officers": 2, "contacts_per_officer": 40})
    decision = decide(p, y, frame=table_frame, policy=policy)
    assert decision.threshold == pytest.approx(policy.break_even())
    assert decision.capacity_share == pytest.approx(80 / table_frame.n_rows)
    lowers = [band.lower for band in decision.tiers]
    assert lowers[1] == pytest.approx(max(y.mean(), policy.break_even()))
    assert lowers[2] == pytest.approx(2 * y.mean())
    critical = np.mean(tier_of(p, decision.tiers) == 3)
    assert critical == pytest.approx(decision.capacity_share, abs=0.01)
