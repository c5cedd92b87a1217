"""The officers' casework in a real (headless) Chromium: the Deep Dive's call panel (money
facts from the data, contact preferences, a promise kept by a payment), the Team page and
bulk assignment, and the Monitor's largest score moves and trigger events."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from sqlalchemy.engine import Engine

from pde.db.engine import session_scope
from pde.db.types import utc_now
from pde.frontend.components import money
from pde.frontend.services import Services
from tests.frontend.browser import click, screenshot, sign_in, wait_for
from tests.frontend.casework_data import write_call_data
from tests.frontend.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
OPEN = "('recommended', 'approved', 'assigned', 'in_progress')"


@dataclass(frozen=True)
class CallData:
    first: str  # off1's, with open work, salary stopped and an auto-debit failed
    second: str  # off2's, a payment missed
    data_dir: Path


def _owned_with_open_work(engine: Engine, officer: str) -> str:
    with session_scope(engine=engine) as session:
        return str(
            session.execute(
                sa.text(
                    "SELECT a.customer_id FROM customer_assignments a WHERE a.officer = :o AND"
                    " a.ended_at IS NULL AND EXISTS (SELECT 1 FROM interventions i WHERE"
                    f" i.customer_id = a.customer_id AND i.status IN {OPEN})"
                    " ORDER BY a.customer_id LIMIT 1"
                ),
                {"o": officer},
            ).scalar_one()
        )


@pytest.fixture(scope="module")
def call_data(
    dash_app: Any, portfolio: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CallData]:
    """The shared app reading a data directory written around today for two customers."""
    engine = portfolio[1]
    first, second = _owned_with_open_work(engine, "off1"), _owned_with_open_work(engine, "off2")
    data_dir = write_call_data(
        tmp_path_factory.mktemp("call") / "data", today=utc_now().date(), first=first, second=second
    )
    services: Services = dash_app.server.extensions["pde_services"]
    saved = services.settings
    services.settings = saved.model_copy(update={"data_dir": data_dir})
    yield CallData(first, second, data_dir)
    services.settings = saved


def test_casework_deep_dive_call_panel(
    browser: Any, app_url: str, call_data: CallData, portfolio: tuple[str, Engine], dash_app: Any
) -> None:
    engine = portfolio[1]
    sign_in(browser, app_url, "off1")
    browser.get(f"{app_url}/customer?id={call_data.first}")
    wait_for(browser, "#dd-payments", text="8 days")
    assert "1 failed auto-debit(s)" in wait_for(browser, "#dd-debits").text
    assert "Salary arrivals:" in browser.find_element(By.ID, "dd-salaries").text
    assert "loan repayment" in browser.find_element(By.ID, "dd-timeline").text
    insights = browser.find_element(By.ID, "dd-insights").text
    assert "No salary for 40 days" in insights and "gambling" in insights
    assert wait_for(browser, "#dd-radar .main-svg")  # the radar against the segment, drawn
    settings = dash_app.server.extensions["pde_services"].settings
    with session_scope(engine=engine) as session:
        probability = session.execute(
            sa.text(
                "SELECT probability FROM risk_scores WHERE customer_id = :c"
                " AND as_of = (SELECT max(as_of) FROM risk_scores)"
            ),
            {"c": call_data.first},
        ).scalar_one()
    expected = probability * settings.exposure_amount * settings.loss_given_default
    shown = browser.find_element(By.ID, "dd-worth").text
    assert money(expected).replace("\xa0", " ") in shown  # the browser shows a plain space

    # Contact preferences: the owner saves them; the flags show at the top; audited.
    Select(browser.find_element(By.ID, "dd-contact-channel")).select_by_value("sms")
    box = browser.find_element(By.CSS_SELECTOR, "#dd-contact-flags input[value='do_not_contact']")
    browser.execute_script("arguments[0].click();", box)
    click(browser, "#dd-contact-save")
    wait_for(browser, "#dd-contact-ok")
    wait_for(browser, "#dd-flags", text="Do not contact")
    with session_scope(engine=engine) as session:
        audited = session.execute(
            sa.text(
                "SELECT actor FROM action_audit_log WHERE action = 'customer.contact_preferences'"
                " AND entity_id = :c"
            ),
            {"c": call_data.first},
        ).all()
        stored = session.execute(
            sa.text(
                "SELECT channel, do_not_contact FROM contact_preferences WHERE customer_id = :c"
            ),
            {"c": call_data.first},
        ).one()
    assert audited == [("off1",)] and (stored[0], bool(stored[1])) == ("sms", True)

    # A promise to pay by tomorrow; the payment of today in the data covers it: kept.
    tomorrow = utc_now().date().toordinal() + 1
    from datetime import date

    due = date.fromordinal(tomorrow)
    field = wait_for(browser, "#dd-promise-date")
    field.send_keys(due.strftime("%m%d%Y"))
    browser.find_element(By.ID, "dd-promise-amount").send_keys("100")
    click(browser, "#dd-promise-save")
    wait_for(browser, "#dd-promise-ok")
    wait_for(browser, "#dd-promises", text="kept")
    with session_scope(engine=engine) as session:
        promise = session.execute(
            sa.text(
                "SELECT due_date, amount, status, recorded_by FROM promises_to_pay"
                " WHERE customer_id = :c"
            ),
            {"c": call_data.first},
        ).one()
    assert (str(promise[0]), float(promise[1]), promise[2], promise[3]) == (
        due.isoformat(),
        100.0,
        "kept",
        "off1",
    )
    screenshot(browser, ARTIFACTS, "deep-dive-call")

    # Another officer cannot open the customer at all.
    sign_in(browser, app_url, "off2")
    browser.get(f"{app_url}/customer?id={call_data.first}")
    wait_for(browser, "#dd-forbidden")


def test_casework_team_page_and_bulk_assignment(
    browser: Any, app_url: str, portfolio: tuple[str, Engine]
) -> None:
    sign_in(browser, app_url, "off1")
    assert not browser.find_elements(By.ID, "nav-team")
    browser.get(app_url + "/team")
    wait_for(browser, "#tm-forbidden")

    sign_in(browser, app_url, "sup1")
    wait_for(browser, "#nav-team")
    browser.get(app_url + "/team")
    table = wait_for(browser, "#tm-table")
    assert browser.find_elements(By.ID, "tm-officer-off1") and browser.find_elements(
        By.ID, "tm-officer-off2"
    )
    assert "Capacity left" in table.text
    with session_scope(engine=portfolio[1]) as session:
        free = [
            str(c)
            for (c,) in session.execute(
                sa.text(
                    "SELECT s.customer_id FROM risk_scores s WHERE s.alert AND s.as_of ="
                    " (SELECT max(as_of) FROM risk_scores) AND NOT EXISTS (SELECT 1 FROM"
                    " interventions i WHERE i.customer_id = s.customer_id AND i.status IN"
                    f" {OPEN}) ORDER BY s.probability, s.customer_id LIMIT 2"
                )
            )
        ]
    assert len(free) == 2
    click(browser, "#tm-select")  # opens the list, with a search box
    for customer in free:
        search = wait_for(browser, ".dash-dropdown-content input.dash-dropdown-search")
        search.clear()
        search.send_keys(customer)
        click(browser, f".dash-dropdown-option:has(input[value='{customer}'])")
    search.send_keys(Keys.ESCAPE)
    wait_for(browser, "#tm-select", text=free[0])
    click(browser, "#tm-assign")
    done = wait_for(browser, "#tm-ok")
    assert "Assigned 2 customer(s)" in done.text
    with session_scope(engine=portfolio[1]) as session:
        owners = dict(
            session.execute(
                sa.text(
                    "SELECT customer_id, officer FROM customer_assignments WHERE ended_at IS NULL"
                    " AND customer_id IN (:a, :b)"
                ),
                {"a": free[0], "b": free[1]},
            ).all()
        )
    assert set(owners) == set(free) and set(owners.values()) <= {"off1", "off2"}
    screenshot(browser, ARTIFACTS, "team")


def _moves(driver: Any) -> list[float]:
    found = []
    for row in driver.find_elements(By.CSS_SELECTOR, "#mo-changes tbody tr"):
        match = re.search(r"([+-]\d+\.\d) pts", row.text)
        if match:
            found.append(abs(float(match.group(1))))
    return found


def test_casework_monitor_moves_and_triggers(
    browser: Any, app_url: str, call_data: CallData
) -> None:
    sign_in(browser, app_url, "off1")
    browser.get(app_url + "/monitor")
    triggers = wait_for(browser, "#mo-triggers", text=call_data.first)
    assert "Auto-debit failed" in triggers.text and call_data.second not in triggers.text
    moves = _moves(browser)
    assert len(moves) > 1 and moves == sorted(moves, reverse=True)
    sign_in(browser, app_url, "sup1")
    browser.get(app_url + "/monitor")
    everyone = wait_for(browser, "#mo-triggers", text=call_data.second)
    assert "Payment missed" in everyone.text
    assert everyone.text.count(call_data.first) == 1  # raised once, however often read
    screenshot(browser, ARTIFACTS, "monitor-triggers")


def test_casework_deep_dive_tables_download_in_scope_and_audited(
    browser: Any, app_url: str, call_data: CallData, portfolio: tuple[str, Engine], dash_app: Any
) -> None:
    from pde.frontend.services.activity import call_facts
    from tests.frontend.downloads import csv_rows, exports_audited, fetch

    engine = portfolio[1]
    facts = call_facts(call_data.data_dir, call_data.first, whole=True)
    assert facts is not None
    sign_in(browser, app_url, "off1")
    browser.get(f"{app_url}/customer?id={call_data.first}")
    link = wait_for(browser, "#export-customer-payments-csv")
    assert link.get_attribute("href").endswith(
        f"/export/customer-payments.csv?id={call_data.first}"
    )
    status, kind, body = fetch(browser, link.get_attribute("href"))
    assert status == 200 and kind.startswith("text/csv")
    payments = csv_rows(body)
    assert [r["Due"] for r in payments] == [p.due_date.isoformat() for p in facts.payments]
    assert [r["Days past due"] for r in payments] == [
        "" if p.days_past_due is None else str(p.days_past_due) for p in facts.payments
    ]
    status, _, body = fetch(
        browser, f"{app_url}/export/customer-timeline.xlsx?id={call_data.first}"
    )
    assert status == 200 and body
    status, _, body = fetch(
        browser, f"{app_url}/export/customer-interventions.csv?id={call_data.first}"
    )
    assert status == 200 and csv_rows(body), "the customer has open work"
    # another officer's customer, and a customer table without a customer
    status, _, _ = fetch(browser, f"{app_url}/export/customer-payments.csv?id={call_data.second}")
    assert status == 403
    status, _, body = fetch(browser, f"{app_url}/export/customer-payments.csv")
    assert status == 400 and b"?id=" in body
    assert exports_audited(engine, "off1")[-3:] == [
        f"customer-payments-{call_data.first}",
        f"customer-timeline-{call_data.first}",
        f"customer-interventions-{call_data.first}",
    ]
