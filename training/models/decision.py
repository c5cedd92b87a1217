"""The decision figures of a run: the break-even floor, the capacity-limited alerts on the
held-out rows, the risk tiers, and the recall operating point.

The policy itself (ranking, capacity, tiers) is `pde.decision`'s; this module maps a
training run onto it. The team's weekly capacity applies to one scoring date of the whole
portfolio, so on held-out rows it is scaled by the share of that date's portfolio they hold
(1 for an out-of-time test date, the test share for a one-snapshot stratified split).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from pde.contracts.bundle import AlertPolicy, TierBand
from pde.decision import (
    AlertSet,
    alert_figures,
    capacity_cutoff,
    exposures,
    policy_warnings,
    risk_tiers,
    select_alerts,
)
from pde.training.models.frame import TrainingFrame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """The break-even floor (the manifest's threshold), the tiers and what anchored them."""

    threshold: float
    tiers: list[TierBand]
    base_rate: float
    capacity_share: float
    capacity_cutoff: float


def recall_threshold(p: np.ndarray, y: np.ndarray, *, recall: float) -> float:
    """The highest threshold whose recall on (p, y) reaches `recall`."""
    positives = np.sort(p[y == 1])[::-1]
    needed = int(np.ceil(recall * len(positives)))
    return float(positives[max(needed - 1, 0)])


def portfolio_size(frame: TrainingFrame) -> int:
    """Customers scored on one date: rows per as-of date (the median), or every row."""
    if frame.times is None:
        return frame.n_rows
    _, counts = np.unique(frame.times, return_counts=True)
    return max(1, int(np.median(counts)))


def decide(
    p_validation: np.ndarray,
    y_validation: np.ndarray,
    *,
    frame: TrainingFrame,
    policy: AlertPolicy,
) -> Decision:
    """The floor, and tiers anchored on the validation base rate and the capacity cut-off."""
    floor = policy.break_even()
    share = min(1.0, policy.capacity / portfolio_size(frame))
    cutoff = capacity_cutoff(p_validation, share=share)
    base_rate = float(np.mean(y_validation))
    tiers = risk_tiers(base_rate=base_rate, floor=floor, cutoff=cutoff)
    return Decision(floor, tiers, base_rate, share, cutoff)


def exposure_of(frame: TrainingFrame, rows: np.ndarray, policy: AlertPolicy) -> np.ndarray:
    """The rows' exposure under the policy (its feature when the frame has it)."""
    source = policy.exposure_source
    column = None
    if source != "fixed" and source in frame.feature_names:
        column = frame.x[rows, frame.feature_names.index(source)]
    return exposures(policy, column, len(rows))


def held_out_alerts(
    p: np.ndarray, *, frame: TrainingFrame, rows: np.ndarray, policy: AlertPolicy
) -> AlertSet:
    """The policy applied to held-out `rows` (probabilities `p`), one scoring date at a time."""
    exposure = exposure_of(frame, rows, policy)
    if frame.times is None:
        dates = np.zeros(len(rows), dtype=np.int64)
        everyone = {0: frame.n_rows}
    else:
        dates = frame.times[rows]
        values, counts = np.unique(frame.times, return_counts=True)
        everyone = dict(zip(values.tolist(), counts.tolist(), strict=True))
    alerted = np.zeros(len(rows), dtype=bool)
    eligible = np.zeros(len(rows), dtype=bool)
    benefit = np.zeros(len(rows))
    capacity = 0
    for when in np.unique(dates):
        members = np.flatnonzero(dates == when)
        share = len(members) / everyone[when.item()]
        allowed = round(policy.capacity * share)
        chosen = select_alerts(p[members], exposure[members], policy, capacity=allowed)
        alerted[members], eligible[members] = chosen.alerted, chosen.eligible
        benefit[members] = chosen.benefit
        capacity += allowed
    return AlertSet(alerted, eligible, capacity, benefit)


def policy_figures(
    alerts: AlertSet, y: np.ndarray, *, decision: Decision, policy: AlertPolicy
) -> dict[str, Any]:
    """metrics.json's `alerts` section; its warnings are logged too."""
    warnings = policy_warnings(alerts, floor=decision.threshold)
    for warning in warnings:
        log.warning("alert policy: %s", warning)
    return {
        **alert_figures(alerts, y),
        "break_even": decision.threshold,
        "weekly_capacity": policy.capacity,
        "capacity_share": decision.capacity_share,
        "capacity_cutoff": decision.capacity_cutoff,
        "tier_base_rate": decision.base_rate,
        "policy": policy.model_dump(),
        "warnings": warnings,
    }
