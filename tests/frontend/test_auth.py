"""Sign-in, session expiry and CSRF protection, through the Flask server (no browser)."""

from __future__ import annotations

import re
import time
from typing import Any

from pde.frontend.auth import CSRF_COOKIE, CSRF_HEADER
from pde.frontend.seed import DEFAULT_PASSWORD
from tests.frontend.conftest import signed_in

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
    body = {  # the shell's status banner callback, as the page's interval fires it
        "output": "..status-banner.children...url.href..",
        "outputs": [
            {"id": "status-banner", "property": "children"},
            {"id": "url", "property": "href"},
        ],
        "inputs": [{"id": "status-interval", "property": "n_intervals", "value": 1}],
        "changedPropIds": ["status-interval.n_intervals"],
    }
    refused = client.post(CALLBACK, json=body)
    assert refused.status_code == 403
    assert refused.get_json() == {"error": "missing or wrong CSRF token"}
    wrong = client.post(CALLBACK, json=body, headers={CSRF_HEADER: "forged"})
    assert wrong.status_code == 403
    cookie = client.get_cookie(CSRF_COOKIE)
    assert cookie is not None
    allowed = client.post(CALLBACK, json=body, headers={CSRF_HEADER: cookie.value})
    assert allowed.status_code == 200
    banner = allowed.get_json()["response"]["status-banner"]["children"]
    # The scoring service is down in these tests: the callback ran and says so.
    assert "The scoring service at 127.0.0.1:9 is unavailable" in str(banner)


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

    with dash_app.server.test_request_context("/"):
        one_time = create_user(
            current(),
            signed_in("admin"),
            username="newbie",
            full_name="New Officer",
            role="officer",
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
