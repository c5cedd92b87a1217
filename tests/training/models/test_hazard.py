"""The time-to-miss model: the miss dates of the label rule, the person-period rows, the
forecast from hazards, the concordance index, and a fitted model that ranks by time."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from pde.contracts.data.label_rule import labels_at, miss_days_at
from pde.contracts.hazard import INTERVAL_ENDS, forecast, interval_of, with_intervals
from pde.training.models.hazard import concordance_index, fit_hazard, person_period

AS_OF = date(2025, 3, 1)


def _payments() -> pl.DataFrame:
    rows = [  # customer, due, paid, amount paid
        ("a", date(2025, 3, 5), None, 0.0),  # missed on day 4
        ("a", date(2025, 3, 20), None, 0.0),  # missed later too: the first counts
        ("b", date(2025, 3, 10), date(2025, 3, 10), 100.0),  # paid
        ("c", date(2025, 3, 25), date(2025, 3, 25), 10.0),  # short: missed on day 24
        ("d", date(2025, 4, 15), None, 0.0),  # outside the window: no label
    ]
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "due_date": [r[1] for r in rows],
            "paid_date": pl.Series([r[2] for r in rows], dtype=pl.Date),
            "amount_due": [100.0] * len(rows),
            "amount_paid": [r[3] for r in rows],
            "kind": ["loan"] * len(rows),
        }
    )


def test_hazard_miss_days_follow_the_label_rule() -> None:
    days = miss_days_at(_payments(), AS_OF)
    assert days.select("customer_id", "label").equals(labels_at(_payments(), AS_OF))
    assert dict(zip(days["customer_id"], days["days_to_miss"], strict=True)) == {
        "a": 4,
        "b": None,
        "c": 24,
    }


def test_hazard_person_period_rows() -> None:
    x = np.array([[1.0], [2.0], [3.0]])
    rows, target = person_period(x, np.array([4.0, np.nan, 24.0]))
    # a: missed in the first interval; b: all four, no miss; c: day 24, in the fourth (21, 30]
    assert interval_of([4, 7, 8, 24, 30]).tolist() == [0, 0, 1, 3, 3]
    by_row = {v: rows[rows[:, 0] == v] for v in (1.0, 2.0, 3.0)}
    assert by_row[1.0][:, 1].tolist() == [0.0]
    assert by_row[2.0][:, 1].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert by_row[3.0][:, 1].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert int(target.sum()) == 2
    assert target[(rows[:, 0] == 3.0) & (rows[:, 1] == 3.0)].tolist() == [1]
    assert with_intervals(x).shape == (3 * len(INTERVAL_ENDS), 2)


def test_hazard_forecast_from_hazards() -> None:
    result = forecast([[0.1, 0.1, 0.1, 0.1], [0.0, 0.0, 0.0, 0.0], [1.0, 0.5, 0.5, 0.5]])
    assert result.within_7d == pytest.approx([0.1, 0.0, 1.0])
    assert result.within_14d == pytest.approx([0.19, 0.0, 1.0])
    assert result.within_30d == pytest.approx([1 - 0.9**4, 0.0, 1.0])
    assert result.expected_days[2] == pytest.approx(3.5)  # all in the first interval
    assert result.expected_days[1] == 30.0  # no miss expected within the window
    assert 3.5 < result.expected_days[0] < 25.5
    with pytest.raises(ValueError, match="hazards"):
        forecast([[0.1, 0.2]])


def test_hazard_concordance_index() -> None:
    days = np.array([2.0, 10.0, np.nan, 20.0])
    assert concordance_index(days, np.array([4.0, 3.0, 1.0, 2.0])) == 1.0
    assert concordance_index(days, np.array([1.0, 2.0, 4.0, 3.0])) == 0.0
    assert concordance_index(days, np.ones(4)) == 0.5
    assert np.isnan(concordance_index(np.array([np.nan, np.nan]), np.ones(2)))


def test_hazard_a_fitted_model_ranks_by_time_to_miss() -> None:
    rng = np.random.default_rng(4)
    n = 4000
    x = rng.normal(size=(n, 3))
    weekly = 1 / (1 + np.exp(-(1.5 * x[:, 0] - 2.5)))  # hazard per interval rises with x0
    days = np.full(n, np.nan)
    for k, end in enumerate(INTERVAL_ENDS):
        start = 0 if k == 0 else INTERVAL_ENDS[k - 1]
        hit = np.isnan(days) & (rng.random(n) < weekly)
        days[hit] = rng.integers(start + 1, end + 1, size=int(hit.sum()))
    train, test = slice(0, 3000), slice(3000, n)
    model = fit_hazard(x[train], days[train], rounds=60, threads=1, seed=1)
    result = model.forecast(x[test])
    assert np.all(result.within_7d <= result.within_14d + 1e-12)
    assert np.all(result.within_14d <= result.within_30d + 1e-12)
    assert concordance_index(days[test], result.within_30d) > 0.65
    # calibrated in the large: the mean 30-day chance is near the observed share
    assert abs(result.within_30d.mean() - (~np.isnan(days[test])).mean()) < 0.05
