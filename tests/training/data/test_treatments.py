"""The simulator's treated history: effects by true state, a control group, 30-day outcomes
consistent with the labels, and untreated customers exactly as without interventions."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pde.contracts.data.io import load_dataset, load_interventions
from pde.contracts.data.label_rule import labels_at
from pde.contracts.interventions import ACTIONS, ARMS, truth_column
from pde.training.data.simulate import SimulationConfig, SimulationSummary, simulate
from pde.training.data.simulate.treatments import (
    GAMBLING,
    INCOME_SHOCK,
    ORGANISED,
    PAYDAY_LENDING,
    effects,
)

from .conftest import SMALL

A = {name: i for i, name in enumerate(ACTIONS)}


def test_treatments_effects_depend_on_the_true_state() -> None:
    states = np.array([ORGANISED, INCOME_SHOCK, GAMBLING, PAYDAY_LENDING])
    fresh = effects(states, np.zeros(4, dtype=bool))
    assert fresh[0, A["soft_reminder"]] > 5 * fresh[1, A["soft_reminder"]]
    assert fresh[1].argmax() == A["restructuring"]
    assert fresh[2].argmax() == fresh[3].argmax() == A["financial_counselling"]
    again = effects(states, np.ones(4, dtype=bool))
    assert (again[:, A["soft_reminder"]] < 0).all() and (again[:, A["agent_call"]] < 0).all()
    assert again[1, A["restructuring"]] == pytest.approx(fresh[1, A["restructuring"]] / 2)


def test_treatments_history_has_a_random_control_group_and_the_rule(
    small_simulation: tuple[Path, SimulationSummary],
) -> None:
    out, summary = small_simulation
    history = load_interventions(out)
    assert history is not None and history.height == summary.interventions > 0
    random = history.filter(pl.col("assignment") == "random")
    assert set(random["action"].unique()) == set(ARMS)
    rule = history.filter(pl.col("assignment") == "rule")
    assert "none" not in set(rule["action"].unique())
    control = history.filter(pl.col("action") == "none")
    assert not control["reached"].any() and (control["cost"] == 0).all()
    assert set(history["outcome"].unique()) <= {"cured", "missed", "no_response"}
    assert history["date"].max() < SMALL.start + timedelta(  # type: ignore[operator]
        days=int(SMALL.as_of_days[min(SMALL.treated_weeks, SMALL.weeks) - 1]) + 1
    )
    record = json.loads((out / "simulation.json").read_text())
    assert record["treatments"]["treated_weeks"] == min(SMALL.treated_weeks, SMALL.weeks)


def test_treatments_outcome_is_the_30_day_label(
    small_simulation: tuple[Path, SimulationSummary],
) -> None:
    """Cured exactly when no credit payment due in the 30 days after the date was missed."""
    out, _ = small_simulation
    data = load_dataset(out)
    history = load_interventions(out)
    assert history is not None
    for when in history["date"].unique().to_list()[:3]:
        labels = labels_at(data.payments, when)
        rows = history.filter(pl.col("date") == when).join(labels, on="customer_id")
        assert rows.height == history.filter(pl.col("date") == when).height
        assert ((rows["outcome"] == "cured") == (rows["label"] == 0)).all()
        no_response = rows.filter(pl.col("outcome") == "no_response")
        assert not no_response["reached"].any()


def test_treatments_truth_has_every_arm_and_matches_the_treated_probability(
    small_simulation: tuple[Path, SimulationSummary],
) -> None:
    out, _ = small_simulation
    truth = pl.read_parquet(out / "uplift_truth.parquet")
    assert [truth_column(a) for a in ARMS] == [c for c in truth.columns if c.startswith("p_")]
    risk = pl.read_parquet(out / "truth.parquet").drop_nulls()
    assert truth.height == risk.height
    # After the treated weeks no contact acts any more: the label's probability is p_none.
    last = SMALL.start + timedelta(days=int(SMALL.as_of_days[-1]))
    late = truth.filter(pl.col("as_of") == last).join(risk, on=["customer_id", "as_of"])
    if SMALL.treated_weeks < SMALL.weeks:
        assert np.allclose(late["p_none"], late["true_probability"])
    by_segment = (
        truth.filter(~pl.col("recent_contact"))
        .group_by("segment")
        .agg(pl.col(truth_column(a)).mean() for a in ARMS)
    )
    gain = {
        row["segment"]: {a: row["p_none"] - row[truth_column(a)] for a in ACTIONS}
        for row in by_segment.iter_rows(named=True)
    }
    assert max(gain["organised"], key=gain["organised"].__getitem__) == "soft_reminder"
    assert max(gain["gambling"], key=gain["gambling"].__getitem__) == "financial_counselling"


def test_treatments_off_writes_no_history_and_leaves_untreated_customers_unchanged(
    tmp_path: Path,
) -> None:
    base = SimulationConfig(customers=600, weeks=6, seed=9, treated_weeks=0)
    simulate(base, tmp_path / "off")
    simulate(SimulationConfig(customers=600, weeks=6, seed=9), tmp_path / "on")
    assert not (tmp_path / "off" / "interventions.parquet").exists()
    history = load_interventions(tmp_path / "on")
    assert history is not None
    touched = history.filter(pl.col("reached"))["customer_id"].unique().implode()

    def untouched(name: str) -> pl.DataFrame:
        frames = [pl.read_parquet(tmp_path / d / f"{name}.parquet") for d in ("off", "on")]
        return [f.filter(~pl.col("customer_id").is_in(touched)) for f in frames]  # type: ignore[return-value]

    off, on = untouched("payments")
    assert off.height > 0 and off.equals(on)
    off, on = untouched("transactions")
    keep = ["customer_id", "timestamp", "amount", "category", "channel"]
    assert off.select(keep).equals(on.select(keep))
    assert pl.read_parquet(tmp_path / "off" / "customers.parquet").equals(
        pl.read_parquet(tmp_path / "on" / "customers.parquet")
    )
