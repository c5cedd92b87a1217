"""Every change to interventions and ownership, through pde.db.workflow and pde.db.customers.

Each change runs in its own unit of work as the signed-in user: `access` decides what the
user's role allows; the workflow services check the transition, the cool-down and the
version (and the role again) and append the audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.contracts.interventions import OUTCOMES
from pde.core.errors import PdeError
from pde.db import audit, workflow
from pde.db import customers as db_customers
from pde.db.models import (
    InterventionCreate,
    InterventionOutcomeCreate,
    InterventionStatus,
    InterventionType,
    OutcomeKind,
    Priority,
    TreatmentOutcomeCreate,
)
from pde.db.outcomes import add_outcomes
from pde.decision.actions import action_costs
from pde.frontend.services import access
from pde.frontend.services.base import Services
from pde.frontend.services.customer import check_customer
from pde.frontend.services.impact import PlanItem
from pde.frontend.services.recommendations import (
    audit_override,
    override_reason,
    recommended_for,
)
from pde.frontend.services.snapshot import latest_snapshot
from pde.frontend.services.tables import RISK_SCORES
from pde.frontend.services.work import check_intervention, intervention_state

QUEUE_REASON = "from the Action Center queue"


@dataclass(frozen=True)
class CreationReport:
    created: tuple[int, ...]
    refused: tuple[str, ...]  # "<customer>: <why>"


def _create(
    session: Session,
    services: Services,
    user: access.SignedIn,
    *,
    customer_id: str,
    kind: str,
    priority: str,
    probability: float | None,
    model_version: str | None,
    reason: str | None,
) -> int:
    row = workflow.create_intervention(
        session=session,
        policy=services.policy,
        data=InterventionCreate(
            customer_id=customer_id,
            type=InterventionType(kind),
            priority=Priority(priority),
            reason=reason or None,
            risk_probability=probability,
            model_version=model_version,
        ),
        actor=user.username,
    )
    assert row.id is not None
    return row.id


def create_intervention(
    services: Services,
    user: access.SignedIn,
    *,
    customer_id: str,
    kind: str,
    priority: str,
    reason: str | None,
) -> int:
    """A new intervention for the customer, carrying its score in the current snapshot;
    another action than the recommended one needs a reason (audited as an override)."""
    with services.session() as session:
        check_customer(session, user, customer_id)
        recommended = recommended_for(session, customer_id)
        why = override_reason(recommended=recommended, chosen=kind, reason=reason)
        snapshot = latest_snapshot(session)
        score = (
            None
            if snapshot is None
            else session.execute(
                sa.select(RISK_SCORES.c.probability).where(
                    RISK_SCORES.c.customer_id == customer_id,
                    RISK_SCORES.c.as_of == snapshot.as_of,
                    RISK_SCORES.c.model_version == snapshot.model_version,
                )
            ).scalar_one_or_none()
        )
        new_id = _create(
            session,
            services,
            user,
            customer_id=customer_id,
            kind=kind,
            priority=priority,
            probability=None if score is None else float(score),
            model_version=None if score is None or snapshot is None else snapshot.model_version,
            reason=reason,
        )
        if why is not None:
            audit_override(
                session,
                actor=user.username,
                customer_id=customer_id,
                recommended=recommended,
                chosen=kind,
                reason=why,
                intervention_id=new_id,
            )
        return new_id


def create_planned(
    services: Services, user: access.SignedIn, plan: Sequence[PlanItem]
) -> CreationReport:
    """The simulated plan's interventions, each in its own unit of work; a refused one (cool-
    down, or another action than the recommended one without a reason) is reported and the
    others are still created. An override is written to the audit log with its reason."""
    created: list[int] = []
    refused: list[str] = []
    for item in plan:
        try:
            with services.session() as session:
                check_customer(session, user, item.customer_id)
                # what was recommended is the database's, not what the page sent back
                recommended = recommended_for(session, item.customer_id)
                why = override_reason(recommended=recommended, chosen=item.kind, reason=item.reason)
                new_id = _create(
                    session,
                    services,
                    user,
                    customer_id=item.customer_id,
                    kind=item.kind,
                    priority=item.priority,
                    probability=item.probability,
                    model_version=None,
                    reason=QUEUE_REASON if why is None else f"{QUEUE_REASON}; override: {why}",
                )
                if why is not None:
                    audit_override(
                        session,
                        actor=user.username,
                        customer_id=item.customer_id,
                        recommended=recommended,
                        chosen=item.kind,
                        reason=why,
                        intervention_id=new_id,
                    )
            created.append(new_id)
        except PdeError as exc:
            refused.append(f"{item.customer_id}: {exc}")
    return CreationReport(tuple(created), tuple(refused))


def act(
    services: Services,
    user: access.SignedIn,
    *,
    action: str,
    intervention_id: int,
    officer: str | None = None,
    reason: str | None = None,
) -> str:
    """Runs one workflow transition; returns a one-line confirmation."""
    with services.session() as session:
        row = workflow.get_intervention(session, intervention_id)
        check_intervention(session, user, row)
        access.refuse_if(access.action_refusal(user, action, intervention_state(row)))
        common: dict[str, Any] = {
            "session": session,
            "intervention_id": intervention_id,
            "actor": user.username,
        }
        if action == "approve":
            workflow.approve(**common)
        elif action == "assign":
            if not officer:
                raise PdeError("choose an officer to assign")
            workflow.assign(officer=officer, **common)
        elif action == "start":
            workflow.start(**common)
        elif action == "complete":
            workflow.complete(**common)
        else:  # cancel: action_refusal refused every other name
            workflow.cancel(reason=reason or "", **common)
    return f"intervention {intervention_id}: {action} done"


def record_outcome(
    services: Services,
    user: access.SignedIn,
    *,
    intervention_id: int,
    outcome: str,
    amount: float | None,
    note: str | None,
) -> int:
    with services.session() as session:
        row = workflow.get_intervention(session, intervention_id)
        check_intervention(session, user, row)
        access.refuse_if(access.outcome_refusal(user, intervention_state(row)))
        recorded = workflow.record_outcome(
            session=session,
            intervention_id=intervention_id,
            data=InterventionOutcomeCreate(
                outcome=OutcomeKind(outcome),
                amount=Decimal(str(round(amount, 2))) if amount is not None else None,
                note=note or None,
            ),
            actor=user.username,
        )
        assert recorded.id is not None
        return recorded.id


def record_cure_outcome(
    services: Services, user: access.SignedIn, *, intervention_id: int, outcome: str
) -> str:
    """Closes the intervention with its 30-day outcome (cured, missed, no_response): work in
    progress is completed, and the outcome is recorded in `treatment_outcomes` (the one
    definition of success, `pde.decision.outcomes`), once per intervention; audited."""
    if outcome not in OUTCOMES:
        raise PdeError(f"a 30-day outcome is one of {', '.join(OUTCOMES)}, not {outcome!r}")
    with services.session() as session:
        row = workflow.get_intervention(session, intervention_id)
        check_intervention(session, user, row)
        access.refuse_if(access.outcome_refusal(user, intervention_state(row)))
        if row.status == InterventionStatus.IN_PROGRESS:
            workflow.complete(session=session, intervention_id=intervention_id, actor=user.username)
        elif row.status != InterventionStatus.COMPLETED:
            raise PdeError("only work in progress or completed closes with its 30-day outcome")
        record = TreatmentOutcomeCreate(
            assignment_id=f"app-{intervention_id}",
            customer_id=row.customer_id,
            assigned_on=row.created_at.date(),
            action=row.type.value,
            assignment="policy",
            reached=outcome != "no_response",
            outcome=outcome,
            cost=action_costs(services.settings)[row.type.value],
            source="app",
        )
        if not add_outcomes(session=session, rows=[record]):
            raise PdeError(f"intervention {intervention_id} already has its 30-day outcome")
        audit.append(
            session,
            actor=user.username,
            action="treatment_outcome.record",
            entity_type="intervention",
            entity_id=intervention_id,
            before=None,
            after=record.model_dump(mode="json"),
        )
    return f"intervention {intervention_id} closed: {outcome.replace('_', ' ')} within 30 days"


def assign_customer(
    services: Services, user: access.SignedIn, *, customer_id: str, officer: str
) -> None:
    access.require(access.can_assign_customers(user), "assign customers")
    with services.session() as session:
        db_customers.assign_customer(
            session=session, customer_id=customer_id, officer=officer, actor=user.username
        )
