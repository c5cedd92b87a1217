"""Deep Dive seed items: what the customer is worth at risk (expected loss and income), their
key signals against the segment's average (a radar), and their behaviour in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from pde.core.settings import Settings
from pde.frontend.services import access
from pde.frontend.services.activity import CallFacts
from pde.frontend.services.base import Services
from pde.frontend.services.customer import CustomerProfile, CustomerView, check_customer
from pde.frontend.services.snapshot import Snapshot, current_scores
from pde.frontend.services.tables import CUSTOMERS

MEANS_TTL_S = 300.0
RADAR_CAP = 3.0  # a signal at three times the segment's average or more is drawn at 3
LATE_DAYS = 5  # a payment more than this late counts as late in the insights
SALARY_GAP_DAYS = 35  # no salary for longer than this: "salary missed"


@dataclass(frozen=True)
class Worth:
    exposure: float
    expected_loss: float  # probability x exposure x loss given default
    expected_income: float  # (1 - probability) x balance x yearly income rate


@dataclass(frozen=True)
class Signal:
    name: str
    customer: float
    segment: float

    @property
    def relative(self) -> float:
        """The customer's value in units of the segment's average (1 = average)."""
        if self.segment <= 0:
            return 0.0 if self.customer <= 0 else RADAR_CAP
        return min(self.customer / self.segment, RADAR_CAP)


def exposure_of(settings: Settings, profile: CustomerProfile) -> float:
    """The exposure at default the alert policy uses (PDE_EXPOSURE_SOURCE)."""
    if settings.exposure_source == "outstanding_balance":
        return profile.outstanding_balance
    if settings.exposure_source == "credit_limit":
        return profile.credit_limit
    return settings.exposure_amount


def worth(settings: Settings, profile: CustomerProfile, probability: float) -> Worth:
    exposure = exposure_of(settings, profile)
    return Worth(
        exposure=exposure,
        expected_loss=probability * exposure * settings.loss_given_default,
        expected_income=(1 - probability) * profile.outstanding_balance * settings.income_rate,
    )


def _ratio(a: float, b: float | None) -> float:
    return a / b if b else 0.0


def signals(services: Services, user: access.SignedIn, view: CustomerView) -> tuple[Signal, ...]:
    """Risk, utilisation, payment burden and balance: the customer's and the segment's mean."""
    if view.snapshot is None or view.score is None:
        return ()
    snapshot, product = view.snapshot, view.profile.product
    with services.session() as session:
        check_customer(session, user, view.profile.customer_id)
        means: tuple[float, ...] = services.cached(  # a portfolio aggregate per scoring date
            ("segment_means", snapshot, product),
            lambda: _segment_means(session, snapshot, product),
            ttl=MEANS_TTL_S,
        )
    p = view.profile
    return (
        Signal("30-day risk", view.score.probability, means[0]),
        Signal("Utilisation", _ratio(p.outstanding_balance, p.credit_limit), means[1]),
        Signal("Payment burden", _ratio(p.monthly_obligation, p.declared_income), means[2]),
        Signal("Balance", p.outstanding_balance, means[3]),
    )


def _segment_means(session: Session, snapshot: Snapshot, product: str) -> tuple[float, ...]:
    current = current_scores(snapshot)
    c = CUSTOMERS.c
    utilisation = sa.case((c.credit_limit > 0, c.outstanding_balance / c.credit_limit))
    burden = sa.case((c.declared_income > 0, c.monthly_obligation / c.declared_income))
    row = session.execute(
        sa.select(
            sa.func.avg(current.c.probability),
            sa.func.avg(utilisation),
            sa.func.avg(burden),
            sa.func.avg(c.outstanding_balance),
        )
        .select_from(current.join(CUSTOMERS, c.customer_id == current.c.customer_id))
        .where(c.product == product)
    ).one()
    return tuple(float(v or 0.0) for v in row)


def behaviour(view: CustomerView, facts: CallFacts | None, found: tuple[Signal, ...]) -> list[str]:
    """What stands out about the customer, in plain words, most telling first."""
    lines: list[str] = []
    if facts is not None:
        lines += _payment_words(facts)
    if len(view.history) >= 2:
        change = (view.history[-1][1] - view.history[-2][1]) * 100
        if abs(change) >= 1:
            way = "rose" if change > 0 else "fell"
            lines.append(f"Risk {way} {abs(change):.1f} points since the previous score.")
    for signal in found:
        if signal.name == "Utilisation" and signal.segment and signal.customer > signal.segment:
            lines.append(
                f"Uses {signal.customer:.0%} of the credit limit; the segment averages"
                f" {signal.segment:.0%}."
            )
        if signal.name == "Payment burden" and signal.customer >= 0.4:
            lines.append(f"Repayments take {signal.customer:.0%} of the declared income.")
    return lines or ["Nothing unusual in the recent data."]


def _payment_words(facts: CallFacts) -> list[str]:
    lines = []
    if facts.salaries:
        last = facts.salaries[0][0]
        gap = (facts.data_end - last).days
        if gap > SALARY_GAP_DAYS:
            lines.append(f"No salary for {gap} days (last on {last:%d %b %Y}).")
        else:
            lines.append(f"Salary arrives regularly; the last on {last:%d %b %Y}.")
    else:
        lines.append("No salary seen in the data.")
    if facts.failed_debits:
        n = len(facts.failed_debits)
        lines.append(f"{n} auto-debit{'s' if n > 1 else ''} failed in the last 90 days.")
    late = [p for p in facts.payments if (p.days_past_due or 0) > LATE_DAYS]
    if late:
        worst = max(p.days_past_due or 0 for p in late)
        lines.append(
            f"{len(late)} of the last {len(facts.payments)} payments were late"
            f" (up to {worst} days)."
        )
    recent = facts.data_end - timedelta(days=30)
    gambling = sum(
        -t.amount for t in facts.timeline if t.category == "gambling" and t.at.date() > recent
    )
    if gambling > 0:
        lines.append(f"Spent {gambling:,.0f} on gambling in the last 30 days.")
    return lines
