"""Impact simulation: what a set of interventions would cost and is expected to avert."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pde.db.models import InterventionType
from pde.frontend.services.catalogue import ACTIONS, URGENCY_PRIORITY, expected_value


@dataclass(frozen=True)
class PlannedAction:
    customer_id: str
    kind: str
    label: str
    priority: str
    probability: float
    success_rate: float
    cost: float
    loss_avoided: float
    net: float
    cool_down: str


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
        return sum(a.probability * a.success_rate for a in self.actions)

    @property
    def net(self) -> float:
        return self.loss_avoided - self.cost


def simulate(
    rows: list[dict[str, Any]], *, override: str | None, rates: dict[str, float]
) -> Impact:
    """The plan for queue rows: each row's recommended action unless `override` names one."""
    impact = Impact()
    for row in rows:
        kind = InterventionType(override or row["action"])
        spec = ACTIONS[kind]
        rate = rates.get(kind.value, spec.prior_success)
        avoided, net = expected_value(
            probability=row["probability"],
            exposure=row["outstanding_balance"],
            success_rate=rate,
            cost=spec.cost,
        )
        impact.actions.append(
            PlannedAction(
                customer_id=row["customer_id"],
                kind=kind.value,
                label=spec.label,
                priority=URGENCY_PRIORITY[row["urgency"]].value,
                probability=row["probability"],
                success_rate=rate,
                cost=spec.cost,
                loss_avoided=avoided,
                net=net,
                cool_down=row.get("cool_down") or "",
            )
        )
    return impact
