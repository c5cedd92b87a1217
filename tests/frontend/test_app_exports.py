"""Downloads in a real Chromium session: CSV and Excel of the app's tables, cut to the user's
scope and audited; the model report route refuses what is not a bundle."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pde.db.engine import session_scope
from tests.frontend.browser import screenshot, sign_in, wait_for
from tests.frontend.conftest import ARTIFACTS
from tests.frontend.downloads import csv_rows, exports_audited, fetch

pytestmark = pytest.mark.browser


def _owned_by(engine: Engine, officer: str) -> set[str]:
    with session_scope(engine=engine) as session:
        return {
            str(c)
            for (c,) in session.execute(
                sa.text(
                    "SELECT customer_id FROM customer_assignments"
                    " WHERE officer = :o AND ended_at IS NULL"
                ),
                {"o": officer},
            )
        }


def test_exports_follow_the_users_scope_and_are_audited(
    browser: Any, app_url: str, portfolio: tuple[str, Engine]
) -> None:
    engine = portfolio[1]
    sign_in(browser, app_url, "off1")
    link = wait_for(browser, "#export-queue-csv")
    assert link.get_attribute("href").endswith("/export/queue.csv")
    screenshot(browser, ARTIFACTS, "exports-action-center")
    status, kind, body = fetch(browser, link.get_attribute("href"))
    assert status == 200 and kind.startswith("text/csv")
    officer_rows = csv_rows(body)
    mine = _owned_by(engine, "off1")
    assert officer_rows, "the officer's queue export is empty"
    assert {r["Customer"] for r in officer_rows} <= mine
    assert {"Customer", "Risk", "Tier", "Recommended action", "Net benefit"} <= set(officer_rows[0])
    assert all("_" not in r["Tier"] and r["Tier"][0].isupper() for r in officer_rows)

    status, kind, body = fetch(browser, f"{app_url}/export/queue.xlsx")
    assert status == 200 and "spreadsheetml" in kind
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Customer" and len(values) - 1 == len(officer_rows)

    status, _, body = fetch(browser, f"{app_url}/export/interventions.csv")
    assert status == 200
    work = csv_rows(body)
    assert all(r["Customer"] in mine or "off1" in (r["Created by"], r["Assigned to"]) for r in work)

    for admin_only in ("users", "jobs"):
        status, _, _ = fetch(browser, f"{app_url}/export/{admin_only}.csv")
        assert status == 403  # administrators only
    status, _, body = fetch(browser, f"{app_url}/export/customers-of-everyone.csv")
    assert status == 403 and b"no table" in body
    status, _, body = fetch(browser, f"{app_url}/export/queue.pdf")
    assert status == 400
    assert exports_audited(engine, "off1")[-3:] == ["queue", "queue", "interventions"]

    sign_in(browser, app_url, "sup1")
    status, _, body = fetch(browser, f"{app_url}/export/queue.csv")
    everyone = csv_rows(body)
    assert len(everyone) > len(officer_rows)
    assert {r["Customer"] for r in everyone} - mine, "the supervisor sees other officers' customers"


def test_every_table_downloads_for_an_admin(browser: Any, app_url: str) -> None:
    sign_in(browser, app_url, "admin")
    browser.get(f"{app_url}/admin/data")
    wait_for(browser, "#export-users-xlsx")
    for name in (
        "queue",
        "interventions",
        "rising",
        "segments",
        "drivers",
        "score-changes",
        "activity",
        "jobs",
    ):
        for fmt in ("csv", "xlsx"):
            status, _, body = fetch(browser, f"{app_url}/export/{name}.{fmt}")
            assert status == 200 and body, f"{name}.{fmt}"
    status, _, body = fetch(browser, f"{app_url}/export/users.csv")
    assert status == 200 and "admin" in {r["Username"] for r in csv_rows(body)}
    status, _, body = fetch(browser, f"{app_url}/export/model-tiers.csv")
    assert status in (400, 503) and b"error" in body  # the test app has no model bundle


def test_model_report_route_refuses_unknown_bundles(browser: Any, app_url: str) -> None:
    sign_in(browser, app_url, "off1")
    for query in ("", "?version=../../etc/passwd", "?version=nope"):
        status, _, body = fetch(browser, f"{app_url}/model/report{query}")
        assert status == 404 and b"no model bundle" in body


def test_generate_demo_data_is_refused_up_front_in_the_page(
    browser: Any, app_url: str, app_settings: Any
) -> None:
    """The test app has no scoring service: the new portfolio could not be scored, so the
    page refuses before anything is simulated, and the data directory is left alone."""
    sign_in(browser, app_url, "admin")
    browser.get(f"{app_url}/admin/data")
    from tests.frontend.browser import click

    click(browser, "#dm-generate")
    alert = wait_for(browser, "#dm-result .alert", text="refused")
    assert "scoring service" in alert.text and "nothing was generated" in alert.text
    screenshot(browser, ARTIFACTS, "demo-data-refused")
    assert not app_settings.data_dir.exists() or not app_settings.data_dir.is_symlink()


def test_model_report_is_served_to_model_page_users(
    browser: Any, app_url: str, app_settings: Any
) -> None:
    import shutil

    bundle = app_settings.model_dir / "20260101T000000Z-report"
    bundle.mkdir()
    (bundle / "manifest.json").write_text("{}")
    (bundle / "report.html").write_text(
        "<html><body><h1>Evaluation of the bundle</h1></body></html>"
    )
    try:
        sign_in(browser, app_url, "off1")  # every role opens the Model page
        status, kind, body = fetch(browser, f"{app_url}/model/report?version={bundle.name}")
        assert status == 200 and kind.startswith("text/html")
        assert b"Evaluation of the bundle" in body
        browser.get(f"{app_url}/model/report?version={bundle.name}")
        wait_for(browser, "h1", text="Evaluation of the bundle")
        browser.delete_all_cookies()
        _, _, body = fetch(browser, f"{app_url}/model/report?version={bundle.name}")
        assert b"Evaluation of the bundle" not in body and b'name="password"' in body
    finally:
        shutil.rmtree(bundle)
