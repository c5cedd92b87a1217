"""SQL aggregates of the Risk Overview and the Action Center against plain Python over the rows."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pde.core.names import ALERT_TIERS, RiskTier
from pde.db.engine import session_scope
from pde.frontend.services import Services, queue
from pde.frontend.services import portfolio as overview_service
from pde.frontend.services.catalogue import ACCELERATION_DELTA, LOSS_GIVEN_DEFAULT
from pde.frontend.services.portfolio_kpis import Segment
from pde.frontend.services.snapshot import latest_snapshot
from tests.frontend.conftest import signed_in


def _rows(
    engine: Engine,
) -> tuple[dict[str, tuple[float, str]], dict[str, float], dict[str, float]]:
    with session_scope(engine=engine) as session:
        snap = latest_snapshot(session)
        assert snap is not None and snap.previous is not None
        scores = session.execute(
            sa.text("SELECT customer_id, probability, tier FROM risk_scores WHERE as_of = :d"),
            {"d": snap.as_of},
        ).all()
        previous = session.execute(
            sa.text("SELECT customer_id, probability FROM risk_scores WHERE as_of = :d"),
            {"d": snap.previous},
        ).all()
        balances = session.execute(
            sa.text("SELECT customer_id, outstanding_balance FROM customers")
        ).all()
    return (
        {c: (p, t) for c, p, t in scores},
        {c: p for c, p in previous},
        {c: float(b) for c, b in balances},
    )


def test_portfolio_kpis_match_the_rows(portfolio: tuple[str, Engine], services: Services) -> None:
    scores, _, balances = _rows(portfolio[1])
    k = overview_service.overview(services, None, None, "product").kpis
    assert k.customers == len(balances)
    assert k.scored == len(scores)
    assert k.high_risk == sum(t in ALERT_TIERS for _, t in scores.values())
    assert k.critical == sum(t == RiskTier.CRITICAL for _, t in scores.values())
    assert abs(k.mean_risk - sum(p for p, _ in scores.values()) / len(scores)) < 1e-9
    expected_loss = sum(p * balances[c] for c, (p, _) in scores.items()) * LOSS_GIVEN_DEFAULT
    assert abs(k.expected_loss - expected_loss) < 0.01 * max(expected_loss, 1)


def test_portfolio_segment_filter_narrows_every_figure(services: Services) -> None:
    whole = overview_service.overview(services, None, None, "product")
    product = whole.segments[0].segment
    part = overview_service.overview(services, None, Segment("product", product), "product")
    assert part.kpis.customers < whole.kpis.customers
    assert part.kpis.scored == whole.segments[0].customers
    assert sum(n for _, _, n in part.histogram) == part.kpis.scored
    assert part.rising
    assert all(r.product == product for r in part.rising)


def test_queue_urgency_tiers_follow_tier_and_change(
    portfolio: tuple[str, Engine], services: Services
) -> None:
    scores, previous, _ = _rows(portfolio[1])
    with session_scope(engine=portfolio[1]) as session:
        worked = set(  # customers with open work are not in the queue
            session.execute(
                sa.text(
                    "SELECT customer_id FROM interventions WHERE status IN"
                    " ('recommended', 'approved', 'assigned', 'in_progress')"
                )
            ).scalars()
        )
    assert worked
    expected = {"imminent": 0, "accelerating": 0, "stable": 0}
    for customer, (p, tier) in scores.items():
        if tier not in ALERT_TIERS or customer in worked:
            continue
        delta = p - previous.get(customer, p)
        if tier == RiskTier.CRITICAL:
            expected["imminent"] += 1
        elif delta >= ACCELERATION_DELTA:
            expected["accelerating"] += 1
        else:
            expected["stable"] += 1
    supervisor, officer = signed_in("sup1"), signed_in("off1")
    page = queue.queue_page(services, supervisor, urgency="stable", page=0, page_size=5)
    mine = queue.queue_page(services, officer, urgency="stable", page=0, page_size=500)
    assert page.counts == expected
    assert len(page.rows) == min(5, expected["stable"])
    probabilities = [r.probability for r in page.rows]
    assert probabilities == sorted(probabilities, reverse=True)
    # no stored recommendation for the seeded scores: today's rule with the prior effect
    assert all(
        r.action and r.cost > 0 and r.effect_basis == "prior" and 0 < (r.expected_effect or 0) < 1
        for r in page.rows
    )
    assert 0 < mine.total < page.total
    with session_scope(engine=portfolio[1]) as session:
        owned = {
            c
            for (c,) in session.execute(
                sa.text(
                    "SELECT customer_id FROM customer_assignments"
                    " WHERE officer = 'off1' AND ended_at IS NULL"
                )
            )
        }
    assert {r.customer_id for r in mine.rows} <= owned
