"""Impact simulation: what a set of interventions would cost and is expected to avert.

The expected effect of a customer's recommended action is the recommender's (learned from the
uplift models, or the prior); another action chosen in its place gets the prior
(`PDE_ACTION_EFFECT` of the customer's miss probability), and must come with a reason.
Costs are the settings' (`PDE_ACTION_COSTS`), the loss given default the policy's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pde.core.settings import Settings
from pde.decision.policy import policy_from_settings
from pde.frontend.services.base import Services
from pde.frontend.services.catalogue import ACTIONS, URGENCY_PRIORITY, InterventionType
from pde.frontend.services.queue import QueueRow
from pde.frontend.services.recommendations import override_reason


@dataclass(frozen=True)
class PlannedAction:
    customer_id: str
    kind: str
    label: str
    priority: str
    probability: float
    expected_effect: float  # fall in the 30-day miss probability
    cost: float
    loss_avoided: float
    net: float
    cool_down: str
    recommended: str = ""  # the recommended action ("" when none)
    reason: str | None = None  # why another action was chosen

    def to_record(self) -> dict[str, Any]:
        """What the page keeps until the plan is executed."""
        return {
            "customer_id": self.customer_id,
            "type": self.kind,
            "priority": self.priority,
            "probability": self.probability,
            "recommended": self.recommended,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PlanItem:
    """One intervention to create, as the page kept it from the simulation."""

    customer_id: str
    kind: str
    priority: str
    probability: float
    recommended: str = ""
    reason: str | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PlanItem:
        reason = record.get("reason")
        return cls(
            customer_id=str(record["customer_id"]),
            kind=str(record["type"]),
            priority=str(record["priority"]),
            probability=float(record["probability"]),
            recommended=str(record.get("recommended") or ""),
            reason=None if reason is None else str(reason),
        )


@dataclass
class Impact:
    actions: list[PlannedAction] = field(default_factory=list)

    @property
    def cost(self) -> float:
        return sum(a.cost for a in self.actions)

    @property
    def loss_avoided(self) -> float:
        return sum(a.loss_avoided for a in self.actions)

    @property
    def defaults_prevented(self) -> float:
        return sum(a.expected_effect for a in self.actions)

    @property
    def net(self) -> float:
        return self.loss_avoided - self.cost


def simulate_impact(
    services: Services,
    chosen: Sequence[Mapping[str, Any]],
    *,
    override: str | None,
    reason: str | None = None,
) -> Impact:
    """The plan for the chosen queue rows; PdeError when `override` replaces a recommended
    action without a reason."""
    rows = [QueueRow.from_record(row) for row in chosen]
    return simulate(rows, override=override, reason=reason, settings=services.settings)


def simulate(
    rows: Sequence[QueueRow], *, override: str | None, reason: str | None, settings: Settings
) -> Impact:
    """The plan for queue rows: each row's recommended action unless `override` names one."""
    policy = policy_from_settings(settings)
    impact = Impact()
    for row in rows:
        name = override or row.action or InterventionType.SOFT_REMINDER.value
        kind = InterventionType(name)
        why = override_reason(recommended=row.action, chosen=kind.value, reason=reason)
        spec = ACTIONS[kind]
        if kind.value == row.action and row.expected_effect is not None:
            effect = row.expected_effect
        else:
            effect = row.probability * policy.action_effect
        avoided = effect * row.outstanding_balance * policy.loss_given_default
        impact.actions.append(
            PlannedAction(
                customer_id=row.customer_id,
                kind=kind.value,
                label=spec.label,
                priority=URGENCY_PRIORITY[row.urgency].value,
                probability=row.probability,
                expected_effect=effect,
                cost=spec.cost,
                loss_avoided=avoided,
                net=avoided - spec.cost,
                cool_down=row.cool_down,
                recommended=row.action,
                reason=why,
            )
        )
    return impact
