"""Sign-in, server-side sessions, roles and CSRF protection for the Flask server under Dash.

- Sign-in checks the `users` table (argon2id) with throttling per username and per client
  address (pde.db.login), and is audited.
- The `pde_session` cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) holds only a random
  token; the session lives in the database (pde.db.sessions). Every request re-reads the
  user's role and active flag from there, so signing out, deactivation or a password reset
  end the session at once. A session ends after `session_minutes` without user activity
  (interval refreshes do not count) and after MAX_SESSION_HOURS in any case.
- Every state-changing request needs the session's CSRF token: Dash's renderer sends the
  `_csrf_token` cookie back as the `X-CSRFToken` header; HTML forms carry it as a field. The
  sign-in form, before any session, uses a double-submit token (`pde_login` cookie).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets

import flask
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as WerkzeugResponse

from pde.core.errors import PdeError
from pde.core.settings import Settings
from pde.frontend import security
from pde.frontend.auth_pages import login_page, password_page, safe_next, unavailable_page
from pde.frontend.services import accounts
from pde.frontend.services.access import SignedIn
from pde.frontend.services.base import EXTENSION, Services, ServiceUnavailableError

log = logging.getLogger(__name__)

SESSION_COOKIE = "pde_session"
CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
LOGIN_COOKIE = "pde_login"
MAX_SESSION_HOURS = accounts.MAX_SESSION_HOURS
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
    """The signed-in user of this request (checked against the database), or None."""
    if not flask.has_request_context():
        return None
    user = flask.g.get("pde_user")
    return user if isinstance(user, SignedIn) else None


def require_user() -> SignedIn:
    """The signed-in user; what they may do is `services.access`'s decision."""
    user = current_user()
    if user is None:
        raise SessionEndedError("your session has ended; sign in again")
    return user


def csrf_field() -> str:
    """The session's CSRF token (for the sign-out form)."""
    return str(flask.g.get("pde_csrf") or "")


def _same(expected: str | None, sent: str | None) -> bool:
    return bool(expected) and bool(sent) and hmac.compare_digest(expected or "", sent or "")


def _callback_body(request: flask.Request) -> dict[str, object]:
    if not request.path.endswith("_dash-update-component"):
        return {}
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _is_refresh(request: flask.Request) -> bool:
    """A callback fired only by a dcc.Interval (not by the user)."""
    changed = _callback_body(request).get("changedPropIds") or []
    return (
        isinstance(changed, list)
        and bool(changed)
        and all(str(p).endswith(".n_intervals") for p in changed)
    )


def _is_session_probe(request: flask.Request) -> bool:
    """The shell's periodic status callback, which also carries the URL."""
    return SESSION_PROBE in str(_callback_body(request).get("output", ""))


def _login_form(
    settings: Settings, *, message: str = "", username: str = "", status: int = 200
) -> flask.Response:
    token = secrets.token_urlsafe(32)
    response = login_page(csrf=token, message=message, username=username, status=status)
    response.set_cookie(
        LOGIN_COOKIE, token, **security.cookie_options(settings, same_site="Strict")
    )
    return response


