"""Changes through the services layer: the access policy refuses before the workflow runs,
and what is allowed is written, audited, under the signed-in user."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pde.core.errors import PdeError
from pde.core.settings import Settings
from pde.db.engine import make_engine, session_scope
from pde.frontend.seed import seed_portfolio
from pde.frontend.services import Services, actions, work
from pde.frontend.services import jobs as job_service
from pde.frontend.services import models as model_service
from pde.frontend.services import users as user_service
from pde.frontend.services.access import AccessDeniedError
from tests.frontend.conftest import signed_in

CUSTOMER = "C000059"  # a seeded customer


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """A small seeded portfolio of its own: these tests change it."""
    root = tmp_path_factory.mktemp("actions")
    url = f"sqlite:///{root / 'pde.db'}"
    engine = make_engine(url)
    seed_portfolio(engine, customers=60, days=2, interventions=10)
    return Services(settings=Settings(database_url=url, model_dir=root / "models"), engine=engine)


def _audit(services: Services, entity_id: str) -> list[tuple[str, str]]:
    with session_scope(engine=services.engine) as session:
        rows = session.execute(
            sa.text("SELECT actor, action FROM action_audit_log WHERE entity_id = :e ORDER BY id"),
            {"e": entity_id},
        )
        return [(str(a), str(b)) for a, b in rows]


def test_actions_officer_sees_only_own_work(services: Services) -> None:
    mine = work.work_page(services, signed_in("off1"), page=0, page_size=100)
    everyone = work.work_page(services, signed_in("sup1"), page=0, page_size=100)
    assert 0 < mine.total < everyone.total
    assert all("off1" in (r.created_by, r.assigned_to) for r in mine.rows)


def test_actions_approval_needs_another_manager(services: Services) -> None:
    officer, supervisor = signed_in("off1"), signed_in("sup1")
    new_id = actions.create_intervention(
        services, officer, customer_id=CUSTOMER, kind="agent_call", priority="high", reason="late"
    )
    detail = work.intervention_detail(services, officer, new_id)
    assert (detail.status, detail.allowed_actions) == ("recommended", {"cancel"})
    with pytest.raises(AccessDeniedError, match="needs a supervisor or an admin"):
        actions.act(services, officer, action="approve", intervention_id=new_id)
    assert actions.act(services, supervisor, action="approve", intervention_id=new_id) == (
        f"intervention {new_id}: approve done"
    )
    assert _audit(services, str(new_id)) == [
        ("off1", "intervention.create"),
        ("sup1", "intervention.approve"),
    ]


def test_actions_officers_may_not_assign_customers(services: Services) -> None:
    before = _audit(services, CUSTOMER)
    with pytest.raises(AccessDeniedError, match="assign customers"):
        actions.assign_customer(services, signed_in("off2"), customer_id=CUSTOMER, officer="off2")
    assert _audit(services, CUSTOMER) == before
    actions.assign_customer(services, signed_in("sup1"), customer_id=CUSTOMER, officer="off2")
    assert _audit(services, CUSTOMER) == [*before, ("sup1", "customer.assign")]


def test_actions_administration_is_for_admins(services: Services) -> None:
    supervisor, admin = signed_in("sup1"), signed_in("admin")
    with pytest.raises(AccessDeniedError, match="manage users"):
        user_service.list_users(services, supervisor)
    with pytest.raises(AccessDeniedError, match="promote a model"):
        model_service.promote(services, supervisor, "v1")
    with pytest.raises(AccessDeniedError, match="run data and training jobs"):
        job_service.start_retrain(services, supervisor, quick=True)
    names = [u.username for u in user_service.list_users(services, admin)]
    assert names == ["admin", "off1", "off2", "sup1"]
    with pytest.raises(PdeError, match="you cannot deactivate yourself"):
        user_service.toggle_active(services, admin, username="admin")
    assert user_service.toggle_active(services, admin, username="off2") is False
    assert user_service.toggle_active(services, admin, username="off2") is True


def test_actions_planned_interventions_report_each_refusal(services: Services) -> None:
    from pde.frontend.services.impact import PlanItem

    supervisor = signed_in("sup1")
    # not the recommended action, so with a reason; the second is refused by the cool-down
    plan = [PlanItem("C000058", "soft_reminder", "medium", 0.1, reason="prefers texts")] * 2
    report = actions.create_planned(services, supervisor, plan)
    assert len(report.created) == 1
    assert len(report.refused) == 1
    assert report.refused[0].startswith(f"C000058: cool-down: intervention {report.created[0]}")
