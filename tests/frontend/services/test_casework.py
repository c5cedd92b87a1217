"""Casework through the services: the call panel's facts from the data, contact preferences
and promises under the access policy, promise settlement by date, trigger events once a day,
the queue without open work, score changes by size, the team view and bulk assignment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from pde.core.settings import Settings
from pde.db.engine import make_engine, session_scope
from pde.db.models.casework import PromiseStatus, TriggerKind
from pde.db.types import utc_now
from pde.frontend.seed import seed_portfolio
from pde.frontend.services import Services, casework, insights, monitor, queue, team, triggers
from pde.frontend.services.access import AccessDeniedError
from pde.frontend.services.activity import call_facts, days_past_due
from pde.jobs.casework import detect_triggers
from tests.frontend.casework_data import COVERING_PAYMENT, write_call_data
from tests.frontend.conftest import signed_in

TODAY = utc_now().date()


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """A small seeded portfolio of its own (these tests change it) and call data for one
    customer of off1's and one of off2's."""
    root = tmp_path_factory.mktemp("casework")
    url = f"sqlite:///{root / 'pde.db'}"
    engine = make_engine(url)
    seed_portfolio(engine, customers=60, days=3, interventions=10)
    first, second = _owned(engine, "off1"), _owned(engine, "off2")
    data = write_call_data(root / "data", today=TODAY, first=first, second=second)
    settings = Settings(database_url=url, model_dir=root / "models", data_dir=data)
    return Services(settings=settings, engine=engine)


def _owned(engine: sa.Engine, officer: str) -> str:
    with session_scope(engine=engine) as session:
        return str(
            session.execute(
                sa.text(
                    "SELECT a.customer_id FROM customer_assignments a WHERE a.officer = :o"
                    " AND a.ended_at IS NULL AND EXISTS (SELECT 1 FROM interventions i"
                    " WHERE i.customer_id = a.customer_id AND i.status IN"
                    " ('recommended', 'approved', 'assigned', 'in_progress'))"
                    " ORDER BY a.customer_id LIMIT 1"
                ),
                {"o": officer},
            ).scalar_one()
        )


def test_casework_days_past_due() -> None:
    due = date(2026, 3, 10)
    assert days_past_due(due, date(2026, 3, 8), data_end=date(2026, 4, 1)) == 0
    assert days_past_due(due, date(2026, 3, 18), data_end=date(2026, 4, 1)) == 8
    assert days_past_due(due, None, data_end=date(2026, 3, 15)) == 5
    assert days_past_due(due, None, data_end=date(2026, 3, 9)) is None


def test_casework_call_panel_reads_the_customers_money(services: Services) -> None:
    first = _owned(services.engine, "off1")
    facts = call_facts(services.settings.data_dir, first)
    assert facts is not None and facts.data_end == TODAY
    assert [p.days_past_due for p in facts.payments] == [0, 3, 8]  # newest due first
    assert [p.due_date for p in facts.failed_debits] == [TODAY - timedelta(days=3)]
    assert [d for d, _ in facts.salaries] == [TODAY - timedelta(days=40), TODAY - timedelta(70)]
    assert facts.timeline[0].category == "loan_repayment"
    panel = casework.call_panel(services, signed_in("off1"), first)
    assert panel.facts == facts and panel.open_interventions
    assert panel.contact.editable and not panel.contact.do_not_contact
    assert not casework.call_panel(services, signed_in("admin"), first).contact.editable
    with pytest.raises(AccessDeniedError):
        casework.call_panel(services, signed_in("off2"), first)


def test_casework_contact_preferences_follow_the_access_policy(services: Services) -> None:
    first = _owned(services.engine, "off1")
    form = {"channel": "sms", "best_time": "evening", "note": "after 6 pm"}
    casework.save_contact(
        services,
        signed_in("off1"),
        customer_id=first,
        do_not_contact=True,
        vulnerable=True,
        **form,
    )
    for who in ("off2", "admin"):
        with pytest.raises(AccessDeniedError):
            casework.save_contact(
                services,
                signed_in(who),
                customer_id=first,
                do_not_contact=False,
                vulnerable=False,
                **form,
            )
    casework.save_contact(  # a supervisor may too
        services,
        signed_in("sup1"),
        customer_id=first,
        do_not_contact=True,
        vulnerable=True,
        **form,
    )
    with pytest.raises(ValueError, match="from the lists"):
        casework.save_contact(
            services,
            signed_in("sup1"),
            customer_id=first,
            do_not_contact=False,
            vulnerable=False,
            channel="pigeon",
            best_time="any",
            note=None,
        )
    contact = casework.call_panel(services, signed_in("sup1"), first).contact
    assert (contact.channel, contact.do_not_contact, contact.vulnerable, contact.updated_by) == (
        "sms",
        True,
        True,
        "sup1",
    )


def test_casework_promises_are_settled_by_the_datas_payments(services: Services) -> None:
    first, second = _owned(services.engine, "off1"), _owned(services.engine, "off2")
    panel = casework.call_panel(services, signed_in("off1"), first)
    work = panel.open_interventions[0]
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(ValueError, match="must be a date"):
        casework.record_promise(
            services, signed_in("off1"), intervention_id=work, due_date="soon", amount=5
        )
    for bad, message in (("-5", "above zero"), ("lots", "must be a number")):
        with pytest.raises(ValueError, match=message):
            casework.record_promise(
                services, signed_in("off1"), intervention_id=work, due_date=tomorrow, amount=bad
            )
    with pytest.raises(AccessDeniedError):
        casework.record_promise(
            services, signed_in("off2"), intervention_id=work, due_date=tomorrow, amount=10
        )
    kept = casework.record_promise(
        services,
        signed_in("off1"),
        intervention_id=work,
        due_date=tomorrow,
        amount=COVERING_PAYMENT - 1,
    )
    other = casework.call_panel(services, signed_in("off2"), second).open_interventions[0]
    broken = casework.record_promise(
        services, signed_in("off2"), intervention_id=other, due_date=tomorrow, amount="40"
    )
    # The data ends today: the second customer has paid nothing, but the data has not
    # reached the promised date yet, whatever the clock says.
    counts = casework.settle_promises(services, today=TODAY + timedelta(days=30))
    assert counts == {PromiseStatus.KEPT: 1, PromiseStatus.BROKEN: 0}
    later = services.settings.data_dir / "transactions.parquet"
    import polars as pl

    frame = pl.read_parquet(later)
    moved = frame.with_columns(pl.col("timestamp") + pl.duration(days=2))
    moved.write_parquet(later)  # the data now runs two days further
    try:
        counts = casework.settle_promises(services, today=TODAY + timedelta(days=30))
        assert counts == {PromiseStatus.KEPT: 0, PromiseStatus.BROKEN: 1}
        assert casework.settle_promises(services, today=TODAY + timedelta(days=31)) == {
            PromiseStatus.KEPT: 0,
            PromiseStatus.BROKEN: 0,
        }
    finally:
        frame.write_parquet(later)
    statuses = {
        p.id: p.status for p in casework.call_panel(services, signed_in("sup1"), first).promises
    }
    statuses |= {
        p.id: p.status for p in casework.call_panel(services, signed_in("sup1"), second).promises
    }
    assert (statuses[kept], statuses[broken]) == ("kept", "broken")


def test_casework_triggers_are_raised_once_a_day_and_scoped(services: Services) -> None:
    first, second = _owned(services.engine, "off1"), _owned(services.engine, "off2")
    found = {t.customer_id: t for t in detect_triggers(services.settings.data_dir)}
    assert found[first].kind == TriggerKind.AUTO_DEBIT_FAILED
    assert "no salary for 40 days" in found[first].detail
    assert found[second].kind == TriggerKind.PAYMENT_MISSED
    assert {t.day for t in found.values()} == {TODAY}
    import polars as pl

    payments = services.settings.data_dir / "payments.parquet"
    frame = pl.read_parquet(payments)
    stranger = frame.filter(pl.col("obligation_id") == "P2").with_columns(
        pl.lit("NOT-IN-DB").alias("customer_id"), pl.lit("P9").alias("obligation_id")
    )
    pl.concat([frame, stranger]).write_parquet(payments)
    try:
        assert "NOT-IN-DB" in {t.customer_id for t in detect_triggers(services.settings.data_dir)}
        assert triggers.raise_from_data(services) == 2  # not the customer the database lacks
    finally:
        frame.write_parquet(payments)
    services._cache.clear()
    assert triggers.raise_from_data(services) == 0  # same data, same day: nothing new
    mine = triggers.recent(services, signed_in("off1"))
    assert [(t.customer_id, t.label) for t in mine] == [(first, "Auto-debit failed")]
    assert {t.customer_id for t in triggers.recent(services, signed_in("sup1"))} == {
        first,
        second,
    }


def test_casework_queue_leaves_out_customers_with_open_work(services: Services) -> None:
    with session_scope(engine=services.engine) as session:
        busy = set(
            session.execute(
                sa.text(
                    "SELECT customer_id FROM interventions WHERE status IN"
                    " ('recommended', 'approved', 'assigned', 'in_progress')"
                )
            ).scalars()
        )
    shown: set[str] = set()
    for urgency in queue.URGENCIES:
        page = queue.queue_page(services, signed_in("sup1"), urgency=urgency, page=0, page_size=500)
        shown |= {r.customer_id for r in page.rows}
    assert busy and shown and not shown & busy


def test_casework_score_changes_are_largest_moves_first(services: Services) -> None:
    feed = monitor.feed(services, signed_in("sup1"))
    moves = [abs(c.probability - c.previous) for c in feed.changes if c.previous is not None]
    assert len(moves) == len(feed.changes) > 1
    assert moves == sorted(moves, reverse=True)
    with session_scope(engine=services.engine) as session:
        biggest = session.execute(
            sa.text(
                "SELECT max(abs(a.probability - b.probability)) FROM risk_scores a JOIN"
                " risk_scores b ON a.customer_id = b.customer_id AND b.as_of = (SELECT"
                " max(as_of) FROM risk_scores c WHERE c.customer_id = a.customer_id AND"
                " c.as_of < a.as_of) WHERE a.as_of = (SELECT max(as_of) FROM risk_scores)"
            )
        ).scalar_one()
    assert moves[0] == pytest.approx(biggest)


def test_casework_plan_assignment_balances_by_capacity() -> None:
    plan = team.plan_assignment(["a", "b", "c", "d", "e"], {"x": 3, "y": 1, "z": 0})
    counts = {o: list(plan.values()).count(o) for o in ("x", "y", "z")}
    # x takes customers until level with y, then with z; all level, ties go by name.
    assert plan == {"a": "x", "b": "x", "c": "x", "d": "y", "e": "x"}
    left = {"x": 3 - counts["x"], "y": 1 - counts["y"], "z": 0 - counts["z"]}
    assert max(left.values()) - min(left.values()) <= 1
    with pytest.raises(ValueError, match="no officer"):
        team.plan_assignment(["a"], {})


def test_casework_team_view_and_bulk_assignment(services: Services) -> None:
    with pytest.raises(AccessDeniedError):
        team.team(services, signed_in("off1"))
    with pytest.raises(AccessDeniedError):
        team.bulk_assign(services, signed_in("off1"), ["C000001"])
    before = {o.username: o for o in team.team(services, signed_in("sup1"))}
    assert set(before) == {"off1", "off2"}
    assert sum(o.open_work for o in before.values()) > 0
    chosen = [c.customer_id for c in team.choices(services, signed_in("sup1"))][:6]
    assert len(chosen) == 6
    plan = team.bulk_assign(services, signed_in("sup1"), chosen)
    now = {c.customer_id: c.officer for c in team.choices(services, signed_in("admin"))}
    assert plan == {c: now[c] for c in chosen}
    assert len(set(plan.values())) > 1  # spread, not all to one officer
    expected = team.plan_assignment(chosen, {n: o.capacity_left for n, o in before.items()})
    assert plan == expected


def test_casework_worth_follows_the_exposure_setting(services: Services) -> None:
    from pde.frontend.services.customer import customer_view

    first = _owned(services.engine, "off1")
    view = customer_view(services, signed_in("off1"), first)
    assert view is not None and view.score is not None
    p, profile = view.score.probability, view.profile
    for source, exposure in (
        ("fixed", 10_000.0),
        ("outstanding_balance", profile.outstanding_balance),
        ("credit_limit", profile.credit_limit),
    ):
        settings = services.settings.model_copy(
            update={"exposure_source": source, "exposure_amount": 10_000.0}
        )
        found = insights.worth(settings, profile, p)
        assert found.exposure == exposure
        assert found.expected_loss == pytest.approx(p * exposure * settings.loss_given_default)
        assert found.expected_income == pytest.approx(
            (1 - p) * profile.outstanding_balance * settings.income_rate
        )


def test_casework_signals_and_behaviour_in_words(services: Services) -> None:
    from pde.frontend.services.customer import customer_view

    first = _owned(services.engine, "off1")
    view = customer_view(services, signed_in("off1"), first)
    assert view is not None
    found = {s.name: s for s in insights.signals(services, signed_in("off1"), view)}
    assert set(found) == {"30-day risk", "Utilisation", "Payment burden", "Balance"}
    assert found["30-day risk"].customer == view.score.probability  # type: ignore[union-attr]
    with session_scope(engine=services.engine) as session:
        mean = session.execute(
            sa.text(
                "SELECT avg(s.probability) FROM risk_scores s JOIN customers c ON"
                " c.customer_id = s.customer_id WHERE c.product = :p AND s.as_of ="
                " (SELECT max(as_of) FROM risk_scores)"
            ),
            {"p": view.profile.product},
        ).scalar_one()
    assert found["30-day risk"].segment == pytest.approx(mean)
    assert found["30-day risk"].relative == pytest.approx(
        min(view.score.probability / mean, insights.RADAR_CAP)  # type: ignore[union-attr]
    )
    words = insights.behaviour(view, call_facts(services.settings.data_dir, first), ())
    text = " ".join(words)
    assert "No salary for 40 days" in text
    assert "1 auto-debit failed in the last 90 days." in words
    assert "1 of the last 3 payments were late (up to 8 days)." in words
    assert "Spent 80 on gambling in the last 30 days." in words


def test_casework_team_view_counts_the_open_work(services: Services) -> None:
    now = utc_now()
    with session_scope(engine=services.engine) as session:
        rows = session.execute(
            sa.text(
                "SELECT assigned_to, created_at, sla_due_at FROM interventions WHERE status IN"
                " ('recommended', 'approved', 'assigned', 'in_progress')"
                " AND assigned_to IS NOT NULL"
            )
        ).all()
    loads = {o.username: o for o in team.team(services, signed_in("sup1"))}
    for name, load in loads.items():
        mine = [r for r in rows if r[0] == name]
        assert load.open_work == len(mine)
        assert load.capacity_left == services.settings.contacts_per_officer - len(mine)
        due = [datetime.fromisoformat(str(r[2])).replace(tzinfo=UTC) for r in mine]
        assert load.overdue == sum(d < now for d in due)
        if mine:
            assert load.oldest_hours is not None and load.oldest_hours > 0
    assert sum(o.open_work for o in loads.values()) == len([r for r in rows if r[0] in loads])