def _ended(request: flask.Request, *, expired: bool) -> ResponseReturnValue:
    response: flask.Response | WerkzeugResponse
    if _is_session_probe(request):
        response = flask.jsonify(multi=True, response={"url": {"href": "/login?expired=1"}})
    elif request.path.startswith("/_dash"):
        response = flask.jsonify(error="session ended; sign in again")
        response.status_code = 401
    else:
        suffix = "&expired=1" if expired else ""
        response = flask.redirect(f"/login?next={safe_next(request.full_path.rstrip('?'))}{suffix}")
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def install(server: flask.Flask, *, session_minutes: float) -> None:
    """Adds /login, /password, /logout and the guards to the Flask server."""

    def services() -> Services:
        found: Services = server.extensions[EXTENSION]
        return found

    def settings() -> Settings:
        return services().settings

    @server.route("/login", methods=["GET", "POST"])
    def login() -> ResponseReturnValue:
        request = flask.request
        if request.method == "GET":
            expired = (
                "Your session has ended; sign in again." if request.args.get("expired") else ""
            )
            return _login_form(settings(), message=expired)
        if not _same(request.cookies.get(LOGIN_COOKIE), request.form.get("csrf_token")):
            return _login_form(settings(), message="The form expired; try again.", status=400)
        username = (request.form.get("username") or "").strip().lower()[:64]
        password = request.form.get("password") or ""
        try:
            result = accounts.sign_in(
                services(), username=username, password=password, address=request.remote_addr
            )
        except PdeError as exc:
            return _login_form(settings(), message=str(exc), username=username, status=503)
        if isinstance(result, accounts.LockedOut):
            log.warning(
                "sign-in refused while locked out: %r from %s", username, request.remote_addr
            )
            return _login_form(
                settings(),
                message="Too many failed sign-ins: try again after "
                f"{result.until:%H:%M} UTC, or ask an administrator.",
                username=username,
                status=429,
            )
        if result is None:
            log.info("failed sign-in for %r", username)
            return _login_form(
                settings(), message="Unknown user or wrong password.", username=username, status=401
            )
        target = "/password" if result.must_change_password else safe_next(request.form.get("next"))
        response = flask.redirect(target)
        options = security.cookie_options(settings())
        response.set_cookie(
            SESSION_COOKIE, result.token, max_age=int(MAX_SESSION_HOURS * 3600), **options
        )
        csrf_options = security.cookie_options(settings(), http_only=False, same_site="Strict")
        response.set_cookie(CSRF_COOKIE, result.csrf_token, **csrf_options)
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    @server.route("/password", methods=["GET", "POST"])
    def password() -> ResponseReturnValue:
        user = require_user()
        csrf = csrf_field()
        if flask.request.method == "GET":
            return password_page(csrf=csrf)
        new = flask.request.form.get("password") or ""
        if new != (flask.request.form.get("confirm") or ""):
            return password_page(csrf=csrf, message="The two passwords differ.", status=400)
        try:
            accounts.change_password(services(), user, password=new)
        except accounts.WeakPasswordError as exc:
            return password_page(csrf=csrf, message=str(exc), status=400)
        except PdeError as exc:
            return password_page(csrf=csrf, message=str(exc), status=503)
        return flask.redirect("/")

    @server.route("/logout", methods=["POST"])
    def logout() -> ResponseReturnValue:
        # The guard has checked the session and the form's CSRF token.
        token = flask.request.cookies.get(SESSION_COOKIE) or ""
        accounts.sign_out(services(), token=token, address=flask.request.remote_addr)
        response = flask.redirect("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    @server.before_request
    def guard() -> ResponseReturnValue | None:
        request = flask.request
        if request.path.startswith(PUBLIC_PREFIXES):
            return None
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return _ended(request, expired=False)
        try:
            lookup = accounts.resolve(
                services(),
                token=token,
                idle_minutes=session_minutes,
                touch=not _is_refresh(request),
            )
        except ServiceUnavailableError as exc:
            return _unavailable(request, str(exc))
        found = accounts.active(lookup)
        if found is None:
            return _ended(request, expired=lookup.expired)
        flask.g.pde_user, flask.g.pde_csrf = found.user, found.csrf_token
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token")
            if not _same(found.csrf_token, sent):
                log.warning("CSRF check failed for %s %s", request.method, request.path)
                return flask.jsonify(error="missing or wrong CSRF token"), 403
        if found.must_change_password and request.path not in ("/password", "/logout"):
            if request.path.startswith("/_dash"):
                return flask.jsonify(error="choose a new password first"), 403
            return flask.redirect("/password")
        return None

    @server.after_request
    def csrf_cookie(response: flask.Response) -> flask.Response:
        token = flask.g.get("pde_csrf")
        if (
            token
            and flask.request.cookies.get(CSRF_COOKIE) != token
            and flask.request.path != "/logout"
        ):
            # Read by Dash's renderer (so not HttpOnly), sent back as the X-CSRFToken header.
            options = security.cookie_options(settings(), http_only=False, same_site="Strict")
            response.set_cookie(CSRF_COOKIE, token, **options)
        return response


def _unavailable(request: flask.Request, message: str) -> flask.Response:
    """Sessions cannot be checked: the database is down. Pages and callbacks say so."""
    if _is_session_probe(request):
        from pde.frontend.status import banner_answer

        return banner_answer(message)
    if request.path.startswith("/_dash"):
        response = flask.jsonify(error=message)
        response.status_code = 503
        return response
    return unavailable_page(message)
