"""What every response carries: security headers (a content security policy Dash can live
with, framing refused, no MIME sniffing, a referrer policy, HSTS over HTTPS), the cookie
options (HttpOnly, SameSite, Secure over HTTPS or when PDE_COOKIE_SECURE says so), and error
answers without tracebacks."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import flask
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from pde.core.errors import PdeError
from pde.frontend.services.access import AccessDeniedError
from pde.frontend.services.base import ServiceUnavailableError

if TYPE_CHECKING:
    import dash

    from pde.core.settings import Settings

log = logging.getLogger(__name__)

HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(script_hashes: list[str]) -> str:
    """Scripts only from the app itself plus Dash's own inline scripts (by hash); styles from
    the app and inline (Plotly and Dash set styles at run time); no plugins, no framing."""
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def is_https(settings: Settings) -> bool:
    """Whether this request's cookies are Secure (and HSTS is sent)."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return flask.request.is_secure


def cookie_options(
    settings: Settings, *, http_only: bool = True, same_site: str = "Lax"
) -> dict[str, Any]:
    return {
        "httponly": http_only,
        "samesite": same_site,
        "secure": is_https(settings),
        "path": "/",
    }


def install(app: dash.Dash, settings: Settings) -> None:
    """Adds the headers and the error answers to the app's Flask server."""
    server: flask.Flask = app.server  # type: ignore[assignment]
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            server.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n
        )

    @server.after_request
    def headers(response: flask.Response) -> flask.Response:
        # Dash adds its inline scripts when it sets up on the first request: hashed each time.
        policy = content_security_policy(list(app.csp_hashes()))
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if is_https(settings):
            response.headers["Strict-Transport-Security"] = HSTS
        if not flask.request.path.startswith(("/vendor/", "/assets/", "/_dash-component-suites/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @server.errorhandler(AccessDeniedError)
    def forbidden(exc: AccessDeniedError) -> tuple[flask.Response, int]:
        return flask.jsonify(error=f"Not allowed: {exc}"), 403

    @server.errorhandler(ServiceUnavailableError)
    def unavailable(exc: ServiceUnavailableError) -> tuple[flask.Response, int]:
        return flask.jsonify(error=str(exc)), 503

    @server.errorhandler(PdeError)
    def refused(exc: PdeError) -> tuple[flask.Response, int]:
        return flask.jsonify(error=str(exc)), 400

    @server.errorhandler(Exception)
    def failed(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return exc
        log.exception("unexpected error on %s %s", flask.request.method, flask.request.path)
        return flask.jsonify(error="internal error: the app's log has the details"), 500
