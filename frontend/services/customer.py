"""Customer Deep Dive: search, profile and exposure, score history, segment comparison, and
the customer's interventions and audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.core.names import ALERT_TIERS
from pde.frontend.services import access
from pde.frontend.services.base import Services
from pde.frontend.services.snapshot import Snapshot, current_scores, latest_snapshot
from pde.frontend.services.tables import (
    ASSIGNMENTS,
    AUDIT_LOG,
    CUSTOMERS,
    INTERVENTIONS,
    OUTCOMES,
    RISK_SCORES,
)

SEARCH_LIMIT = 20
HISTORY_POINTS = 60
TOP_RISK = 10


@dataclass(frozen=True)
class CustomerProfile:
    customer_id: str
    open_date: date
    birth_year: int
    income_bracket: str
    employment_type: str
    region: str
    product: str
    credit_limit: float
    outstanding_balance: float
    monthly_obligation: float
    declared_income: float | None

    def as_record(self) -> dict[str, Any]:
        """The profile as a canonical customers row (what an Explain request carries)."""
        return {
            "customer_id": self.customer_id,
            "open_date": self.open_date,
            "birth_year": self.birth_year,
            "income_bracket": self.income_bracket,
            "employment_type": self.employment_type,
            "region": self.region,
            "product": self.product,
            "credit_limit": self.credit_limit,
            "outstanding_balance": self.outstanding_balance,
            "monthly_obligation": self.monthly_obligation,
            "declared_income": self.declared_income,
        }


@dataclass(frozen=True)
class StoredReason:
    feature: str
    text: str | None


@dataclass(frozen=True)
class StoredScore:
    as_of: date
    model_version: str
    probability: float
    tier: str
    reasons: tuple[StoredReason, ...]


@dataclass(frozen=True)
class SegmentFigures:
    """The customer's product segment in the current snapshot."""

    product: str
    customers: int
    mean_risk: float
    mean_balance: float
    mean_limit: float
    high_share: float  # share in the alert tiers


@dataclass(frozen=True)
class CustomerView:
    profile: CustomerProfile
    snapshot: Snapshot | None
    score: StoredScore | None  # the customer's score in the snapshot
    officer: str | None
    history: tuple[tuple[date, float], ...]  # (as_of, probability), oldest first
    segment: SegmentFigures | None


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


def _owned_by(query: sa.Select[Any], customer_id: Any, officer: str | None) -> sa.Select[Any]:
    if officer is None:
        return query
    return query.join(
        ASSIGNMENTS,
        (ASSIGNMENTS.c.customer_id == customer_id) & ASSIGNMENTS.c.ended_at.is_(None),
    ).where(ASSIGNMENTS.c.officer == officer)


def search(services: Services, user: access.SignedIn, text: str) -> list[str]:
    """Customer ids starting with `text` (case-insensitive) among the customers the user's
    lists show, at most SEARCH_LIMIT."""
    query = sa.select(CUSTOMERS.c.customer_id).order_by(CUSTOMERS.c.customer_id).limit(SEARCH_LIMIT)
    if text:
        query = query.where(CUSTOMERS.c.customer_id.ilike(f"{text.strip()}%"))
    query = _owned_by(query, CUSTOMERS.c.customer_id, access.officer_scope(user))
    with services.session() as session:
        return [str(c) for (c,) in session.execute(query)]


def top_risk(services: Services, user: access.SignedIn) -> list[tuple[str, float]]:
    """(customer, probability) of the riskiest customers the user's lists show."""
    with services.session() as session:
        snapshot = latest_snapshot(session)
        if snapshot is None:
            return []
        current = current_scores(snapshot)
        query = sa.select(current.c.customer_id, current.c.probability).order_by(
            current.c.probability.desc(), current.c.customer_id
        )
        query = _owned_by(query, current.c.customer_id, access.officer_scope(user))
        return [(str(c), float(p)) for c, p in session.execute(query.limit(TOP_RISK))]


