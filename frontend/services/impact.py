"""Impact simulation: what a set of interventions would cost and is expected to avert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pde.frontend.services.base import Services
from pde.frontend.services.catalogue import (
    ACTIONS,
    URGENCY_PRIORITY,
    InterventionType,
    expected_value,
)
from pde.frontend.services.queue import QueueRow
from pde.frontend.services.success import success_rates


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

    def to_record(self) -> dict[str, Any]:
        """What the page keeps until the plan is executed."""
        return {
            "customer_id": self.customer_id,
            "type": self.kind,
            "priority": self.priority,
            "probability": self.probability,
        }


@dataclass(frozen=True)
class PlanItem:
    """One intervention to create, as the page kept it from the simulation."""

    customer_id: str
    kind: str
    priority: str
    probability: float

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PlanItem:
        return cls(
            customer_id=str(record["customer_id"]),
            kind=str(record["type"]),
            priority=str(record["priority"]),
            probability=float(record["probability"]),
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
        return sum(a.probability * a.success_rate for a in self.actions)

    @property
    def net(self) -> float:
        return self.loss_avoided - self.cost


def simulate_impact(
    services: Services, chosen: Sequence[Mapping[str, Any]], *, override: str | None
) -> Impact:
    """The plan for the chosen queue rows, with the observed success rates."""
    with services.session() as session:
        rates = success_rates(session)
    return simulate([QueueRow.from_record(row) for row in chosen], override=override, rates=rates)


def simulate(rows: Sequence[QueueRow], *, override: str | None, rates: dict[str, float]) -> Impact:
    """The plan for queue rows: each row's recommended action unless `override` names one."""
    impact = Impact()
    for row in rows:
        kind = InterventionType(override or row.action)
        spec = ACTIONS[kind]
        rate = rates.get(kind.value, spec.prior_success)
        avoided, net = expected_value(
            probability=row.probability,
            exposure=row.outstanding_balance,
            success_rate=rate,
            cost=spec.cost,
        )
        impact.actions.append(
            PlannedAction(
                customer_id=row.customer_id,
                kind=kind.value,
                label=spec.label,
                priority=URGENCY_PRIORITY[row.urgency].value,
                probability=row.probability,
                success_rate=rate,
                cost=spec.cost,
                loss_avoided=avoided,
                net=net,
                cool_down=row.cool_down,
            )
        )
    return impact
