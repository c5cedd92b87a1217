"""The sign-in and password pages: plain HTML forms served by Flask, styled by the local
Bootstrap, each carrying a CSRF token (no inline script or style: the content security
policy allows none)."""

from __future__ import annotations

from html import escape
from urllib.parse import urlparse

import flask


def safe_next(target: str | None) -> str:
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · PDE Risk Console</title>
<link rel="stylesheet" href="/vendor/css/bootstrap.min.css">
<link rel="stylesheet" href="/assets/app.css"></head>
<body class="login-body"><main class="login-card card shadow-sm">
<div class="card-body p-4">
<div class="brand mb-1"><span class="brand-mark">PDE</span> Risk Console</div>
<p class="text-muted small mb-4">Pre-delinquency early warning · authorised staff only</p>
{message}
<form method="post" action="/login" autocomplete="off">
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<div class="mb-3"><label class="form-label" for="username">Username</label>
<input class="form-control" id="username" name="username" required autofocus
 maxlength="64" value="{username}"></div>
<div class="mb-3"><label class="form-label" for="password">Password</label>
<input class="form-control" id="password" name="password" type="password" required
 maxlength="256"></div>
<button class="btn btn-primary w-100" id="sign-in" type="submit">Sign in</button>
</form></div></main></body></html>"""


PASSWORD_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Choose a password · PDE Risk Console</title>
<link rel="stylesheet" href="/vendor/css/bootstrap.min.css">
<link rel="stylesheet" href="/assets/app.css"></head>
<body class="login-body"><main class="login-card card shadow-sm"><div class="card-body p-4">
<div class="brand mb-1"><span class="brand-mark">PDE</span> Risk Console</div>
<p class="text-muted small mb-4">Your password was set by an administrator: choose your own
(at least {min_length} characters) before you continue.</p>
{message}
<form method="post" action="/password" autocomplete="off">
<input type="hidden" name="csrf_token" value="{csrf}">
<div class="mb-3"><label class="form-label" for="new-password">New password</label>
<input class="form-control" id="new-password" name="password" type="password" required></div>
<div class="mb-3"><label class="form-label" for="confirm">Repeat it</label>
<input class="form-control" id="confirm" name="confirm" type="password" required></div>
<button class="btn btn-primary w-100" id="set-password" type="submit">Set password</button>
</form></div></main></body></html>"""


def password_page(*, csrf: str, message: str = "", status: int = 200) -> flask.Response:
    from pde.frontend.services.accounts import MIN_PASSWORD_LENGTH

    alert = (
        f'<div class="alert alert-danger py-2" id="password-error">{escape(message)}</div>'
        if message
        else ""
    )
    html = PASSWORD_PAGE.format(message=alert, csrf=escape(csrf), min_length=MIN_PASSWORD_LENGTH)
    return flask.Response(html, status=status, mimetype="text/html")


def login_page(
    *, csrf: str, message: str = "", username: str = "", status: int = 200
) -> flask.Response:
    alert = (
        f'<div class="alert alert-danger py-2" id="login-error">{escape(message)}</div>'
        if message
        else ""
    )
    html = LOGIN_PAGE.format(
        message=alert,
        csrf=escape(csrf),
        next=escape(safe_next(flask.request.args.get("next") or flask.request.form.get("next"))),
        username=escape(username),
    )
    return flask.Response(html, status=status, mimetype="text/html")


UNAVAILABLE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Unavailable · PDE Risk Console</title>
<link rel="stylesheet" href="/vendor/css/bootstrap.min.css">
<link rel="stylesheet" href="/assets/app.css"></head>
<body class="login-body"><main class="login-card card shadow-sm"><div class="card-body p-4">
<div class="brand mb-1"><span class="brand-mark">PDE</span> Risk Console</div>
<div class="alert alert-danger py-2 status-alert" id="unavailable">{message}</div>
<a class="btn btn-outline-secondary w-100" href="/">Try again</a>
</div></main></body></html>"""


def unavailable_page(message: str) -> flask.Response:
    """The answer when sessions cannot be checked (the database is down)."""
    html = UNAVAILABLE_PAGE.format(message=escape(message))
    return flask.Response(html, status=503, mimetype="text/html")
