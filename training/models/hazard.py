"""The time-to-miss model: a discrete-time hazard model on the weekly panel.

Each labelled row (customer, as-of date) becomes one row per interval of the label window
it survived into (`pde.contracts.hazard.INTERVAL_ENDS`), its features plus the interval's
index, with target 1 in the interval of the first miss (the label rule's miss date) and 0
before it. A gradient-boosted classifier (`pde.training.learners`) on those rows gives each
interval's hazard; `pde.contracts.hazard.forecast` turns hazards into the chance of a miss
within 7, 14 and 30 days and the expected days to it. Ranked by the 30-day chance, rows are
judged by the concordance index on the out-of-time rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pde.contracts.hazard import (
    INTERVAL_ENDS,
    MissForecast,
    forecast,
    interval_of,
    with_intervals,
)
from pde.training.learners import FitData, FitOptions, OnnxGraph, get_learner

HAZARD_LEARNER = "lightgbm"
# Small and fixed: the hazard ranks within the alerted few; tuning is the ensemble's job.
HAZARD_PARAMS: dict[str, Any] = {
    "num_leaves": 15,
    "learning_rate": 0.08,
    "min_child_samples": 40,
    "subsample": 0.85,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
}
N_INTERVALS = len(INTERVAL_ENDS)
# Trees of the hazard model at most (fewer in quick runs: the run's max_trees).
HAZARD_MAX_ROUNDS = 200


def person_period(x: np.ndarray, days_to_miss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the hazard model: [features, interval] per interval each row survived into,
    and the target (1 in the interval of the first miss). `days_to_miss` is NaN for a row
    with no miss in the window (censored at its end)."""
    days = np.asarray(days_to_miss, dtype=np.float64)
    missed = ~np.isnan(days)
    last = np.full(days.shape, N_INTERVALS - 1)
    last[missed] = interval_of(days[missed])
    rows, targets = [], []
    for k in range(N_INTERVALS):
        alive = last >= k
        block = np.hstack([x[alive], np.full((int(alive.sum()), 1), float(k))])
        rows.append(block)
        targets.append((missed[alive] & (last[alive] == k)).astype(np.int32))
    return np.vstack(rows).astype(np.float32), np.concatenate(targets)


@dataclass(frozen=True)
class HazardModel:
    """A fitted hazard classifier (the learner's native model) and its learner's name."""

    model: Any
    learner: str = HAZARD_LEARNER

    def hazards(self, x: np.ndarray) -> np.ndarray:
        """[rows, intervals] per-interval hazards of feature rows x."""
        p = get_learner(self.learner).predict(self.model, with_intervals(x))
        return p.reshape(x.shape[0], N_INTERVALS)

    def forecast(self, x: np.ndarray) -> MissForecast:
        return forecast(self.hazards(x))


def fit_hazard(
    x: np.ndarray, days_to_miss: np.ndarray, *, rounds: int, threads: int, seed: int
) -> HazardModel:
    """Fits the hazard classifier on the person-period rows of (x, days_to_miss)."""
    rows, target = person_period(x, days_to_miss)
    options = FitOptions(
        rounds=rounds, stop_rounds=rounds, threads=threads, seed=seed, balanced=False
    )
    learner = get_learner(HAZARD_LEARNER)
    return HazardModel(learner.fit(HAZARD_PARAMS, FitData(rows, target), options))


def concordance_index(days_to_miss: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's concordance of `risk` with the time to miss: among pairs where one row
    missed strictly earlier than the other missed or was censored (NaN: no miss within the
    window), the share where the earlier one has the higher risk (ties count half). NaN
    when there is no comparable pair."""
    days = np.asarray(days_to_miss, dtype=np.float64)
    time = np.where(np.isnan(days), np.inf, days)
    risk = np.asarray(risk, dtype=np.float64)
    events = np.flatnonzero(~np.isnan(days))
    concordant = comparable = 0.0
    for start in range(0, events.size, 512):  # chunks keep the pair matrix small
        chosen = events[start : start + 512]
        later = time[None, :] > time[chosen, None]
        higher = risk[chosen, None] > risk[None, :]
        tied = risk[chosen, None] == risk[None, :]
        comparable += float(later.sum())
        concordant += float((later & higher).sum()) + 0.5 * float((later & tied).sum())
    return concordant / comparable if comparable else float("nan")


@dataclass(frozen=True)
class TimeToMiss:
    """The trained hazard model of a run, its graph and its out-of-time figures."""

    model: HazardModel
    graph: OnnxGraph
    figures: dict[str, Any]


def train_time_to_miss(
    x_fit: np.ndarray,
    days_fit: np.ndarray,
    x_test: np.ndarray,
    days_test: np.ndarray,
    *,
    rounds: int,
    threads: int,
    seed: int,
) -> TimeToMiss:
    """Fits the hazard model on the fitting rows (features clipped as the ensemble's) and
    measures it on the held-out (out-of-time) rows: the concordance of the 30-day chance with
    the time to miss, and the mean forecast against the observed share per horizon."""
    model = fit_hazard(x_fit, days_fit, rounds=rounds, threads=threads, seed=seed)
    graph = get_learner(model.learner).export_onnx(model.model, n_features=x_fit.shape[1] + 1)
    figures: dict[str, Any] = {"learner": model.learner, "intervals": list(INTERVAL_ENDS)}
    if x_test.shape[0]:
        result = model.forecast(x_test)
        observed = np.nan_to_num(days_test, nan=np.inf)
        figures.update(
            rows=int(x_test.shape[0]),
            concordance=concordance_index(days_test, result.within_30d),
            mean_forecast={
                "7d": float(result.within_7d.mean()),
                "14d": float(result.within_14d.mean()),
                "30d": float(result.within_30d.mean()),
            },
            observed={
                "7d": float((observed <= 7).mean()),
                "14d": float((observed <= 14).mean()),
                "30d": float(np.isfinite(observed).mean()),
            },
        )
    return TimeToMiss(model, graph, figures)
