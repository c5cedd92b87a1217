"""The treated history as frames: `interventions` (what a bank exports) and `uplift_truth`
(what only the simulator knows: the miss probability under every arm)."""

from __future__ import annotations

import numpy as np
import polars as pl

from pde.contracts.interventions import ARMS, CONTROL, SEGMENTS, truth_column
from pde.core.settings import DEFAULT_ACTION_COSTS
from pde.decision.outcomes import outcome_of
from pde.training.data.simulate.config import SimulationConfig
from pde.training.data.simulate.frames import dates
from pde.training.data.simulate.treatments import Treatments

_ARM_COST = np.array([0.0 if arm == CONTROL else DEFAULT_ACTION_COSTS[arm] for arm in ARMS])


def interventions_frame(
    *, config: SimulationConfig, ids: pl.Series, treatments: Treatments, label: np.ndarray
) -> pl.DataFrame:
    """One row per assignment (customer and as-of date), with its 30-day outcome."""
    customer, week = np.nonzero(treatments.arm >= 0)
    arm = treatments.arm[customer, week].astype(np.int64)
    reached = treatments.reached[customer, week]
    missed = label[customer, week] == 1
    day = config.as_of_days[week]
    customer_id = ids.gather(customer.astype(np.int64))
    when = dates(config.start, day)
    return pl.DataFrame(
        {
            "intervention_id": "I" + when.dt.strftime("%Y%m%d") + "-" + customer_id,
            "customer_id": customer_id,
            "date": when,
            "action": pl.Series(ARMS, dtype=pl.String).gather(arm),
            "assignment": np.where(treatments.random[customer, week], "random", "rule"),
            "reached": reached,
            "outcome": pl.Series(
                [
                    outcome_of(missed=bool(m), reached=bool(r))
                    for m, r in zip(missed, reached, strict=True)
                ],
                dtype=pl.String,
            ),
            "cost": _ARM_COST[arm],
        }
    )


def uplift_truth_frame(
    *, config: SimulationConfig, ids: pl.Series, treatments: Treatments
) -> pl.DataFrame:
    """One row per customer and weekly as-of date with something due: the true state, a
    recent contact, and the 30-day miss probability under each arm."""
    known = ~np.isnan(treatments.p_arms[:, :, 0])
    customer, week = np.nonzero(known)
    columns: dict[str, object] = {
        "customer_id": ids.gather(customer.astype(np.int64)),
        "as_of": dates(config.start, config.as_of_days[week]),
        "segment": pl.Series(SEGMENTS, dtype=pl.String).gather(
            treatments.segment[customer, week].astype(np.int64)
        ),
        "recent_contact": treatments.recent[customer, week],
    }
    for a, arm in enumerate(ARMS):
        columns[truth_column(arm)] = treatments.p_arms[customer, week, a]
    return pl.DataFrame(columns)
