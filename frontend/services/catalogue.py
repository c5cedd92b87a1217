"""What each intervention costs and how often it works, tiers and their colours, loss given
default, and the closed sets the pages offer in their widgets: the business assumptions and
names the pages work with, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from pde.core.names import ALERT_TIERS, TIER_NAMES, RiskTier
from pde.db.models.enums import (
    InterventionStatus,
    InterventionType,
    OutcomeKind,
    Priority,
    RunStatus,
)
from pde.db.policy import OPEN_STATUSES

__all__ = [
    "ALERT_TIERS",
    "TIER_NAMES",
    "InterventionStatus",
    "InterventionType",
    "OutcomeKind",
    "Priority",
]  # the shared names the pages' widgets offer, with the catalogue below

# Share of the exposure lost when a customer defaults (Basel foundation IRB, unsecured: 45%).
LOSS_GIVEN_DEFAULT = 0.45
# A customer whose probability rose by this much since the previous score is accelerating.
ACCELERATION_DELTA = 0.10
# An open intervention is "due soon" when less than this many hours remain before its SLA.
DUE_SOON_HOURS = 8
# With fewer recorded outcomes than this, the prior success rate is used.
MIN_OUTCOMES_FOR_RATE = 20

TIER_COLOURS = {
    RiskTier.LOW.value: "#2e7d32",
    RiskTier.MEDIUM.value: "#f9a825",
    RiskTier.HIGH.value: "#ef6c00",
    RiskTier.CRITICAL.value: "#c62828",
}
URGENCY_LABELS = {
    "imminent": "Imminent",
    "accelerating": "Accelerating risk",
    "stable": "High and stable",
}
URGENCY_COLOURS = {"imminent": "danger", "accelerating": "warning", "stable": "secondary"}
URGENCY_PRIORITY = {
    "imminent": Priority.CRITICAL,
    "accelerating": Priority.HIGH,
    "stable": Priority.MEDIUM,
}
PRIORITIES_MOST_URGENT_FIRST: tuple[str, ...] = tuple(p.value for p in reversed(Priority))
OPEN_STATUS_NAMES: tuple[str, ...] = tuple(
    s.value for s in InterventionStatus if s in OPEN_STATUSES
)
STATUS_NAMES: tuple[str, ...] = tuple(s.value for s in InterventionStatus)
OUTCOME_NAMES: tuple[str, ...] = tuple(o.value for o in OutcomeKind)
SUCCESS_OUTCOMES = (OutcomeKind.PAID.value, OutcomeKind.PROMISE_KEPT.value)
RESPONSE_OUTCOMES = (
    OutcomeKind.PAID.value,
    OutcomeKind.PROMISE_TO_PAY.value,
    OutcomeKind.PROMISE_KEPT.value,
    OutcomeKind.PROMISE_BROKEN.value,
)
RUN_STATUS_COLOURS = {RunStatus.COMPLETED.value: "success", RunStatus.FAILED.value: "danger"}
# Interventions whose cost was spent: work started or done.
COSTED_STATUSES = (InterventionStatus.IN_PROGRESS.value, InterventionStatus.COMPLETED.value)


@dataclass(frozen=True)
class ActionSpec:
    label: str
    cost: float  # operating cost of one intervention, in the portfolio's currency
    prior_success: float  # share of interventions that avert the default


ACTIONS: dict[InterventionType, ActionSpec] = {
    InterventionType.SOFT_REMINDER: ActionSpec("Soft reminder (SMS / e-mail)", 2.0, 0.25),
    InterventionType.AGENT_CALL: ActionSpec("Agent call", 15.0, 0.45),
    InterventionType.PAYMENT_PLAN: ActionSpec("Payment plan", 60.0, 0.55),
    InterventionType.RESTRUCTURING: ActionSpec("Restructuring", 250.0, 0.65),
    InterventionType.PAYMENT_HOLIDAY: ActionSpec("Payment holiday", 90.0, 0.50),
    InterventionType.FINANCIAL_COUNSELLING: ActionSpec("Financial counselling", 120.0, 0.40),
}


def recommend(*, tier: str, urgency: str, probability: float, exposure: float) -> InterventionType:
    """The next-best action for a customer in the queue (cheapest that fits the urgency)."""
    if urgency == "imminent" or tier == RiskTier.CRITICAL:
        return (
            InterventionType.RESTRUCTURING
            if exposure >= 20_000 and probability >= 0.6
            else InterventionType.PAYMENT_PLAN
        )
    if urgency == "accelerating":
        return InterventionType.AGENT_CALL
    if tier == RiskTier.HIGH:
        return InterventionType.AGENT_CALL if probability >= 0.4 else InterventionType.SOFT_REMINDER
    return InterventionType.SOFT_REMINDER


def expected_value(
    *, probability: float, exposure: float, success_rate: float, cost: float
) -> tuple[float, float]:
    """(expected loss avoided, net benefit) of one intervention."""
    avoided = probability * exposure * LOSS_GIVEN_DEFAULT * success_rate
    return avoided, avoided - cost
