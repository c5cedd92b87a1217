"""A synthetic scored portfolio written through pde.db, for the benchmark and the browser tests.

Customers, users, a champion model version, `days` daily score snapshots (a drifting latent
risk per customer), officer assignments and a few interventions at every stage of the workflow.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from pde.db import migrate, workflow
from pde.db.customers import assign_customer, upsert_customers
from pde.db.engine import session_scope
from pde.db.model_registry import register_model_version
from pde.db.models import (
    InterventionCreate,
    InterventionOutcomeCreate,
    InterventionType,
    ModelStatus,
    ModelVersionCreate,
    OutcomeKind,
    Priority,
    Role,
    UserCreate,
)
from pde.db.scores import ScoreRow, write_scores
from pde.db.users import create_user, set_password

log = logging.getLogger(__name__)

ACTOR = "system:seed"
MODEL_VERSION = "demo-2026.11"
TIERS = ((0.15, "low"), (0.35, "medium"), (0.6, "high"), (1.01, "critical"))
REASONS = (
    "salary_delay_days",
    "savings_drawdown_30d",
    "atm_cash_share_30d",
    "gambling_spend_30d",
    "payday_lender_transfers_30d",
    "late_utility_payments_90d",
    "failed_auto_debits_90d",
    "utilisation",
)
PRODUCTS = ("personal_loan", "credit_card", "mortgage", "auto_loan")
REGIONS = ("north", "south", "east", "west", "central")
INCOMES = ("low", "lower_middle", "middle", "upper_middle", "high")
EMPLOYMENT = ("salaried", "self_employed", "contract", "unemployed", "retired")


@dataclass(frozen=True)
class SeedUser:
    username: str
    full_name: str
    role: Role
    password: str


DEFAULT_PASSWORD = "risk-console-demo"
USERS = (
    SeedUser("admin", "Ada Admin", Role.ADMIN, DEFAULT_PASSWORD),
    SeedUser("sup1", "Sam Supervisor", Role.SUPERVISOR, DEFAULT_PASSWORD),
    SeedUser("off1", "Olivia Officer", Role.OFFICER, DEFAULT_PASSWORD),
    SeedUser("off2", "Omar Officer", Role.OFFICER, DEFAULT_PASSWORD),
)


def _tier(p: float) -> str:
    return next(name for bound, name in TIERS if p < bound)


def _customers(n: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        limit = round(rng.uniform(2_000, 60_000), 2)
        rows.append(
            {
                "customer_id": f"C{i:06d}",
                "open_date": date(2015, 1, 1) + timedelta(days=rng.randrange(3500)),
                "birth_year": rng.randrange(1950, 2004),
                "income_bracket": rng.choice(INCOMES),
                "employment_type": rng.choice(EMPLOYMENT),
                "region": rng.choice(REGIONS),
                "product": rng.choice(PRODUCTS),
                "credit_limit": Decimal(str(limit)),
                "outstanding_balance": Decimal(str(round(limit * rng.uniform(0.05, 0.98), 2))),
                "monthly_obligation": Decimal(str(round(limit * rng.uniform(0.01, 0.05), 2))),
                "declared_income": Decimal(str(round(rng.uniform(1_500, 9_000), 2))),
            }
        )
    return rows


def _scores(
    ids: list[str], *, as_of: date, days_ago: int, rng: random.Random, base: dict[str, float]
) -> list[ScoreRow]:
    rows = []
    for customer_id in ids:
        drift = base[customer_id] * (1 + 0.04 * (rng.random() - 0.3)) + (
            0.012 if days_ago < 7 and customer_id[-1] in "37" else 0.0
        ) * (7 - days_ago)
        p = min(max(drift, 0.001), 0.999)
        reasons = [
            {
                "feature": f,
                "contribution": round(rng.uniform(0.05, 0.9), 3),
                "text": f.replace("_", " "),
            }
            for f in rng.sample(REASONS, 3)
        ]
        rows.append(
            ScoreRow(
                customer_id=customer_id,
                as_of=as_of,
                probability=p,
                tier=_tier(p),
                alert=p >= 0.35,
                model_version=MODEL_VERSION,
                top_reasons=reasons,
            )
        )
    return rows


def seed_portfolio(
    engine: Engine,
    *,
    customers: int,
    days: int = 5,
    day_step: int = 7,
    interventions: int = 40,
    today: date | None = None,
    seed: int = 7,
) -> None:
    """Migrates `engine`'s database and fills it (it must be empty)."""
    rng = random.Random(seed)
    today = today or date.today()
    migrate.upgrade(engine=engine)
    with session_scope(engine=engine) as session:
        for user in USERS:
            create_user(
                session=session,
                data=UserCreate(
                    username=user.username,
                    full_name=user.full_name,
                    role=user.role,
                    password=user.password,
                ),
                actor=ACTOR,
            )
            # Known demo passwords: no forced change at first sign-in.
            set_password(
                session=session, username=user.username, password=user.password, actor=user.username
            )
        register_model_version(
            session=session,
            data=ModelVersionCreate(
                version=MODEL_VERSION,
                status=ModelStatus.CHAMPION,
                description="synthetic demo scores",
            ),
            actor=ACTOR,
        )
        upsert_customers(session=session, records=_customers(customers, rng), actor=ACTOR)
    ids = [f"C{i:06d}" for i in range(customers)]
    base = {cid: min(rng.betavariate(1.3, 6.0), 0.98) for cid in ids}
    for k in reversed(range(days)):
        as_of = today - timedelta(days=k * day_step)
        write_scores(
            rows=_scores(ids, as_of=as_of, days_ago=k * day_step, rng=rng, base=base),
            run_id=f"seed-{as_of.isoformat()}",
            as_of=as_of,
            model_version=MODEL_VERSION,
            engine=engine,
        )
    _assign_and_work(engine, ids=ids, base=base, interventions=interventions, rng=rng)


