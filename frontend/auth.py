"""Sign-in, sessions with idle expiry, roles and CSRF protection for the Flask server under Dash.

- Sign-in checks the `users` table (argon2, via pde.db.users.authenticate) and is audited.
- The session cookie is signed with PDE_SECRET_KEY, HttpOnly and SameSite=Lax; a session
  ends after `session_minutes` without user activity (interval refreshes do not count) and
  after `MAX_SESSION_HOURS` in any case.
- Every state-changing request needs the session's CSRF token: Dash's renderer sends the
  `_csrf_token` cookie back as the `X-CSRFToken` header; HTML forms carry it as a field.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import time

import flask
from flask.typing import ResponseReturnValue

from pde.core.errors import PdeError
from pde.core.names import Role
from pde.frontend.auth_pages import csrf_token, login_page, password_page, safe_next
from pde.frontend.services import accounts
from pde.frontend.services.access import SignedIn
from pde.frontend.services.base import EXTENSION, Services

log = logging.getLogger(__name__)

CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
MAX_SESSION_HOURS = 12
PUBLIC_PREFIXES = (
    "/login",
    "/vendor/",
    "/assets/",
    "/_dash-component-suites/",
    "/_favicon",
    "/favicon.ico",
)
SESSION_PROBE = "status-banner.children"


class SessionEndedError(PdeError):
    """No one is signed in (the session ended)."""


def current_user() -> SignedIn | None:
    """The signed-in user of this request, or None."""
    if not flask.has_request_context():
        return None
    data = flask.session.get("user")
    if not isinstance(data, dict):
        return None
    try:
        role = Role(str(data["role"]))
    except (KeyError, ValueError):
        return None
    return SignedIn(str(data["username"]), str(data["full_name"]), role)


def require_user() -> SignedIn:
    """The signed-in user; what they may do is `services.access`'s decision."""
    user = current_user()
    if user is None:
        raise SessionEndedError("your session has ended; sign in again")
    return user


def _valid_csrf(sent: str | None) -> bool:
    expected = flask.session.get("csrf")
    return isinstance(expected, str) and bool(sent) and hmac.compare_digest(expected, sent or "")


def _is_refresh(request: flask.Request) -> bool:
    """A callback fired only by a dcc.Interval (not by the user)."""
    if not request.path.endswith("_dash-update-component"):
        return False
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError:
        return False
    changed = body.get("changedPropIds") or []
    return bool(changed) and all(str(p).endswith(".n_intervals") for p in changed)


def _is_session_probe(request: flask.Request) -> bool:
    """The shell's periodic status callback, which also carries the URL."""
    if not request.path.endswith("_dash-update-component"):
        return False
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError:
        return False
    return SESSION_PROBE in str(body.get("output", ""))


def _audit(services: Services, *, actor: str, action: str) -> None:
    accounts.record_session(
        services, username=actor, action=action, remote_addr=flask.request.remote_addr
    )


def install(server: flask.Flask, *, session_minutes: float) -> None:
    """Adds /login, /logout and the guards to the Flask server."""
    idle_seconds = session_minutes * 60

    def services() -> Services:
        found: Services = server.extensions[EXTENSION]
        return found

    @server.route("/login", methods=["GET", "POST"])
    def login() -> ResponseReturnValue:
        if flask.request.method == "GET":
            message = (
                "Your session has ended; sign in again."
                if flask.request.args.get("expired")
                else ""
            )
            return login_page(message=message)
        if not _valid_csrf(flask.request.form.get("csrf_token")):
            return login_page(message="The form expired; try again.", status=400)
        username = (flask.request.form.get("username") or "").strip().lower()
        password = flask.request.form.get("password") or ""
        try:
            signed_in = accounts.sign_in(services(), username=username, password=password)
        except PdeError as exc:
            return login_page(message=str(exc), username=username, status=503)
        if signed_in is None:
            log.info("failed sign-in for %r", username)
            return login_page(
                message="Unknown user or wrong password.", username=username, status=401
            )
        found, must_change = signed_in.user, signed_in.must_change_password
        target = safe_next(flask.request.form.get("next"))
        flask.session.clear()
        now = time.time()
        flask.session.update(
            user={
                "username": found.username,
                "full_name": found.full_name,
                "role": found.role.value,
            },
            issued=now,
            seen=now,
            csrf=secrets.token_urlsafe(32),
            must_change=must_change,
        )
        flask.session.permanent = True
        _audit(services(), actor=found.username, action="user.sign_in")
        response = flask.redirect("/password" if must_change else target)
        response.set_cookie(CSRF_COOKIE, flask.session["csrf"], samesite="Strict", httponly=False)
        return response

    @server.route("/password", methods=["GET", "POST"])
    def password() -> ResponseReturnValue:
        user = current_user()
        if user is None:
            return flask.redirect("/login")
        if flask.request.method == "GET":
            return password_page()
        new = flask.request.form.get("password") or ""
        if new != (flask.request.form.get("confirm") or ""):
            return password_page(message="The two passwords differ.", status=400)
        try:
            accounts.change_password(services(), user, password=new)
        except accounts.WeakPasswordError as exc:
            return password_page(message=str(exc), status=400)
        except PdeError as exc:
            return password_page(message=str(exc), status=503)
        flask.session["must_change"] = False
        return flask.redirect("/")

    @server.route("/logout", methods=["POST"])
    def logout() -> ResponseReturnValue:
        user = current_user()
        if user is not None and _valid_csrf(flask.request.form.get("csrf_token")):
            _audit(services(), actor=user.username, action="user.sign_out")
            flask.session.clear()
        response = flask.redirect("/login")
        response.delete_cookie(CSRF_COOKIE)
        return response

    @server.before_request
    def guard() -> ResponseReturnValue | None:
        request = flask.request
        if request.path.startswith(PUBLIC_PREFIXES):
            return None
        user = current_user()
        now = time.time()
        expired = user is not None and (
            now - float(flask.session.get("seen", 0)) > idle_seconds
            or now - float(flask.session.get("issued", 0)) > MAX_SESSION_HOURS * 3600
        )
        if user is None or expired:
            if expired:
                flask.session.clear()
            if _is_session_probe(request):
                return flask.jsonify(multi=True, response={"url": {"href": "/login?expired=1"}})
            if request.path.startswith("/_dash"):
                return flask.jsonify(error="session ended; sign in again"), 401
            suffix = "&expired=1" if expired else ""
            return flask.redirect(f"/login?next={safe_next(request.full_path.rstrip('?'))}{suffix}")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token")
            if not _valid_csrf(sent):
                log.warning("CSRF check failed for %s %s", request.method, request.path)
                return flask.jsonify(error="missing or wrong CSRF token"), 403
        if not _is_refresh(request):
            flask.session["seen"] = now
        if flask.session.get("must_change") and request.path not in ("/password", "/logout"):
            if request.path.startswith("/_dash"):
                return flask.jsonify(error="choose a new password first"), 403
            return flask.redirect("/password")
        return None

    @server.after_request
    def headers(response: flask.Response) -> flask.Response:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if current_user() is not None and flask.request.cookies.get(
            CSRF_COOKIE
        ) != flask.session.get("csrf"):
            response.set_cookie(
                CSRF_COOKIE, str(flask.session.get("csrf")), samesite="Strict", httponly=False
            )
        return response


def csrf_field() -> str:
    """The session's CSRF token (for the sign-out form)."""
    return csrf_token()
