"""Customer Deep Dive: search, profile and exposure, score history, segment comparison (the
customer's interventions and audit trail: see `history`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.core.names import ALERT_TIERS
from pde.frontend.services import access
from pde.frontend.services.base import Services
from pde.frontend.services.cache import Compute, no_cache
from pde.frontend.services.snapshot import Snapshot, current_scores, latest_snapshot
from pde.frontend.services.tables import (
    ASSIGNMENTS,
    CUSTOMERS,
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


def owner_of(session: Session, customer_id: str) -> str | None:
    """The customer's current officer, or None."""
    owner = session.execute(
        sa.select(ASSIGNMENTS.c.officer).where(
            ASSIGNMENTS.c.customer_id == customer_id, ASSIGNMENTS.c.ended_at.is_(None)
        )
    ).scalar_one_or_none()
    return None if owner is None else str(owner)


def check_customer(session: Session, user: access.SignedIn, customer_id: str) -> None:
    """Raises AccessDeniedError unless the user may see and act on the customer."""
    access.refuse_if(access.customer_refusal(user, customer_id, owner_of(session, customer_id)))


def customer_view(
    services: Services, user: access.SignedIn, customer_id: str
) -> CustomerView | None:
    """The customer's page, or None when there is no such customer; AccessDeniedError when
    the user may not see it."""
    with services.session() as session:
        check_customer(session, user, customer_id)
        return read_customer_view(
            session,
            customer_id,
            cache=lambda key, compute: services.cached(key, compute, ttl=SEGMENT_CACHE_S),
        )


def read_profile(session: Session, customer_id: str) -> CustomerProfile | None:
    row = session.execute(
        sa.select(CUSTOMERS).where(CUSTOMERS.c.customer_id == customer_id)
    ).first()
    return None if row is None else _profile(row)


SEGMENT_CACHE_S = 600.0  # the segment's figures change only when scores land (key: snapshot)


def read_customer_view(
    session: Session, customer_id: str, *, cache: Compute = no_cache
) -> CustomerView | None:
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
        segment=cache(
            ("segment", snapshot, profile.product),
            lambda: segment_comparison(session, snapshot, product=profile.product),
        ),
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
