"""Uplift models: a T-learner per action, learned from the treated history and its control group.

For each arm (the control `none` and every action) one gradient-boosted classifier
(`pde.training.learners`, LightGBM) learns the 30-day miss probability of the customers
assigned that arm, on the bundle's input row. The uplift of an action is

    uplift[action](x) = P(miss | x, none) - P(miss | x, action)

the fall in the miss probability the action is expected to bring. Protected attributes
(`MASKED_FEATURES`) are blanked (NaN) while fitting, so no tree splits on them and no
estimate depends on them, whatever the row carries when served.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pde.contracts.interventions import ACTIONS, ARMS, CONTROL
from pde.training.learners import FitData, FitOptions, OnnxGraph, get_learner

LIBRARY = "lightgbm"
MASKED_FEATURES = ("age_years",)
# Small, regular trees: each arm has a few thousand rows at most.
PARAMS: dict[str, Any] = {
    "num_leaves": 7,
    "learning_rate": 0.05,
    "min_child_samples": 40,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "reg_lambda": 5.0,
}
ROUNDS = 150
MIN_ARM_ROWS = 30


class UpliftError(ValueError):
    """The treated history cannot give an uplift model (an arm without enough rows)."""


@dataclass(frozen=True)
class UpliftModels:
    """One native model per arm (ARMS order), the feature columns blanked while fitting, and
    how many rows each arm was fitted on."""

    natives: dict[str, Any]
    masked: tuple[str, ...]
    rows: dict[str, int]

    def arm_probabilities(self, x: np.ndarray, *, threads: int = 1) -> np.ndarray:
        """(rows, arms) miss probability under each arm."""
        learner = get_learner(LIBRARY)
        return np.column_stack(
            [learner.predict(self.natives[arm], x, threads=threads) for arm in ARMS]
        )

    def uplift(self, x: np.ndarray, *, threads: int = 1) -> np.ndarray:
        """(rows, actions) predicted fall in the miss probability, ACTIONS order."""
        p = self.arm_probabilities(x, threads=threads)
        return np.asarray(p[:, :1] - p[:, 1:])

    def export(self, *, n_features: int) -> dict[str, OnnxGraph]:
        learner = get_learner(LIBRARY)
        return {arm: learner.export_onnx(self.natives[arm], n_features=n_features) for arm in ARMS}


def mask_columns(x: np.ndarray, names: list[str], masked: tuple[str, ...]) -> np.ndarray:
    """A copy of `x` with the columns named in `masked` set to NaN."""
    out = np.array(x, dtype=np.float32, copy=True)
    for i, name in enumerate(names):
        if name in masked:
            out[:, i] = np.nan
    return out


def fit_uplift(
    x: np.ndarray,
    *,
    arm: np.ndarray,
    missed: np.ndarray,
    names: list[str],
    seed: int,
    threads: int,
) -> UpliftModels:
    """One classifier per arm on the rows assigned it (`arm` indexes ARMS)."""
    masked = tuple(name for name in MASKED_FEATURES if name in names)
    blank = mask_columns(x, names, masked)
    learner = get_learner(LIBRARY)
    options = FitOptions(
        rounds=ROUNDS, stop_rounds=ROUNDS, threads=threads, seed=seed, balanced=False
    )
    natives: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for code, name in enumerate(ARMS):
        mine = arm == code
        rows[name] = int(mine.sum())
        outcome = missed[mine]
        if rows[name] < MIN_ARM_ROWS or outcome.min() == outcome.max():
            raise UpliftError(
                f"arm {name!r} has {rows[name]} assigned rows with outcomes {sorted(set(outcome))}:"
                f" at least {MIN_ARM_ROWS} with both outcomes are needed"
            )
        natives[name] = learner.fit(PARAMS, FitData(blank[mine], outcome), options)
    return UpliftModels(natives, masked, rows)


def arm_summary(models: UpliftModels) -> dict[str, Any]:
    return {"control": CONTROL, "actions": list(ACTIONS), "rows": models.rows}
