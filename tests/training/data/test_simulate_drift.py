"""`--drift-from-week N`: incomes shrink and spending grows from week N, nothing before it
changes, and the obligations (the truth) stay as they were."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from pde.core.errors import PdeError
from pde.training.data.simulate import SimulationConfig, simulate
from pde.training.data.simulate.drift import INCOME_FACTOR, SPENDING_FACTOR


def test_simulate_drift_shifts_income_and_spending_from_the_week_given(tmp_path: Path) -> None:
    plain = SimulationConfig(customers=60, weeks=4, seed=9)
    shifted = SimulationConfig(customers=60, weeks=4, seed=9, drift_from_week=2)
    simulate(plain, tmp_path / "plain")
    simulate(shifted, tmp_path / "shifted")
    first = plain.start + timedelta(days=7 * (plain.history_weeks + 2))
    a, b = (pl.read_parquet(tmp_path / d / "transactions.parquet") for d in ("plain", "shifted"))
    joined = a.join(b, on="transaction_id", suffix="_shifted")
    assert joined.height == a.height == b.height
    early = joined.filter(pl.col("timestamp").dt.date() < first)
    assert (early["amount"] == early["amount_shifted"]).all()
    late = joined.filter(pl.col("timestamp").dt.date() >= first)
    ratio = (late["amount_shifted"] / late["amount"]).round(2)
    salary = late["category"] == "salary"
    groceries = late["category"] == "groceries"
    assert salary.any() and groceries.any()
    assert ratio.filter(salary).to_list() == pytest.approx([INCOME_FACTOR] * salary.sum(), abs=0.01)
    assert ratio.filter(groceries).mean() == pytest.approx(SPENDING_FACTOR, abs=0.01)
    assert pl.read_parquet(tmp_path / "plain" / "payments.parquet").equals(
        pl.read_parquet(tmp_path / "shifted" / "payments.parquet")
    )
    with pytest.raises(PdeError, match="--drift-from-week"):
        SimulationConfig(weeks=4, drift_from_week=4)
