"""Presentation in a real Chromium at 1366 px (runs before test_app_live, which rescores the
shared portfolio): the queue fits without sideways scrolling, labels are words, amounts carry the
currency, the Overview and Interventions show their new parts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.frontend.browser import click, screenshot, sign_in, wait_for
from tests.frontend.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture
def laptop(browser: Any) -> Iterator[Any]:
    """The browser at 1366 x 900 (a common office laptop), restored afterwards."""
    browser.set_window_size(1366, 900)
    yield browser
    browser.set_window_size(1600, 1000)


def test_action_center_fits_1366_px_with_its_last_column_visible(laptop: Any, app_url: str) -> None:
    sign_in(laptop, app_url, "sup1")
    wait_for(laptop, "#ac-queue .dash-cell")
    overflow = laptop.execute_script(
        "const box = document.querySelector('#ac-queue .dash-spreadsheet-container');"
        "return [box.scrollWidth, box.clientWidth];"
    )
    assert overflow[0] <= overflow[1] + 1, f"the queue scrolls sideways: {overflow}"
    headers = [h.text for h in laptop.find_elements(By.CSS_SELECTOR, "#ac-queue th")]
    assert "Tier" in headers and "tier" not in headers
    right = laptop.execute_script(
        "const th = [...document.querySelectorAll('#ac-queue th')].pop();"
        "return th.getBoundingClientRect().right <= window.innerWidth;"
    )
    assert right, "the queue's last column is off screen"
    labels = [
        c.text
        for column in ("product_label", "action_label", "tier")
        for c in laptop.find_elements(By.CSS_SELECTOR, f"#ac-queue td[data-dash-column='{column}']")
    ]
    assert labels and not any("_" in c for c in labels), "an engine name shows, not a label"
    cells = [c.text for c in laptop.find_elements(By.CSS_SELECTOR, "#ac-queue td")]
    assert any(c.startswith("€") for c in cells), "amounts carry the currency"
    screenshot(laptop, ARTIFACTS, "action-center-1366")


def test_overview_health_donut_concentration_and_insights(laptop: Any, app_url: str) -> None:
    sign_in(laptop, app_url, "sup1")
    laptop.get(f"{app_url}/overview")
    wait_for(laptop, "#ro-insights li")
    assert len(laptop.find_elements(By.CSS_SELECTOR, "#ro-insights li")) >= 3
    body = laptop.find_element(By.ID, "ro-body").text
    assert "customers by tier" in body.lower()
    assert "concentration of high risk" in body.lower()
    health = re.search(r"Portfolio health\s+(\d+)\s+of 100", body, re.IGNORECASE)
    assert health is not None and 0 <= int(health.group(1)) <= 100
    exposure = re.search(r"Total exposure\s+(\S+)", body, re.IGNORECASE)
    assert exposure is not None and exposure.group(1).startswith("€")
    # Amounts never wrap: each KPI value stays on one line.
    heights = laptop.execute_script(
        "return [...document.querySelectorAll('#ro-body .kpi-value')]"
        ".map(e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight));"
    )
    assert heights and max(heights) < 1.6, heights
    screenshot(laptop, ARTIFACTS, "overview-1366")


def test_interventions_multi_select_refresh_and_trends(laptop: Any, app_url: str) -> None:
    sign_in(laptop, app_url, "sup1")
    laptop.get(f"{app_url}/interventions")
    kpis = wait_for(laptop, "#it-trend-kpis")
    for label in ("Average risk", "Pending approval", "No response"):
        assert label.lower() in kpis.text.lower()
    wait_for(laptop, "#it-table .dash-cell")
    click(laptop, "#it-type")  # the multi-select: tick two action types
    for value in ("agent_call", "payment_plan"):
        click(laptop, f".dash-dropdown-content input[value='{value}']")
    laptop.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    status = laptop.find_element(By.ID, "it-status")
    status.find_element(By.CSS_SELECTOR, "option[value='all']").click()
    wait_for(laptop, "#it-type", text="Payment plan")

    def shown_types() -> set[str]:
        cells = laptop.find_elements(By.CSS_SELECTOR, "#it-table td[data-dash-column='type_label']")
        return {c.text for c in cells}

    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (
        shown_types() and shown_types() <= {"Agent call", "Payment plan"}
    ):
        time.sleep(0.3)
    assert shown_types() and shown_types() <= {"Agent call", "Payment plan"}
    click(laptop, "#it-refresh-button")
    wait_for(laptop, "#it-trends", text="Performance by risk level")
    screenshot(laptop, ARTIFACTS, "interventions-trends")
