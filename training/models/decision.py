"""The decision threshold (least expected cost), the recall operating point and the risk tiers."""

from __future__ import annotations

import numpy as np

from pde.contracts.bundle import TierBand
from pde.core.names import RiskTier

# Quantiles of the flagged validation risk where `high` and `critical` start.
FLAGGED_QUANTILES = (0.5, 0.9)


def expected_costs(
    p: np.ndarray, y: np.ndarray, *, cost_missed: float, cost_intervention: float
) -> tuple[np.ndarray, np.ndarray]:
    """(thresholds, total cost) when flagging p >= threshold, for every distinct p (and > max).

    A flagged customer costs one intervention; an unflagged defaulter costs a missed default.
    """
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    # Flagging the first k rows; only k at the end of a run of equal p is a threshold.
    last_of_run = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    flagged = np.arange(1, len(p) + 1)[last_of_run]
    caught = np.cumsum(y_sorted)[last_of_run]
    positives = float(y.sum())
    costs = (positives - caught) * cost_missed + flagged * cost_intervention
    thresholds = p_sorted[last_of_run]
    nothing = positives * cost_missed
    return np.r_[np.nextafter(p_sorted[0], np.inf), thresholds], np.r_[nothing, costs]


def cost_threshold(
    p: np.ndarray, y: np.ndarray, *, cost_missed: float, cost_intervention: float
) -> float:
    """The threshold of least expected cost on (p, y); the highest one among ties."""
    thresholds, costs = expected_costs(
        p, y, cost_missed=cost_missed, cost_intervention=cost_intervention
    )
    best = int(np.argmin(costs))  # thresholds decrease, so argmin picks the highest tie
    return float(min(max(thresholds[best], 0.0), 1.0))


def recall_threshold(p: np.ndarray, y: np.ndarray, *, recall: float) -> float:
    """The highest threshold whose recall on (p, y) reaches `recall`."""
    positives = np.sort(p[y == 1])[::-1]
    needed = int(np.ceil(recall * len(positives)))
    return float(positives[max(needed - 1, 0)])


def risk_tiers(p_validation: np.ndarray, *, threshold: float) -> list[TierBand]:
    """low < threshold <= medium < high < critical, as probability bands.

    `low` is where no intervention pays for itself (below the cost threshold). The customers
    worth an intervention are ranked: on validation, the lower half of them is `medium`, the
    next 40% `high` and the top 10% `critical`. Bands stay strictly increasing when the
    calibrated probabilities have plateaus.
    """
    threshold = min(max(threshold, 1e-6), 1 - 1e-3)
    flagged = p_validation[p_validation >= threshold]
    if len(flagged):
        high, critical = (float(v) for v in np.quantile(flagged, FLAGGED_QUANTILES))
    else:
        high, critical = 0.0, 0.0
    bounds = [0.0, threshold, high, critical, 1.0]
    for i in (2, 3):
        if not bounds[i - 1] < bounds[i] < 1.0:
            bounds[i] = bounds[i - 1] + (1.0 - bounds[i - 1]) / (5 - i)
    return [
        TierBand(name=tier, lower=bounds[i], upper=bounds[i + 1]) for i, tier in enumerate(RiskTier)
    ]


def tier_of(p: np.ndarray, tiers: list[TierBand]) -> np.ndarray:
    """Index of each probability's tier (the last band includes 1.0)."""
    uppers = np.array([band.upper for band in tiers[:-1]])
    return np.searchsorted(uppers, p, side="right")
