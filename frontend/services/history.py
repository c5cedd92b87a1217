"""A customer's interventions with their outcomes, and the audit rows about the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from pde.frontend.services import access
from pde.frontend.services.base import Services
from pde.frontend.services.customer import check_customer
from pde.frontend.services.tables import AUDIT_LOG, INTERVENTIONS, OUTCOMES


@dataclass(frozen=True)
class InterventionSummary:
    id: int
    created_at: datetime
    type: str
    status: str
    assigned_to: str | None
    outcomes: tuple[str, ...]


@dataclass(frozen=True)
class AuditLine:
    occurred_at: datetime
    actor: str
    action: str
    entity_id: str


@dataclass(frozen=True)
class CustomerHistory:
    interventions: tuple[InterventionSummary, ...]  # newest first
    audit: tuple[AuditLine, ...]  # newest first


def customer_history(
    services: Services,
    user: access.SignedIn,
    customer_id: str,
    *,
    interventions: int = 50,
    audit_rows: int = 12,
) -> CustomerHistory:
    """The customer's interventions with their outcomes, and the audit rows about the
    customer and its interventions (AccessDeniedError when the user may not see them)."""
    work = INTERVENTIONS.c
    with services.session() as session:
        check_customer(session, user, customer_id)
        rows = session.execute(
            sa.select(work.id, work.created_at, work.type, work.status, work.assigned_to)
            .where(work.customer_id == customer_id)
            .order_by(work.id.desc())
            .limit(interventions)
        ).all()
        ids = [int(r.id) for r in rows]
        outcomes: dict[int, list[str]] = {}
        if ids:
            for intervention_id, outcome in session.execute(
                sa.select(OUTCOMES.c.intervention_id, OUTCOMES.c.outcome).where(
                    OUTCOMES.c.intervention_id.in_(ids)
                )
            ):
                outcomes.setdefault(int(intervention_id), []).append(str(outcome))
        audit = _audit_of(session, customer_id, limit=audit_rows)
    return CustomerHistory(
        interventions=tuple(
            InterventionSummary(
                id=int(r.id),
                created_at=r.created_at,
                type=str(r.type),
                status=str(r.status),
                assigned_to=r.assigned_to,
                outcomes=tuple(outcomes.get(int(r.id), [])),
            )
            for r in rows
        ),
        audit=audit,
    )


def _audit_of(session: Session, customer_id: str, *, limit: int) -> tuple[AuditLine, ...]:
    """Audit rows about this customer and its interventions, newest first."""
    intervention_ids = [
        str(i)
        for (i,) in session.execute(
            sa.select(INTERVENTIONS.c.id).where(INTERVENTIONS.c.customer_id == customer_id)
        )
    ]
    log = AUDIT_LOG.c
    about = (log.entity_type == "customer") & (log.entity_id == customer_id)
    if intervention_ids:
        about = about | ((log.entity_type == "intervention") & log.entity_id.in_(intervention_ids))
    rows = session.execute(
        sa.select(log.occurred_at, log.actor, log.action, log.entity_id)
        .where(about)
        .order_by(log.id.desc())
        .limit(limit)
    )
    return tuple(AuditLine(o, str(actor), str(action), str(e)) for o, actor, action, e in rows)
