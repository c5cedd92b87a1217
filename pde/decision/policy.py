"""Alerts sized to the team: rank by expected net benefit, alert the top within capacity.

A customer's expected net benefit of the best action is

    p * exposure * loss_given_default * action_effect - intervention_cost

(the loss the action is expected to avert, less its cost). Customers are ranked by it; the
first `capacity` of those with a net benefit of at least 0 (at or above the break-even
point) get an alert. Below break-even no action pays for itself, whatever the capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pde.contracts.bundle import AlertPolicy
from pde.core.settings import Settings

F64 = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]

# Above this share of the rows, a threshold or an alert list is no longer a work queue.
WARN_SHARE = 0.25


def policy_from_settings(settings: Settings) -> AlertPolicy:
    """The policy of the `PDE_*` settings (officers, contacts, LGD, exposure, cost, effect)."""
    return AlertPolicy(
        officers=settings.officers,
        contacts_per_officer=settings.contacts_per_officer,
        loss_given_default=settings.loss_given_default,
        exposure_source=settings.exposure_source,
        exposure_amount=settings.exposure_amount,
        intervention_cost=settings.intervention_cost,
        action_effect=settings.action_effect,
    )


def exposures(policy: AlertPolicy, column: npt.ArrayLike | None, rows: int) -> F64:
    """Each customer's exposure: `column` (the policy's exposure feature) where known and the
    policy's amount where it is missing or the source is `fixed`; negative values count as 0."""
    amount = np.full(rows, policy.exposure_amount, dtype=np.float64)
    if policy.exposure_source == "fixed" or column is None:
        return amount
    values = np.asarray(column, dtype=np.float64)
    if values.shape != (rows,):
        raise ValueError(f"exposure column has shape {values.shape}, expected ({rows},)")
    return np.where(np.isfinite(values), np.maximum(values, 0.0), amount)


def net_benefit(p: npt.ArrayLike, exposure: npt.ArrayLike, policy: AlertPolicy) -> F64:
    """Expected net benefit of the best action, per customer."""
    averted = np.asarray(p, dtype=np.float64) * np.asarray(exposure, dtype=np.float64)
    averted *= policy.loss_given_default * policy.action_effect
    return np.asarray(averted - policy.intervention_cost, dtype=np.float64)


@dataclass(frozen=True)
class AlertSet:
    """The alerted customers of one run and how they were chosen."""

    alerted: Flags  # per row, in input order
    eligible: Flags  # at or above break-even
    capacity: int
    benefit: F64  # expected net benefit per row

    @property
    def rows(self) -> int:
        return len(self.alerted)

    @property
    def alerts(self) -> int:
        return int(self.alerted.sum())

    @property
    def share_alerted(self) -> float:
        return self.alerts / self.rows if self.rows else 0.0

    @property
    def share_eligible(self) -> float:
        return float(self.eligible.mean()) if self.rows else 0.0

    @property
    def capacity_used(self) -> float:
        """Alerts over capacity (1.0: the team is fully booked)."""
        return self.alerts / self.capacity if self.capacity else 0.0


def select_alerts(
    p: npt.ArrayLike,
    exposure: npt.ArrayLike,
    policy: AlertPolicy,
    *,
    capacity: int,
    benefit: npt.ArrayLike | None = None,
) -> AlertSet:
    """The top `capacity` customers by expected net benefit, none below break-even.

    `benefit`, when given, is each customer's expected net benefit of the best action learned
    from outcomes (the uplift models: `pde.decision.recommend.net_benefits`); without it, the
    prior's (`action_effect` of the risk). Ties keep input order, so the same inputs always
    give the same alerts.
    """
    if capacity < 0:
        raise ValueError("capacity must not be negative")
    if benefit is None:
        benefit = net_benefit(p, exposure, policy)
    benefit = np.asarray(benefit, dtype=np.float64)
    eligible = benefit >= 0
    order = np.argsort(-benefit, kind="stable")
    top = order[: min(capacity, int(eligible.sum()))]
    alerted = np.zeros(len(benefit), dtype=bool)
    alerted[top] = True
    return AlertSet(alerted, eligible, capacity, benefit)


def alert_figures(alerts: AlertSet, y: npt.ArrayLike | None = None) -> dict[str, float | int]:
    """Share alerted, capacity used, share above break-even and, given the outcomes `y`
    (1 = defaulted), precision, recall and lift (precision over the base rate) of the alerts."""
    figures: dict[str, float | int] = {
        "rows": alerts.rows,
        "alerts": alerts.alerts,
        "capacity": alerts.capacity,
        "share_alerted": alerts.share_alerted,
        "capacity_used": alerts.capacity_used,
        "share_above_break_even": alerts.share_eligible,
        "expected_net_benefit": float(alerts.benefit[alerts.alerted].sum()),
    }
    if y is None:
        return figures
    outcome = np.asarray(y, dtype=np.float64)
    base = float(outcome.mean()) if len(outcome) else 0.0
    caught = float(outcome[alerts.alerted].sum())
    precision = caught / alerts.alerts if alerts.alerts else 0.0
    figures["base_rate"] = base
    figures["precision"] = precision
    figures["recall"] = caught / float(outcome.sum()) if outcome.sum() else 0.0
    figures["lift"] = precision / base if base else 0.0
    return figures


def policy_warnings(alerts: AlertSet, *, floor: float) -> list[str]:
    """Plain-language warnings when the break-even floor or the alerts reach past a quarter
    of the rows (a floor that flags everyone is no decision)."""
    warnings = []
    if alerts.share_eligible > WARN_SHARE:
        warnings.append(
            f"the break-even floor p >= {floor:.4f} flags {alerts.share_eligible:.1%} of the"
            f" rows (more than {WARN_SHARE:.0%}): alerts are limited to the capacity of"
            f" {alerts.capacity:,}; check the costs and the expected effect of an action"
        )
    if alerts.share_alerted > WARN_SHARE:
        warnings.append(
            f"{alerts.share_alerted:.1%} of the rows get an alert (more than {WARN_SHARE:.0%}):"
            " check the officers' capacity settings"
        )
    return warnings


def default_policy() -> AlertPolicy:
    """The policy of the documented `PDE_*` defaults (the environment is not read)."""
    return policy_from_settings(Settings.model_construct())