def _assign_and_work(
    engine: Engine,
    *,
    ids: list[str],
    base: dict[str, float],
    interventions: int,
    rng: random.Random,
) -> None:
    risky = sorted(ids, key=lambda c: -base[c])
    officers = [u.username for u in USERS if u.role == Role.OFFICER]
    with session_scope(engine=engine) as session:
        for i, customer_id in enumerate(risky[: max(interventions * 3, 60)]):
            assign_customer(
                session=session,
                customer_id=customer_id,
                officer=officers[i % len(officers)],
                actor="sup1",
            )
    kinds = list(InterventionType)
    outcomes = list(OutcomeKind)
    for i, customer_id in enumerate(risky[:interventions]):
        with session_scope(engine=engine) as session:
            row = workflow.create_intervention(
                session=session,
                data=InterventionCreate(
                    customer_id=customer_id,
                    type=kinds[i % len(kinds)],
                    priority=[Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM][i % 3],
                    reason="seeded",
                    risk_probability=base[customer_id],
                    model_version=MODEL_VERSION,
                ),
                actor=officers[i % len(officers)],
            )
            assert row.id is not None
            stage = i % 5
            officer = officers[i % len(officers)]
            if stage >= 1:
                workflow.approve(session=session, intervention_id=row.id, actor="sup1")
            if stage >= 2:
                workflow.assign(
                    session=session, intervention_id=row.id, officer=officer, actor="sup1"
                )
            if stage >= 3:
                workflow.start(session=session, intervention_id=row.id, actor=officer)
            if stage >= 4:
                workflow.complete(session=session, intervention_id=row.id, actor=officer)
                workflow.record_outcome(
                    session=session,
                    intervention_id=row.id,
                    data=InterventionOutcomeCreate(outcome=rng.choice(outcomes), note="seeded"),
                    actor=officer,
                )
