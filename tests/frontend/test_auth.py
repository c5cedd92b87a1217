"""Sign-in, session expiry and CSRF protection, through the Flask server (no browser)."""

from __future__ import annotations

import re
import time
from typing import Any

from pde.frontend.auth import CSRF_COOKIE, CSRF_HEADER
from pde.frontend.seed import DEFAULT_PASSWORD

CALLBACK = "/_dash-update-component"


def _login_token(client: Any) -> str:
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def _sign_in(client: Any, username: str = "sup1", password: str = DEFAULT_PASSWORD) -> Any:
    token = _login_token(client)
    return client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": password, "next": "/overview"},
    )


def test_auth_pages_need_a_signed_in_user(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    assert client.get("/overview").status_code == 302
    assert client.get("/_dash-layout").status_code == 401


def test_auth_sign_in_sets_the_csrf_cookie_and_redirects(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    response = _sign_in(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/overview"
    assert client.get_cookie(CSRF_COOKIE) is not None
    assert client.get("/_dash-layout").status_code == 200


def test_auth_sign_in_refuses_a_missing_form_token(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "sup1", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert client.get("/overview").status_code == 302


def test_auth_wrong_password_is_refused(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    assert _sign_in(client, password="wrong password!").status_code == 401


def test_auth_callbacks_need_the_csrf_header(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    _sign_in(client)
    body = {"output": "x.children", "outputs": {"id": "x", "property": "children"}, "inputs": []}
    assert client.post(CALLBACK, json=body).status_code == 403
    wrong = client.post(CALLBACK, json=body, headers={CSRF_HEADER: "forged"})
    assert wrong.status_code == 403
    cookie = client.get_cookie(CSRF_COOKIE)
    assert cookie is not None
    # With the right token the request passes the guard (Dash then rejects the fake callback).
    allowed = client.post(CALLBACK, json=body, headers={CSRF_HEADER: cookie.value})
    assert allowed.status_code not in (401, 403)


def test_auth_session_expires_after_idle_time(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    _sign_in(client)
    assert client.get("/overview").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60  # the app signs out after 30 idle minutes
    response = client.get("/overview")
    assert response.status_code == 302
    assert "expired=1" in response.headers["Location"]
    assert client.get("/_dash-layout").status_code == 401


def test_auth_sign_out_needs_the_token_and_ends_the_session(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    _sign_in(client)
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/overview").status_code == 200
    with client.session_transaction() as session:
        token = session["csrf"]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/overview").status_code == 302


def test_auth_a_one_time_password_must_be_changed_first(dash_app: Any) -> None:
    from pde.frontend.services import current
    from pde.frontend.services.users import create_user

    with dash_app.server.test_request_context("/"), current().session() as session:
        one_time = create_user(
            session, username="newbie", full_name="New Officer", role="officer", actor="admin"
        )
    client = dash_app.server.test_client()
    assert _sign_in(client, "newbie", one_time).headers["Location"] == "/password"
    assert client.get("/overview").headers["Location"] == "/password"
    with client.session_transaction() as session:
        token = session["csrf"]
    short = client.post("/password", data={"csrf_token": token, "password": "x", "confirm": "x"})
    assert short.status_code == 400
    chosen = "a long enough passphrase"
    done = client.post(
        "/password", data={"csrf_token": token, "password": chosen, "confirm": chosen}
    )
    assert done.status_code == 302
    assert client.get("/overview").status_code == 200
    fresh = dash_app.server.test_client()
    assert _sign_in(fresh, "newbie", chosen).headers["Location"] == "/overview"


def test_auth_an_open_page_is_sent_to_sign_in_when_the_session_ends(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    _sign_in(client)
    cookie = client.get_cookie(CSRF_COOKIE)
    assert cookie is not None
    with client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60
    probe = {
        "output": "..status-banner.children...url.href..",
        "outputs": [],
        "inputs": [{"id": "status-interval", "property": "n_intervals", "value": 3}],
        "changedPropIds": ["status-interval.n_intervals"],
    }
    response = client.post(CALLBACK, json=probe, headers={CSRF_HEADER: cookie.value})
    assert response.status_code == 200
    assert response.get_json()["response"]["url"]["href"] == "/login?expired=1"