def _profile(row: Any) -> CustomerProfile:
    return CustomerProfile(
        customer_id=str(row.customer_id),
        open_date=row.open_date,
        birth_year=int(row.birth_year),
        income_bracket=str(row.income_bracket),
        employment_type=str(row.employment_type),
        region=str(row.region),
        product=str(row.product),
        credit_limit=float(row.credit_limit),
        outstanding_balance=float(row.outstanding_balance),
        monthly_obligation=float(row.monthly_obligation),
        declared_income=None if row.declared_income is None else float(row.declared_income),
    )


def _reasons(stored: Any) -> tuple[StoredReason, ...]:
    found = []
    for reason in stored or []:
        if isinstance(reason, dict):
            name = reason.get("feature") or reason.get("name")
            text = reason.get("text")
            if name:
                found.append(StoredReason(str(name), str(text) if text else None))
        elif reason:
            found.append(StoredReason(str(reason), None))
    return tuple(found)


def customer_view(services: Services, customer_id: str) -> CustomerView | None:
    """The customer's page, or None when there is no such customer."""
    with services.session() as session:
        return read_customer_view(session, customer_id)


def read_profile(session: Session, customer_id: str) -> CustomerProfile | None:
    row = session.execute(
        sa.select(CUSTOMERS).where(CUSTOMERS.c.customer_id == customer_id)
    ).first()
    return None if row is None else _profile(row)


def read_customer_view(session: Session, customer_id: str) -> CustomerView | None:
    profile = read_profile(session, customer_id)
    if profile is None:
        return None
    snapshot = latest_snapshot(session)
    officer = session.execute(
        sa.select(ASSIGNMENTS.c.officer).where(
            ASSIGNMENTS.c.customer_id == customer_id, ASSIGNMENTS.c.ended_at.is_(None)
        )
    ).scalar_one_or_none()
    if snapshot is None:
        return CustomerView(profile, None, None, officer, (), None)
    scores = RISK_SCORES.c
    stored = session.execute(
        sa.select(scores.probability, scores.tier, scores.top_reasons).where(
            scores.customer_id == customer_id,
            scores.as_of == snapshot.as_of,
            scores.model_version == snapshot.model_version,
        )
    ).first()
    score = (
        None
        if stored is None
        else StoredScore(
            as_of=snapshot.as_of,
            model_version=snapshot.model_version,
            probability=float(stored.probability),
            tier=str(stored.tier),
            reasons=_reasons(stored.top_reasons),
        )
    )
    history = session.execute(
        sa.select(scores.as_of, scores.probability)
        .where(scores.customer_id == customer_id, scores.model_version == snapshot.model_version)
        .order_by(scores.as_of.desc())
        .limit(HISTORY_POINTS)
    ).all()
    return CustomerView(
        profile=profile,
        snapshot=snapshot,
        score=score,
        officer=officer,
        history=tuple((d, float(p)) for d, p in reversed(history)),
        segment=segment_comparison(session, snapshot, product=profile.product),
    )


def segment_comparison(session: Session, snapshot: Snapshot, *, product: str) -> SegmentFigures:
    current = current_scores(snapshot)
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.avg(current.c.probability),
            sa.func.avg(CUSTOMERS.c.outstanding_balance),
            sa.func.avg(CUSTOMERS.c.credit_limit),
            sa.func.sum(sa.case((current.c.tier.in_(ALERT_TIERS), 1), else_=0)),
        )
        .select_from(current.join(CUSTOMERS, CUSTOMERS.c.customer_id == current.c.customer_id))
        .where(CUSTOMERS.c.product == product)
    ).one()
    n = int(row[0] or 0)
    return SegmentFigures(
        product=product,
        customers=n,
        mean_risk=float(row[1] or 0.0),
        mean_balance=float(row[2] or 0.0),
        mean_limit=float(row[3] or 0.0),
        high_share=(int(row[4] or 0) / n) if n else 0.0,
    )


def customer_history(
    services: Services, customer_id: str, *, interventions: int = 50, audit_rows: int = 12
) -> CustomerHistory:
    """The customer's interventions with their outcomes, and the audit rows about the
    customer and its interventions."""
    work = INTERVENTIONS.c
    with services.session() as session:
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
