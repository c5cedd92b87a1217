"""The Action Center's recommendations in a real (headless) Chromium: the stored recommendation
of a customer (action, expected effect, net benefit, why, vulnerable flag) in the queue, and an
officer's override that needs a reason, refused without one and audited with it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy.engine import Engine

from pde.db.audit import verify_chain
from pde.db.engine import session_scope
from pde.db.models import RecommendationCreate
from pde.db.recommendations import save_recommendations
from pde.frontend.components import money
from tests.frontend.browser import (
    WAIT_S,
    click,
    screenshot,
    sign_in,
    table_cells,
    wait_for,
)
from tests.frontend.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
STABLE = "//label[starts-with(normalize-space(), 'High and stable')]"


def _queue(driver: Any) -> list[tuple[Any, dict[str, str]]]:
    return table_cells(driver, "#ac-queue tr")


def _wait_for_effect(driver: Any, text: str) -> None:
    """Until some row of the queue shows `text` as its expected effect."""
    WebDriverWait(driver, WAIT_S).until(
        lambda d: any(c.get("effect_fmt") == text for _, c in _queue(d))
    )


def _open_stable(driver: Any, base: str) -> None:
    driver.get(base + "/")
    wait_for(driver, "#ac-queue .dash-cell")
    driver.find_element(By.XPATH, STABLE).click()
    wait_for(driver, "#ac-queue td[data-dash-column='tier']", text="high")


@pytest.fixture
def recommended(
    browser: Any, app_url: str, portfolio: tuple[str, Engine]
) -> Iterator[tuple[str, str]]:
    """Stored recommendations for two customers on the first page of the stable tier, whose
    agent call is not in cool-down: (restructuring, effect 0.18), (counselling, vulnerable)."""
    engine = portfolio[1]
    sign_in(browser, app_url, "sup1")
    _open_stable(browser, app_url)
    with session_scope(engine=engine) as session:
        as_of: date = session.execute(sa.text("SELECT max(as_of) FROM risk_scores")).scalar_one()
        if isinstance(as_of, str):
            as_of = date.fromisoformat(as_of)
        version = session.execute(
            sa.text("SELECT model_version FROM risk_scores WHERE as_of = :d LIMIT 1"), {"d": as_of}
        ).scalar_one()
        called = {
            str(c)
            for (c,) in session.execute(
                sa.text("SELECT customer_id FROM interventions WHERE type = 'agent_call'")
            )
        }
    customers = [cells["link"] for _, cells in _queue(browser) if cells["link"] not in called]
    first, second = customers[:2]
    rows = [
        RecommendationCreate(
            customer_id=first,
            as_of=as_of,
            model_version=version,
            action="restructuring",
            expected_effect=0.18,
            net_benefit=1234.5,
            effect_basis="learned",
            why="restructuring: income fell or became irregular",
        ),
        RecommendationCreate(
            customer_id=second,
            as_of=as_of,
            model_version=version,
            action="financial_counselling",
            expected_effect=0.071,
            net_benefit=88.0,
            effect_basis="learned",
            why="financial counselling: potential vulnerability (gambling)",
            vulnerable=True,
        ),
    ]
    with session_scope(engine=engine) as session:
        save_recommendations(session=session, as_of=as_of, rows=rows)
    yield first, second
    with session_scope(engine=engine) as session:
        session.execute(sa.text("DELETE FROM recommendations"))


def test_app_action_center_shows_the_recommendation_and_why(
    browser: Any, app_url: str, recommended: tuple[str, str]
) -> None:
    first, second = recommended
    _open_stable(browser, app_url)
    _wait_for_effect(browser, "expected -18 points")
    shown = {cells["link"]: cells for _, cells in _queue(browser)}
    assert shown[first]["action_label"] == "Restructuring"
    assert shown[first]["effect_fmt"] == "expected -18 points"
    assert shown[first]["net_fmt"] == money(1234.5)
    assert shown[first]["why"] == "restructuring: income fell or became irregular"
    assert shown[first]["flags"] == ""
    assert shown[second]["action_label"] == "Financial counselling"
    assert shown[second]["effect_fmt"] == "expected -7 points"
    assert shown[second]["flags"] == "potentially vulnerable"
    assert "gambling" in shown[second]["why"]
    # customers without a stored recommendation show today's rule with the prior effect
    others = [c for k, c in shown.items() if k not in recommended]
    assert others and all(c["effect_fmt"].endswith("(prior)") for c in others)
    screenshot(browser, ARTIFACTS, "action-center-recommendations")


def test_app_action_center_override_needs_a_reason_and_is_audited(
    browser: Any, app_url: str, portfolio: tuple[str, Engine], recommended: tuple[str, str]
) -> None:
    first, _ = recommended
    _open_stable(browser, app_url)
    _wait_for_effect(browser, "expected -18 points")
    row = next(r for r, cells in _queue(browser) if cells["link"] == first)
    browser.execute_script(
        "arguments[0].click();", row.find_element(By.CSS_SELECTOR, "input[type='checkbox']")
    )
    Select(browser.find_element(By.ID, "ac-override")).select_by_value("agent_call")
    click(browser, "#ac-simulate")
    error = wait_for(browser, "#ac-reason-needed", text="give a reason")
    assert "agent call over the recommended restructuring" in error.text
    assert not browser.find_elements(By.CSS_SELECTOR, ".modal.show")
    reason = "customer asked to be called first"
    browser.find_element(By.ID, "ac-override-reason").send_keys(reason)
    click(browser, "#ac-simulate")
    impact = wait_for(browser, "#ac-impact", text="Loss avoided")
    assert f"override: {reason}" in impact.text
    assert not browser.find_elements(By.ID, "ac-reason-needed")
    click(browser, "#ac-execute")
    result = wait_for(browser, "#ac-result .alert").text
    assert result.startswith("Created 1 intervention(s)"), result
    engine = portfolio[1]
    with session_scope(engine=engine) as session:
        created = session.execute(
            sa.text(
                "SELECT id, type, reason FROM interventions WHERE customer_id = :c"
                " ORDER BY id DESC LIMIT 1"
            ),
            {"c": first},
        ).one()
        audited = session.execute(
            sa.text(
                "SELECT actor, before, after FROM action_audit_log WHERE action ="
                " 'recommendation.override' AND entity_id = :c"
            ),
            {"c": first},
        ).one()
        assert verify_chain(session).ok
    assert created[1] == "agent_call" and reason in created[2]
    before, after = (json.loads(v) if isinstance(v, str) else v for v in audited[1:])
    assert audited[0] == "sup1" and before == {"recommended": "restructuring"}
    assert after == {"chosen": "agent_call", "reason": reason, "intervention": created[0]}
