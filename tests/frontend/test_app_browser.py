"""The app in a real (headless) Chromium: sign-in, every page, and an intervention's life."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from sqlalchemy.engine import Engine

from pde.core.settings import Settings
from pde.db.audit import verify_chain
from pde.db.engine import session_scope
from pde.frontend.services.catalogue import ACTIONS
from tests.frontend.browser import (
    click,
    screenshot,
    severe_console_errors,
    sign_in,
    sign_out,
    table_cells,
    wait_for,
)
from tests.frontend.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

PAGES = [
    ("action-center", "/", "#ac-queue .dash-cell"),
    ("risk-overview", "/overview", "#ro-body .kpi-value"),
    ("customer-deep-dive", "/customer", "#dd-customer"),
    ("monitor", "/monitor", "#mo-body .card"),
    ("model-performance", "/model", ".unavailable"),
    ("interventions", "/interventions", "#it-table .dash-cell"),
    ("data-management", "/admin/data", "#dm-users table"),
]
BOOTSTRAP_PRIMARY = (13, 110, 253)  # Bootstrap 5's --bs-primary


def rgb(css_colour: str) -> tuple[int, ...]:
    return tuple(int(v) for v in re.findall(r"\d+", css_colour)[:3])


def test_app_sign_in_refuses_a_wrong_password_and_loads_local_styles(
    browser: Any, app_url: str
) -> None:
    sign_in(browser, app_url, "sup1", "not the password", ok=False)
    error = wait_for(browser, "#login-error")
    assert "wrong password" in error.text
    button = browser.find_element(By.ID, "sign-in")
    # Bootstrap really loaded (served locally): the primary button has Bootstrap's blue.
    assert rgb(button.value_of_css_property("background-color")) == BOOTSTRAP_PRIMARY
    screenshot(browser, ARTIFACTS, "sign-in")


def test_app_every_page_renders_for_an_admin(browser: Any, app_url: str) -> None:
    sign_in(browser, app_url, "admin")
    wait_for(browser, "#nav-action_center")
    severe_console_errors(browser)  # drains the log of earlier tests
    for name, path, ready in PAGES:
        browser.get(app_url + path)
        wait_for(browser, ready)
        # The scoring service is not running in this test: the banner says so.
        wait_for(browser, "#status-banner", text="scoring service")
        assert "Traceback" not in browser.page_source
        screenshot(browser, ARTIFACTS, name)
    navbar = browser.find_element(By.CSS_SELECTOR, ".app-navbar")
    assert navbar.value_of_css_property("display") == "flex"  # Bootstrap's navbar style
    assert not [e for e in severe_console_errors(browser) if "favicon" not in e]


def test_app_data_management_is_for_admins_only(browser: Any, app_url: str) -> None:
    sign_in(browser, app_url, "off1")
    wait_for(browser, "#nav-action_center")
    assert not browser.find_elements(By.ID, "nav-data_management")
    browser.get(app_url + "/admin/data")
    wait_for(browser, "#dm-forbidden")


def test_app_explain_is_disabled_while_scoring_is_down(browser: Any, app_url: str) -> None:
    sign_in(browser, app_url, "off1")
    browser.get(app_url + "/customer")
    wait_for(browser, "#dd-customer")
    assert not browser.find_element(By.ID, "dd-explain-btn").is_enabled()


def test_app_action_center_simulates_impact_then_creates(
    browser: Any, app_url: str, portfolio: tuple[str, Engine]
) -> None:
    sign_in(browser, app_url, "sup1")
    browser.get(app_url + "/")
    wait_for(browser, "#ac-queue .dash-cell")
    browser.find_element(
        By.XPATH, "//label[starts-with(normalize-space(), 'High and stable')]"
    ).click()
    # The stable tier holds no critical customer: its first row is high-risk once loaded.
    wait_for(browser, "#ac-queue td[data-dash-column='tier']", text="high")
    # Two customers for whom the recommended action was never taken: the workflow's
    # cool-down (one intervention of a type per customer per week) cannot refuse them.
    with session_scope(engine=portfolio[1]) as session:
        taken = {
            (str(c), str(t))
            for c, t in session.execute(
                sa.text("SELECT customer_id, type FROM interventions WHERE status != 'cancelled'")
            )
        }
    kinds = {spec.label: kind.value for kind, spec in ACTIONS.items()}
    chosen: dict[str, str] = {}
    for row in browser.find_elements(By.CSS_SELECTOR, "#ac-queue tr"):
        cells = {
            cell.get_attribute("data-dash-column"): cell.text
            for cell in row.find_elements(By.CSS_SELECTOR, "td[data-dash-column]")
        }
        if not cells or (cells["link"], kinds[cells["action_label"]]) in taken:
            continue
        chosen[cells["link"]] = kinds[cells["action_label"]]
        box = row.find_element(By.CSS_SELECTOR, "input[type='checkbox']")
        browser.execute_script("arguments[0].click();", box)
        if len(chosen) == 2:
            break
    assert len(chosen) == 2
    click(browser, "#ac-simulate")
    impact = wait_for(browser, "#ac-impact", text="Loss avoided")
    assert all(customer in impact.text for customer in chosen)
    screenshot(browser, ARTIFACTS, "impact-simulation")
    click(browser, "#ac-execute")
    result = wait_for(browser, "#ac-result .alert").text
    match = re.fullmatch(
        r"Created 2 intervention\(s\): #(\d+), #(\d+) \(awaiting approval\)\.", result
    )
    assert match is not None, result
    assert not browser.find_elements(By.CSS_SELECTOR, "#ac-result .alert-warning")  # no refusal
    created = [int(match.group(1)), int(match.group(2))]
    with session_scope(engine=portfolio[1]) as session:
        rows = session.execute(
            sa.text(
                "SELECT customer_id, type, status, created_by, reason FROM interventions"
                " WHERE id IN (:a, :b)"
            ),
            {"a": created[0], "b": created[1]},
        ).all()
    assert {(r[0], r[1]) for r in rows} == set(chosen.items())
    assert {tuple(r[2:]) for r in rows} == {("recommended", "sup1", "from the Action Center queue")}


def _queue_cells(driver: Any) -> list[dict[str, str]]:
    return [cells for _, cells in table_cells(driver, "#ac-queue tr")]


def test_app_action_center_shows_the_7_day_miss_chance_and_the_run_alerts(
    browser: Any, app_url: str, portfolio: tuple[str, Engine], app_settings: Settings
) -> None:
    engine = portfolio[1]
    latest = "(SELECT max(as_of) FROM risk_scores)"
    with session_scope(engine=engine) as session:
        alerts = session.execute(
            sa.text(f"SELECT count(*) FROM risk_scores WHERE alert AND as_of = {latest}")
        ).scalar_one()
    sign_in(browser, app_url, "sup1")
    browser.get(app_url + "/")
    line = wait_for(browser, "#ac-alerts", text="capacity")
    capacity = app_settings.officers * app_settings.contacts_per_officer
    assert f": {alerts:,} alerts within a capacity of {capacity:,} (" in line.text
    assert f"({alerts / capacity * 100:.1f}% of capacity used)" in line.text
    browser.find_element(
        By.XPATH, "//label[starts-with(normalize-space(), 'High and stable')]"
    ).click()
    wait_for(browser, "#ac-queue td[data-dash-column='tier']", text="high")
    first = _queue_cells(browser)[0]
    assert first["miss_7d_pct"] == ""  # the seeded scores have no time-to-miss forecast
    customer = first["link"]
    update = (
        f"UPDATE risk_scores SET miss_within_7d = :m WHERE customer_id = :c AND as_of = {latest}"
    )
    with session_scope(engine=engine) as session:
        session.execute(sa.text(update), {"m": 0.123, "c": customer})
    try:
        browser.refresh()
        wait_for(browser, "#ac-queue .dash-cell")
        browser.find_element(
            By.XPATH, "//label[starts-with(normalize-space(), 'High and stable')]"
        ).click()
        wait_for(browser, "#ac-queue td[data-dash-column='miss_7d_pct']", text="12.3%")
        shown = {cells["link"]: cells["miss_7d_pct"] for cells in _queue_cells(browser)}
        assert shown[customer] == "12.3%"
        assert {v for c, v in shown.items() if c != customer} == {""}
    finally:
        with session_scope(engine=engine) as session:
            session.execute(sa.text(update), {"m": None, "c": customer})


def _intervention_row(engine: Engine, intervention_id: int) -> dict[str, Any]:
    with session_scope(engine=engine) as session:
        row = session.execute(
            sa.text("SELECT status, assigned_to, approved_by FROM interventions WHERE id = :i"),
            {"i": intervention_id},
        ).one()
        return dict(row._mapping)


def test_app_intervention_life_is_persisted_and_audited(
    browser: Any, app_url: str, portfolio: tuple[str, Engine]
) -> None:
    engine = portfolio[1]
    customer = "C000299"  # low risk: no seeded intervention, so no cool-down
    # 1. The customer is nobody's yet: an officer may not open it, even by its URL.
    sign_in(browser, app_url, "off1")
    wait_for(browser, "#nav-action_center")
    browser.get(f"{app_url}/customer?id={customer}")
    wait_for(browser, "#dd-forbidden", text=f"customer {customer} is not assigned to you")
    assert not browser.find_elements(By.ID, "dd-customer")
    sign_out(browser)

    # 2. A supervisor gives the customer to the officer.
    sign_in(browser, app_url, "sup1")
    browser.get(f"{app_url}/customer?id={customer}")
    wait_for(browser, "#dd-customer", text=customer)
    browser.find_element(By.CSS_SELECTOR, "#dd-assign-officer option[value='off1']").click()
    click(browser, "#dd-assign-btn")
    wait_for(browser, "#dd-ok", text="assigned to off1")
    sign_out(browser)

    # 3. The officer creates an intervention from their customer's page.
    sign_in(browser, app_url, "off1")
    wait_for(browser, "#nav-action_center")
    browser.get(f"{app_url}/customer?id={customer}")
    wait_for(browser, "#dd-customer", text=customer)
    browser.find_element(By.ID, "dd-create-reason").send_keys("salary two weeks late")
    click(browser, "#dd-create-btn")
    created = wait_for(browser, "#dd-ok").text
    intervention_id = int(re.search(r"#(\d+)", created).group(1))  # type: ignore[union-attr]
    wait_for(browser, ".history", text="agent call")
    screenshot(browser, ARTIFACTS, "created")
    sign_out(browser)

    # 4. The supervisor approves and assigns the work.
    sign_in(browser, app_url, "sup1")
    wait_for(browser, "#nav-action_center")
    browser.get(f"{app_url}/interventions?id={intervention_id}")
    wait_for(browser, "#it-status-text", text="recommended")
    click(browser, '[id*="approve"]')
    wait_for(browser, "#it-status-text", text="approved")
    browser.find_element(By.CSS_SELECTOR, "#it-officer option[value='off1']").click()
    click(browser, '[id*="assign"]')
    wait_for(browser, "#it-status-text", text="assigned")
    sign_out(browser)

    # 5. The officer starts, completes and records the outcome.
    sign_in(browser, app_url, "off1")
    wait_for(browser, "#nav-action_center")
    browser.get(f"{app_url}/interventions?id={intervention_id}")
    wait_for(browser, "#it-status-text", text="assigned")
    click(browser, '[id*="start"]')
    wait_for(browser, "#it-status-text", text="in progress")
    click(browser, '[id*="complete"]')
    wait_for(browser, "#it-status-text", text="completed")
    browser.find_element(By.CSS_SELECTOR, "#it-outcome option[value='promise_to_pay']").click()
    browser.find_element(By.ID, "it-note").send_keys("pays on Friday")
    click(browser, "#it-record")
    wait_for(browser, "#it-ok", text="recorded")
    screenshot(browser, ARTIFACTS, "outcome-recorded")

    # 6. Persisted, and every step audited under the signed-in user.
    row = _intervention_row(engine, intervention_id)
    assert row == {"status": "completed", "assigned_to": "off1", "approved_by": "sup1"}
    with session_scope(engine=engine) as session:
        actions = session.execute(
            sa.text(
                "SELECT actor, action FROM action_audit_log WHERE entity_type = 'intervention' "
                "AND entity_id = :i ORDER BY id"
            ),
            {"i": str(intervention_id)},
        ).all()
        outcome = session.execute(
            sa.text(
                "SELECT outcome, recorded_by, note FROM intervention_outcomes"
                " WHERE intervention_id = :i"
            ),
            {"i": intervention_id},
        ).one()
        assert verify_chain(session).ok
    assert [tuple(a) for a in actions] == [
        ("off1", "intervention.create"),
        ("sup1", "intervention.approve"),
        ("sup1", "intervention.assign"),
        ("off1", "intervention.start"),
        ("off1", "intervention.complete"),
    ]
    assert tuple(outcome) == ("promise_to_pay", "off1", "pays on Friday")
    with session_scope(engine=engine) as session:
        owner = session.execute(
            sa.text(
                "SELECT officer, assigned_by FROM customer_assignments"
                " WHERE customer_id = :c AND ended_at IS NULL"
            ),
            {"c": customer},
        ).one()
    assert tuple(owner) == ("off1", "sup1")
