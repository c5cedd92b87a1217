"""The actions and their labels, tiers and their colours, and the closed sets the pages offer
in their widgets: the names the pages work with, in one place. What an action costs is the
settings' (`PDE_ACTION_COSTS`); success is `pde.decision.outcomes`' one definition (cured
within 30 days)."""

from __future__ import annotations

from dataclasses import dataclass

from pde.core.names import ALERT_TIERS, TIER_NAMES, RiskTier
from pde.core.settings import get_settings
from pde.db.models.enums import (
    InterventionStatus,
    InterventionType,
    OutcomeKind,
    Priority,
    RunStatus,
)
from pde.db.policy import OPEN_STATUSES
from pde.decision.actions import action_costs

__all__ = [
    "ALERT_TIERS",
    "TIER_NAMES",
    "InterventionStatus",
    "InterventionType",
    "OutcomeKind",
    "Priority",
]  # the shared names the pages' widgets offer, with the catalogue below

# The Overview's prevented-loss figures still use these two; the Action Center and the
# Interventions Tracker use the settings' LGD and `pde.decision.outcomes`' success.
# Share of the exposure lost when a customer defaults (Basel foundation IRB, unsecured: 45%).
LOSS_GIVEN_DEFAULT = 0.45
# A customer whose probability rose by this much since the previous score is accelerating.
ACCELERATION_DELTA = 0.10
# An open intervention is "due soon" when less than this many hours remain before its SLA.
DUE_SOON_HOURS = 8

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
    """An action as the pages name it; what it costs comes from the settings
    (`PDE_ACTION_COSTS`), how well it works from the outcomes (`pde.decision.outcomes`) or the
    uplift models, never from a figure written here."""

    kind: InterventionType
    label: str

    @property
    def cost(self) -> float:
        """The action's cost from the process's settings (`PDE_ACTION_COSTS`)."""
        return action_costs(get_settings())[self.kind.value]


ACTIONS: dict[InterventionType, ActionSpec] = {
    kind: ActionSpec(kind, label)
    for kind, label in (
        (InterventionType.SOFT_REMINDER, "Soft reminder (SMS / e-mail)"),
        (InterventionType.AGENT_CALL, "Agent call"),
        (InterventionType.PAYMENT_PLAN, "Payment plan"),
        (InterventionType.RESTRUCTURING, "Restructuring"),
        (InterventionType.PAYMENT_HOLIDAY, "Payment holiday"),
        (InterventionType.FINANCIAL_COUNSELLING, "Financial counselling"),
    )
}


def action_label(kind: str | None) -> str:
    """The page's label of an action name ("" for none)."""
    if not kind:
        return ""
    return ACTIONS[InterventionType(kind)].label
