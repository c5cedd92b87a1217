"""The app as an attacker drives it with forged callbacks, and what every response carries:
officers confined to their own customers, admin callbacks refused with a message, headers,
Secure cookies over HTTPS, throttled sign-in, clear messages for careless admins."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pde.frontend.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from pde.frontend.seed import DEFAULT_PASSWORD
from tests.frontend.conftest import signed_in
from tests.frontend.test_auth import CALLBACK, _sign_in


def _callback(
    client: Any,
    output: str,
    outputs: list[tuple[str, str]],
    inputs: list[dict[str, Any]],
    state: list[dict[str, Any]] | None = None,
    changed: str | None = None,
) -> Any:
    cookie = client.get_cookie(CSRF_COOKIE)
    assert cookie is not None
    body = {
        "output": output,
        "outputs": [{"id": i, "property": p} for i, p in outputs]
        if len(outputs) > 1
        else {"id": outputs[0][0], "property": outputs[0][1]},
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": [changed or f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }
    return client.post(CALLBACK, json=body, headers={CSRF_HEADER: cookie.value})


def _owned_by(engine: Engine, officer: str) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                sa.text(
                    "SELECT customer_id FROM customer_assignments WHERE officer = :o"
                    " AND ended_at IS NULL ORDER BY customer_id LIMIT 1"
                ),
                {"o": officer},
            ).scalar_one()
        )


def test_security_an_officer_cannot_open_or_act_on_another_officers_customer(
    dash_app: Any, portfolio: tuple[str, Engine]
) -> None:
    engine = portfolio[1]
    theirs, mine = _owned_by(engine, "off2"), _owned_by(engine, "off1")
    client = dash_app.server.test_client()
    _sign_in(client, "off1")

    def render(customer: str) -> str:
        response = _callback(
            client,
            "dd-body.children",
            [("dd-body", "children")],
            [
                {"id": "dd-search", "property": "value", "value": customer},
                {"id": "dd-refresh", "property": "data", "value": 0},
            ],
        )
        assert response.status_code == 200
        return str(response.get_json()["response"]["dd-body"]["children"])

    assert f"customer {theirs} is not assigned to you" in render(theirs)
    assert mine in render(mine) and "not assigned" not in render(mine)
    explained = _callback(
        client,
        "dd-explain.children",
        [("dd-explain", "children")],
        [{"id": "dd-explain-btn", "property": "n_clicks", "value": 1}],
        [{"id": "dd-search", "property": "value", "value": theirs}],
    )
    assert f"customer {theirs} is not assigned to you" in str(explained.get_json())
    with engine.connect() as connection:
        before = connection.execute(sa.text("SELECT count(*) FROM interventions")).scalar_one()
    created = _callback(
        client,
        "..dd-action-result.children...dd-refresh.data..",
        [("dd-action-result", "children"), ("dd-refresh", "data")],
        [
            {"id": "dd-create-btn", "property": "n_clicks", "value": 1},
            {"id": "dd-assign-btn", "property": "n_clicks", "value": None},
        ],
        [
            {"id": "dd-search", "property": "value", "value": theirs},
            {"id": "dd-create-type", "property": "value", "value": "sms_reminder"},
            {"id": "dd-create-priority", "property": "value", "value": "low"},
            {"id": "dd-create-reason", "property": "value", "value": "forged"},
            {"id": "dd-assign-officer", "property": "value", "value": None},
            {"id": "dd-refresh", "property": "data", "value": 0},
        ],
    )
    assert created.status_code == 200
    assert f"customer {theirs} is not assigned to you" in str(created.get_json())
    with engine.connect() as connection:
        after = connection.execute(sa.text("SELECT count(*) FROM interventions")).scalar_one()
    assert after == before


def test_security_an_officer_cannot_see_another_officers_intervention(
    services: Any, portfolio: tuple[str, Engine]
) -> None:
    from pde.frontend.services import access, work

    with portfolio[1].connect() as connection:
        foreign = connection.execute(
            sa.text(
                "SELECT i.id FROM interventions i JOIN customer_assignments a"
                " ON a.customer_id = i.customer_id AND a.ended_at IS NULL"
                " WHERE a.officer = 'off2' AND i.created_by != 'off1'"
                " AND coalesce(i.assigned_to, '') != 'off1' LIMIT 1"
            )
        ).scalar_one()
    with pytest.raises(access.AccessDeniedError, match=f"intervention {foreign} is not yours"):
        work.intervention_detail(services, signed_in("off1"), int(foreign))
    assert work.intervention_detail(services, signed_in("sup1"), int(foreign)).id == foreign


def test_security_an_officer_calling_an_admin_callback_is_told_no(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    _sign_in(client, "off1")
    response = _callback(
        client,
        "..dm-jobs.children...dm-users.children..",
        [("dm-jobs", "children"), ("dm-users", "children")],
        [
            {"id": "dm-interval", "property": "n_intervals", "value": 1},
            {"id": "dm-result", "property": "children", "value": None},
        ],
    )
    assert response.status_code == 200
    text = str(response.get_json())
    assert "Not allowed: Data Management is for administrators." in text
    assert "Traceback" not in text and "admin" not in text.replace("administrators", "")


def test_security_headers_on_every_response(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    for path in ("/login", "/overview", "/vendor/css/bootstrap.min.css"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert (
            "script-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        )
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers  # plain HTTP here


def test_security_cookies_are_secure_and_hsts_is_sent_over_https(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    page = client.get("/login", base_url="https://risk.example")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    response = client.post(
        "/login",
        base_url="https://risk.example",
        data={"csrf_token": token.group(1), "username": "sup1", "password": DEFAULT_PASSWORD},
    )
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert "Secure" in cookies[SESSION_COOKIE] and "HttpOnly" in cookies[SESSION_COOKIE]
    assert "SameSite=Lax" in cookies[SESSION_COOKIE]
    assert "Secure" in cookies[CSRF_COOKIE] and "SameSite=Strict" in cookies[CSRF_COOKIE]


def test_security_sign_in_is_throttled_per_address_in_the_app(
    dash_app: Any, portfolio: tuple[str, Engine]
) -> None:
    client = dash_app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.50"
    codes = []
    for n in range(21):  # 20 per address by default: different names, so no user lock first
        codes.append(_sign_in(client, f"guess{n % 5}", "wrong password").status_code)
    assert codes[:20] == [401] * 20 and codes[20] == 429
    refused = _sign_in(client, "sup1")
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    with portfolio[1].connect() as connection:
        rows = (
            connection.execute(
                sa.text(
                    "SELECT action FROM action_audit_log WHERE action IN"
                    " ('user.locked_out', 'user.sign_in_throttled') ORDER BY id DESC LIMIT 2"
                )
            )
            .scalars()
            .all()
        )
    assert rows == ["user.sign_in_throttled", "user.sign_in_throttled"]


def test_security_adding_an_existing_user_is_a_clear_message(services: Any) -> None:
    from pde.core.errors import PdeError
    from pde.frontend.services.users import create_user

    admin = signed_in("admin")
    with pytest.raises(
        PdeError, match=r"^A user named off1 already exists: choose another name\.$"
    ):
        create_user(services, admin, username="OFF1", full_name="Again", role="officer")
    with pytest.raises(PdeError, match=r"^username: 2-64 characters"):
        create_user(services, admin, username="a b", full_name="Spaces", role="officer")


def test_security_a_database_outage_answers_with_the_banner_not_a_traceback(
    dash_app: Any, tmp_path: Any
) -> None:
    from pde.frontend.services import current

    client = dash_app.server.test_client()
    _sign_in(client, "sup1")
    with dash_app.server.test_request_context("/"):
        services = current()
    working = services.engine
    services.engine = sa.create_engine(f"sqlite:///{tmp_path}/missing/dir/pde.db")
    try:
        page = client.get("/overview")
        probe = _callback(
            client,
            "..status-banner.children...url.href..",
            [("status-banner", "children"), ("url", "href")],
            [{"id": "status-interval", "property": "n_intervals", "value": 2}],
        )
    finally:
        services.engine = working
    assert page.status_code == 503
    assert "the database is unavailable" in page.get_data(as_text=True)
    assert "the database is unavailable" in str(probe.get_json()["response"]["status-banner"])


def test_security_lists_that_name_customers_show_an_officer_only_theirs(
    services: Any, portfolio: tuple[str, Engine]
) -> None:
    from pde.frontend.services import monitor
    from pde.frontend.services import portfolio as portfolio_service

    with portfolio[1].connect() as connection:
        mine = set(
            connection.execute(
                sa.text(
                    "SELECT customer_id FROM customer_assignments"
                    " WHERE officer = 'off1' AND ended_at IS NULL"
                )
            ).scalars()
        )
    everyone = monitor.feed(services, signed_in("sup1"))
    feed = monitor.feed(services, signed_in("off1"))
    assert {c.customer_id for c in everyone.changes} - mine  # others' customers exist
    assert {c.customer_id for c in feed.changes} <= mine
    assert {a.actor for a in everyone.activity} - {"off1"}
    assert {a.actor for a in feed.activity} <= {"off1"}
    whole = portfolio_service.overview(services, signed_in("sup1"), None, "product")
    own = portfolio_service.overview(services, signed_in("off1"), None, "product")
    assert {r.customer_id for r in whole.rising} - mine
    assert {r.customer_id for r in own.rising} <= mine
