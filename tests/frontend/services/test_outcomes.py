"""The 30-day outcome of an intervention closed in the app lands in `treatment_outcomes` (once,
audited, by whom the access policy allows), and the Tracker's success rate and ROI are
`pde.decision.outcomes`': cured within 30 days, against the control group, basis stated."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from pde.core.errors import PdeError
from pde.core.settings import Settings
from pde.db.engine import make_engine, session_scope
from pde.db.models import TreatmentOutcomeCreate
from pde.db.outcomes import add_outcomes
from pde.decision.outcomes import roi
from pde.frontend.seed import seed_portfolio
from pde.frontend.services import Services, actions, effectiveness
from pde.frontend.services.access import AccessDeniedError
from tests.frontend.conftest import signed_in

CUSTOMER = "C000041"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    root = tmp_path_factory.mktemp("outcomes")
    url = f"sqlite:///{root / 'pde.db'}"
    engine = make_engine(url)
    seed_portfolio(engine, customers=60, days=2, interventions=10)
    return Services(settings=Settings(database_url=url, model_dir=root / "models"), engine=engine)


def _started(services: Services) -> int:
    officer, supervisor = signed_in("off1"), signed_in("sup1")
    new_id = actions.create_intervention(
        services, officer, customer_id=CUSTOMER, kind="payment_plan", priority="high", reason="x"
    )
    actions.act(services, supervisor, action="approve", intervention_id=new_id)
    actions.act(services, supervisor, action="assign", intervention_id=new_id, officer="off1")
    actions.act(services, officer, action="start", intervention_id=new_id)
    return new_id


def test_outcomes_closing_records_the_30_day_outcome_once(services: Services) -> None:
    new_id = _started(services)
    with pytest.raises(AccessDeniedError):
        actions.record_cure_outcome(
            services, signed_in("off2"), intervention_id=new_id, outcome="cured"
        )
    with pytest.raises(PdeError, match="one of cured, missed, no_response"):
        actions.record_cure_outcome(
            services, signed_in("off1"), intervention_id=new_id, outcome="paid"
        )
    message = actions.record_cure_outcome(
        services, signed_in("off1"), intervention_id=new_id, outcome="no_response"
    )
    assert message == f"intervention {new_id} closed: no response within 30 days"
    with pytest.raises(PdeError, match="already has its 30-day outcome"):
        actions.record_cure_outcome(
            services, signed_in("off1"), intervention_id=new_id, outcome="cured"
        )
    with session_scope(engine=services.engine) as session:
        stored = session.execute(
            sa.text(
                "SELECT customer_id, action, assignment, reached, outcome, cost, source"
                " FROM treatment_outcomes WHERE assignment_id = :a"
            ),
            {"a": f"app-{new_id}"},
        ).one()
        status = session.execute(
            sa.text("SELECT status FROM interventions WHERE id = :i"), {"i": new_id}
        ).scalar_one()
        audited = session.execute(
            sa.text(
                "SELECT actor FROM action_audit_log WHERE action = 'treatment_outcome.record'"
                " AND entity_id = :i"
            ),
            {"i": str(new_id)},
        ).scalar_one()
    assert tuple(stored) == (
        CUSTOMER,
        "payment_plan",
        "policy",
        False,
        "no_response",
        services.settings.action_costs["payment_plan"],
        "app",
    )
    assert (status, audited) == ("completed", "off1")


def test_outcomes_tracker_roi_subtracts_the_control_group(services: Services) -> None:
    today = date.today()
    rows = [
        TreatmentOutcomeCreate(
            assignment_id=f"t{i}",
            customer_id=CUSTOMER,
            assigned_on=today,
            action="agent_call" if i < 40 else "none",
            assignment="random",
            reached=True,
            outcome="cured" if (i % 2 == 0 if i < 40 else i % 4 == 0) else "missed",
            cost=15.0 if i < 40 else 0.0,
            source="test",
        )
        for i in range(80)
    ]
    with session_scope(engine=services.engine) as session:
        add_outcomes(session=session, rows=rows)
    figures = effectiveness.tracker(services, days=None, kind="agent_call")
    kpis = figures.kpis
    assert kpis.with_outcome == 40 and kpis.success_rate == pytest.approx(0.5)
    assert kpis.control_rate == pytest.approx(0.25)
    with session_scope(engine=services.engine) as session:
        balance = session.execute(
            sa.text("SELECT outstanding_balance FROM customers WHERE customer_id = :c"),
            {"c": CUSTOMER},
        ).scalar_one()
    expected = roi(
        treated_outcomes=["cured"] * 20 + ["missed"] * 20,
        control_outcomes=["cured"] * 10 + ["missed"] * 30,
        cost=600.0,
        exposure=float(balance),
        loss_given_default=services.settings.loss_given_default,
    )
    assert kpis.incremental_cures == pytest.approx(10.0)
    assert kpis.roi == pytest.approx(expected.roi)
    assert "control cure rate" in kpis.basis and "cured within 30 days" in kpis.basis
    arms = {t.type: (t.count, t.succeeded) for t in figures.by_type}
    assert arms == {"agent_call": (40, 20), "none": (40, 10)}


def test_outcomes_an_override_is_checked_against_the_stored_recommendation(
    services: Services,
) -> None:
    from pde.frontend.services.impact import PlanItem
    from pde.frontend.services.recommendations import recommended_for

    customer = "C000052"
    with session_scope(engine=services.engine) as session:
        recommended = recommended_for(session, customer)
    assert recommended  # today's by-product rule: no stored recommendation for the seed
    other = "financial_counselling" if recommended != "financial_counselling" else "agent_call"
    # a page that claims the chosen action was the recommended one is not believed
    forged = PlanItem(customer, other, "high", 0.3, recommended=other, reason=None)
    report = actions.create_planned(services, signed_in("sup1"), [forged])
    assert report.created == () and "give a reason" in report.refused[0]
    honest = PlanItem(customer, other, "high", 0.3, recommended=recommended, reason="asked")
    [created] = actions.create_planned(services, signed_in("sup1"), [honest]).created
    with session_scope(engine=services.engine) as session:
        after = session.execute(
            sa.text(
                "SELECT after FROM action_audit_log WHERE action = 'recommendation.override'"
                " AND entity_id = :c"
            ),
            {"c": customer},
        ).scalar_one()
    shown = json.loads(after) if isinstance(after, str) else after
    assert shown == {"chosen": other, "reason": "asked", "intervention": created}


def test_outcomes_a_customer_page_intervention_off_the_recommendation_needs_a_reason(
    services: Services,
) -> None:
    from pde.frontend.services.recommendations import recommended_for

    customer, supervisor = "C000047", signed_in("sup1")
    with session_scope(engine=services.engine) as session:
        recommended = recommended_for(session, customer)
    other = "restructuring" if recommended != "restructuring" else "agent_call"
    with pytest.raises(PdeError, match="give a reason"):
        actions.create_intervention(
            services, supervisor, customer_id=customer, kind=other, priority="high", reason=" "
        )
    assert actions.create_intervention(
        services, supervisor, customer_id=customer, kind=recommended, priority="high", reason=None
    )
    new_id = actions.create_intervention(
        services, supervisor, customer_id=customer, kind=other, priority="high", reason="asked"
    )
    with session_scope(engine=services.engine) as session:
        rows = session.execute(
            sa.text(
                "SELECT after FROM action_audit_log WHERE action = 'recommendation.override'"
                " AND entity_id = :c"
            ),
            {"c": customer},
        ).all()
    [after] = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]
    assert after == {"chosen": other, "reason": "asked", "intervention": new_id}


def test_outcomes_a_held_out_customer_is_not_contacted(services: Services) -> None:
    from pde.db.models import RecommendationCreate
    from pde.db.recommendations import save_recommendations
    from pde.frontend.services.impact import PlanItem
    from pde.frontend.services.snapshot import latest_snapshot

    customer = "C000044"
    with session_scope(engine=services.engine) as session:
        snapshot = latest_snapshot(session)
        assert snapshot is not None
        held = RecommendationCreate(
            customer_id=customer,
            as_of=snapshot.as_of,
            model_version=snapshot.model_version,
            action="agent_call",
            expected_effect=0.1,
            net_benefit=400.0,
            effect_basis="learned",
            why="agent call: salary late or missing; held out as control this week",
            held_out=True,
        )
        save_recommendations(session=session, as_of=snapshot.as_of, rows=[held])
    plan = [PlanItem(customer, "agent_call", "high", 0.3)]
    report = actions.create_planned(services, signed_in("sup1"), plan)
    assert report.created == () and "held out as this week's control group" in report.refused[0]
    with pytest.raises(PdeError, match="control group"):
        actions.create_intervention(
            services,
            signed_in("sup1"),
            customer_id=customer,
            kind="agent_call",
            priority="high",
            reason="asked",
        )
