"""Sign-in, server-side sessions, expiry, revocation and CSRF, through the Flask server (no
browser), as an attacker and a careless user would try them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pde.core.settings import PLACEHOLDER_SECRET, Settings, SettingsError
from pde.db.engine import session_scope
from pde.db.models import UserCreate, UserUpdate
from pde.db.types import utc_now
from pde.db.users import create_user, update_user
from pde.frontend.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from pde.frontend.seed import DEFAULT_PASSWORD
from tests.frontend.conftest import signed_in

CALLBACK = "/_dash-update-component"
PROBE = {  # the shell's status banner callback, as the page's interval fires it
    "output": "..status-banner.children...url.href..",
    "outputs": [
        {"id": "status-banner", "property": "children"},
        {"id": "url", "property": "href"},
    ],
    "inputs": [{"id": "status-interval", "property": "n_intervals", "value": 1}],
    "changedPropIds": ["status-interval.n_intervals"],
}


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


def _csrf(client: Any) -> str:
    cookie = client.get_cookie(CSRF_COOKIE)
    assert cookie is not None
    return str(cookie.value)


def _add_user(
    engine: Engine, username: str, role: str, password: str = "a long test password"
) -> str:
    with session_scope(engine=engine) as session:
        data = UserCreate(username=username, full_name=username, role=role, password=password)  # type: ignore[arg-type]
        create_user(session=session, data=data, actor="system:test")
        session.execute(
            sa.text("UPDATE users SET must_change_password = false WHERE username = :u"),
            {"u": username},
        )
    return password


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


def test_auth_the_session_cookie_holds_only_a_random_token(
    dash_app: Any, portfolio: tuple[str, Engine]
) -> None:
    client = dash_app.server.test_client()
    _sign_in(client)
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie.value)
    with session_scope(engine=portfolio[1]) as session:
        stored = session.execute(sa.text("SELECT token_hash FROM app_sessions")).scalars().all()
    assert cookie.value not in stored  # only a keyed hash is kept


def test_auth_a_forged_admin_cookie_opens_nothing(dash_app: Any) -> None:
    from flask.sessions import SecureCookieSessionInterface

    # Yesterday's attack: a Flask session signed with the published key, for a made-up admin.
    forger = dash_app.server.test_client()
    signer = SecureCookieSessionInterface().get_signing_serializer(
        type("App", (), {"secret_key": PLACEHOLDER_SECRET, "config": dash_app.server.config})()
    )
    assert signer is not None
    forged = signer.dumps({"user": {"username": "ghost", "full_name": "G", "role": "admin"}})
    for value in (forged, "A" * 43):
        forger.set_cookie(SESSION_COOKIE, value)
        assert forger.get("/admin/data").status_code == 302
        assert forger.get("/_dash-layout").status_code == 401


def test_auth_the_app_refuses_the_placeholder_secret_outside_development(
    app_settings: Settings, portfolio: tuple[str, Engine]
) -> None:
    from pde.frontend.app import create_app

    published = app_settings.model_copy(update={"secret_key": Settings().secret_key})
    with pytest.raises(SettingsError, match="PDE_SECRET_KEY is the published placeholder"):
        create_app(published, engine=portfolio[1])
    short = app_settings.model_copy(update={"secret_key": type(app_settings.secret_key)("short")})
    with pytest.raises(SettingsError, match="at least 32 characters"):
        create_app(short, engine=portfolio[1])
    assert Settings(env="development").app_secret() == PLACEHOLDER_SECRET


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
    refused = client.post(CALLBACK, json=PROBE)
    assert refused.status_code == 403
    assert refused.get_json() == {"error": "missing or wrong CSRF token"}
    wrong = client.post(CALLBACK, json=PROBE, headers={CSRF_HEADER: "forged"})
    assert wrong.status_code == 403
    allowed = client.post(CALLBACK, json=PROBE, headers={CSRF_HEADER: _csrf(client)})
    assert allowed.status_code == 200
    banner = allowed.get_json()["response"]["status-banner"]["children"]
    # The scoring service is down in these tests: the callback ran and says so.
    assert "The scoring service at 127.0.0.1:9 is unavailable" in str(banner)


def _age_sessions(engine: Engine, username: str, minutes: int) -> None:
    with session_scope(engine=engine) as session:
        session.execute(
            sa.text("UPDATE app_sessions SET last_seen_at = :t WHERE username = :u"),
            {"t": (utc_now() - timedelta(minutes=minutes)).replace(tzinfo=None), "u": username},
        )


def test_auth_session_expires_after_idle_time(dash_app: Any, portfolio: tuple[str, Engine]) -> None:
    client = dash_app.server.test_client()
    _add_user(portfolio[1], "idle1", "officer")
    _sign_in(client, "idle1", "a long test password")
    assert client.get("/overview").status_code == 200
    _age_sessions(portfolio[1], "idle1", 31)  # the app signs out after 30 idle minutes
    response = client.get("/overview")
    assert response.status_code == 302
    assert "expired=1" in response.headers["Location"]
    assert client.get("/_dash-layout").status_code == 401


def test_auth_sign_out_needs_the_token_and_ends_the_session_for_good(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    _sign_in(client)
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/overview").status_code == 200
    stolen = client.get_cookie(SESSION_COOKIE).value  # type: ignore[union-attr]
    assert client.post("/logout", data={"csrf_token": _csrf(client)}).status_code == 302
    assert client.get("/overview").status_code == 302
    replay = dash_app.server.test_client()
    replay.set_cookie(SESSION_COOKIE, stolen)
    assert replay.get("/overview").status_code == 302  # the cookie replayed after sign-out


def test_auth_a_deactivated_admin_loses_the_open_session_at_once(
    dash_app: Any, portfolio: tuple[str, Engine]
) -> None:
    engine = portfolio[1]
    _add_user(engine, "admin2", "admin")
    client = dash_app.server.test_client()
    _sign_in(client, "admin2", "a long test password")
    assert client.get("/admin/data").status_code == 200
    with session_scope(engine=engine) as session:
        update_user(
            session=session, username="admin2", data=UserUpdate(role="officer"), actor="admin"
        )  # type: ignore[arg-type]
    refresh = {  # Data Management's refresh, as the open admin page fires it
        "output": "..dm-jobs.children...dm-users.children..",
        "outputs": [
            {"id": "dm-jobs", "property": "children"},
            {"id": "dm-users", "property": "children"},
        ],
        "inputs": [
            {"id": "dm-interval", "property": "n_intervals", "value": 1},
            {"id": "dm-result", "property": "children", "value": None},
        ],
        "changedPropIds": ["dm-interval.n_intervals"],
    }
    demoted = client.post(CALLBACK, json=refresh, headers={CSRF_HEADER: _csrf(client)})
    assert "Not allowed" in str(demoted.get_json())  # the role is re-read at once
    with session_scope(engine=engine) as session:
        update_user(
            session=session, username="admin2", data=UserUpdate(is_active=False), actor="admin"
        )
        left = session.execute(
            sa.text("SELECT count(*) FROM app_sessions WHERE username = 'admin2'")
        ).scalar_one()
    assert left == 0
    assert client.get("/admin/data").status_code == 302
    response = client.post(CALLBACK, json=PROBE, headers={CSRF_HEADER: _csrf(client)})
    assert response.get_json()["response"]["url"]["href"] == "/login?expired=1"


def test_auth_a_one_time_password_must_be_changed_first(dash_app: Any) -> None:
    from pde.frontend.services import current
    from pde.frontend.services.users import create_user as create_in_app

    with dash_app.server.test_request_context("/"):
        one_time = create_in_app(
            current(),
            signed_in("admin"),
            username="newbie",
            full_name="New Officer",
            role="officer",
        )
    client = dash_app.server.test_client()
    assert _sign_in(client, "newbie", one_time).headers["Location"] == "/password"
    assert client.get("/overview").headers["Location"] == "/password"
    token = _csrf(client)
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


def test_auth_an_open_page_is_sent_to_sign_in_when_the_session_ends(
    dash_app: Any, portfolio: tuple[str, Engine]
) -> None:
    _add_user(portfolio[1], "idle2", "officer")
    client = dash_app.server.test_client()
    _sign_in(client, "idle2", "a long test password")
    token = _csrf(client)
    _age_sessions(portfolio[1], "idle2", 31)
    response = client.post(CALLBACK, json=PROBE, headers={CSRF_HEADER: token})
    assert response.status_code == 200
    assert response.get_json()["response"]["url"]["href"] == "/login?expired=1"
