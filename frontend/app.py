"""The app shell: `create_app(settings)` builds the Flask server, sign-in, the Dash pages, the
navbar from `dash.page_registry`, and the status banner. Nothing is loaded from a CDN."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, dcc, html

from pde.frontend import auth, downloads, ids, security, status
from pde.frontend.services import access, accounts, portfolio
from pde.frontend.services.base import EXTENSION, Services

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from pde.client.sync import RiskClient
    from pde.core.settings import Settings

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TITLE = "PDE Risk Console"
MAX_REQUEST_BYTES = 2 * 1024 * 1024  # a callback's body; larger requests are refused (413)


def bootstrap_static() -> Path:
    """Bootstrap 5 CSS/JS and Bootstrap Icons shipped by the bootstrap-flask wheel."""
    import flask_bootstrap

    return Path(flask_bootstrap.__file__).resolve().parent / "static" / "bootstrap5"


def _risk_client_factory(settings: Settings) -> Callable[[], RiskClient]:
    def make() -> RiskClient:
        from pde.client.sync import RiskClient

        return RiskClient.from_settings(settings, timeout=5.0)

    return make


def _navbar() -> dbc.Navbar:
    user = auth.current_user()
    links = []
    for page in dash.page_registry.values():
        if not access.can_open_page(user, page.get("roles")):
            continue
        links.append(
            dbc.NavItem(
                dbc.NavLink(
                    [html.I(className=f"bi bi-{page.get('icon', 'circle')} me-1"), page["name"]],
                    href=page["relative_path"],
                    active="exact",
                    id=f"nav-{page['module'].rsplit('.', 1)[-1]}",
                )
            )
        )
    who = (
        html.Div(
            [
                html.Span(
                    [html.I(className="bi bi-person-circle me-1"), user.full_name], className="me-2"
                ),
                html.Span(user.role.value, className="badge role-badge me-3"),
                html.Form(
                    [
                        dcc.Input(type="hidden", name="csrf_token", value=auth.csrf_field()),
                        html.Button(
                            "Sign out",
                            className="btn btn-sm btn-outline-light",
                            id="sign-out",
                            type="submit",
                        ),
                    ],
                    method="post",
                    action="/logout",
                    className="d-inline",
                ),
            ],
            className="d-flex align-items-center text-light small",
        )
        if user
        else ""
    )
    return dbc.Navbar(
        dbc.Container(
            [
                html.A(
                    [html.Span("PDE", className="brand-mark"), " Risk Console"],
                    href="/",
                    className="navbar-brand brand",
                ),
                dbc.Nav(links, navbar=True, className="me-auto", id=ids.NAV),
                who,
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="app-navbar mb-3",
    )


def _shell() -> html.Div:
    return html.Div(
        [
            dcc.Location(id=ids.URL),
            _navbar(),
            dbc.Container(
                [
                    html.Div(id=ids.STATUS_BANNER, children=status.banner()),
                    dcc.Interval(id=ids.STATUS_INTERVAL, interval=15_000),
                    dash.page_container,
                ],
                fluid=True,
                className="app-body",
            ),
        ]
    )


def create_app(
    settings: Settings,
    *,
    session_minutes: float | None = None,
    engine: Engine | None = None,
    client_factory: Callable[[], RiskClient] | None = None,
) -> dash.Dash:
    """The Dash app on its own Flask server; run `app.server` under a WSGI server."""
    from pde.db.engine import get_engine
    from pde.frontend.services.jobs import JobRunner

    settings.app_secret()  # refuses the published placeholder outside development
    # No Flask SECRET_KEY: nothing may use Flask's signed-cookie session (sessions are rows in
    # the database, see auth).
    server = flask.Flask("frontend", static_folder=None)
    server.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES)
    services = Services(
        settings=settings,
        engine=engine or get_engine(),
        client_factory=client_factory or _risk_client_factory(settings),
        jobs=JobRunner(run_worker=settings.app_runs_jobs),
    )
    server.extensions[EXTENSION] = services
    services.start_warm_up(accounts.prune_sessions, portfolio.warm)
    static = bootstrap_static()

    @server.route("/vendor/<path:filename>")
    def vendor(filename: str) -> flask.Response:
        return flask.send_from_directory(static, filename, max_age=86_400)

    auth.install(server, session_minutes=session_minutes or settings.session_minutes)
    downloads.install(server)
    app = dash.Dash(
        "pde.frontend",
        server=server,  # type: ignore[arg-type]
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        serve_locally=True,
        external_stylesheets=[
            "/vendor/css/bootstrap.min.css",
            "/vendor/css/font/bootstrap-icons.min.css",
        ],
        suppress_callback_exceptions=True,
        title=TITLE,
        update_title=None,  # type: ignore[arg-type]
    )
    app.layout = _shell
    security.install(app, settings)

    # Also the way an open page learns its session ended: the sign-in guard answers this
    # callback with a redirect to the sign-in page (see auth.SESSION_PROBE).
    @app.callback(
        Output(ids.STATUS_BANNER, "children"),
        Output(ids.URL, "href"),
        Input(ids.STATUS_INTERVAL, "n_intervals"),
        prevent_initial_call=True,
    )
    def refresh_banner(_: int | None) -> tuple[list[Any], Any]:
        return status.banner(), dash.no_update

    _set_up_now(app)
    return app


def _set_up_now(app: dash.Dash) -> None:
    """Dash's own first-request hooks (the callbacks gathered from the pages, the page
    router's, the layout checked, the script tags) run now, before the first request, instead
    of during it: Dash flags each done as it starts, so a request arriving meanwhile on
    another thread (a browser loads a page's parts in parallel, a worker just started) was
    answered with half the callbacks, and the page stayed dead until reloaded. The app's own
    hooks (sign-in, security) are left to the requests.

    Dash moves the `@callback`s from its global registry into the first app set up; they are
    put back, so that another app built in the same process (tests, `pde bench frontend`) has
    them too: the views' are registered once per process, when imported, while the pages are
    executed again by each app and register theirs again, so an app keeps one callback per
    output (the last registered, as Dash's own map does)."""
    from dash import _callback

    registered = list(_callback.GLOBAL_CALLBACK_LIST)
    registered_map = dict(_callback.GLOBAL_CALLBACK_MAP)
    server = app.server
    try:
        with server.test_request_context("/"):
            for hook in list(server.before_request_funcs.get(None, [])):
                if getattr(hook, "__module__", "").startswith("dash."):
                    hook()
    finally:
        _callback.GLOBAL_CALLBACK_LIST[:] = registered
        _callback.GLOBAL_CALLBACK_MAP.update(registered_map)
    by_output = {entry["output"]: entry for entry in app._callback_list}
    app._callback_list[:] = list(by_output.values())
