"""Data Management (admins): demo data, retraining, promotion, jobs with progress, users."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from pde.core.errors import PdeError
from pde.frontend import auth, ids
from pde.frontend.components import card, page_header, unavailable
from pde.frontend.services import access, current
from pde.frontend.services import jobs as job_service
from pde.frontend.services import models as model_service
from pde.frontend.services import users as user_service
from pde.frontend.views import admin

DEFAULT_CUSTOMERS = 30_000

dash.register_page(  # type: ignore[no-untyped-call]
    __name__,
    path="/admin/data",
    name="Data",
    order=6,
    icon="database-gear",
    title="Data Management · PDE",
    roles=access.ADMINISTRATORS,
)


def layout(**kwargs: Any) -> Any:
    user = auth.require_user()
    if not access.can_open_page(user, access.ADMINISTRATORS):
        return html.Div(
            [
                page_header("Data Management", ""),
                dbc.Alert(
                    "Data Management is for administrators.", color="warning", id="dm-forbidden"
                ),
            ]
        )
    services = current()
    versions = model_service.bundles(services.settings.model_dir)
    champion = model_service.current_version(services.settings.model_dir)
    db_ok = services.status().database_ok
    data = [
        html.P(
            f"Simulates customers into {services.settings.data_dir}, then migrates the database and"
            " loads the demo set (pde simulate, pde db upgrade, pde db seed-demo).",
            className="small text-muted",
        ),
        dbc.InputGroup(
            [
                dbc.InputGroupText("Customers"),
                dbc.Input(
                    id=ids.DM_CUSTOMERS,
                    type="number",
                    min=100,
                    max=300_000,
                    step=100,
                    value=DEFAULT_CUSTOMERS,
                ),
            ],
            size="sm",
            className="mb-2",
        ),
        dbc.Button(
            [html.I(className="bi bi-database-add me-1"), "Generate demo data"],
            id=ids.DM_GENERATE,
            color="primary",
            size="sm",
            disabled=not db_ok,
        ),
    ]
    models = [
        html.P(
            f"Trains the ensemble on {services.settings.data_dir} into a new bundle (pde train);"
            " promotion is a separate, audited step.",
            className="small text-muted",
        ),
        dbc.Checkbox(
            id=ids.DM_QUICK, label="Quick training (few trees)", value=True, className="mb-2 small"
        ),
        dbc.Button(
            [html.I(className="bi bi-cpu me-1"), "Retrain"],
            id=ids.DM_RETRAIN,
            color="primary",
            size="sm",
            className="mb-3",
        ),
        html.Div("Promote a bundle to champion", className="fw-semibold small mb-1"),
        dbc.Select(
            id=ids.DM_BUNDLE,
            options=[
                {"label": v + (" (champion)" if v == champion else ""), "value": v}
                for v in reversed(versions)
            ],
            value=champion,
            size="sm",
            className="mb-2",
        ),
        dbc.Checkbox(
            id=ids.DM_FORCE,
            label="Force past the gate (a weaker challenger; audited)",
            value=False,
            className="small",
        ),
        dbc.Input(id=ids.DM_FORCE_REASON, placeholder="reason for forcing", size="sm"),
        dbc.FormFeedback("A forced promotion needs a reason (it is audited).", type="invalid"),
        dbc.Button(
            [html.I(className="bi bi-trophy me-1"), "Promote"],
            id=ids.DM_PROMOTE,
            color="warning",
            size="sm",
            className="mt-2",
            disabled=not versions or not db_ok,
        ),
    ]
    users = [
        html.Div(id=ids.DM_USERS),
        dbc.Row(
            [
                dbc.Col(dbc.Input(id=ids.DM_NEW_USERNAME, placeholder="username", size="sm"), md=3),
                dbc.Col(dbc.Input(id=ids.DM_NEW_NAME, placeholder="full name", size="sm"), md=4),
                dbc.Col(
                    dbc.Select(
                        id=ids.DM_NEW_ROLE,
                        options=[{"label": r.value, "value": r.value} for r in access.ROLES],
                        value=access.ROLES[0].value,
                        size="sm",
                    ),
                    md=2,
                ),
                dbc.Col(
                    dbc.Button(
                        "Add user",
                        id=ids.DM_CREATE_USER,
                        size="sm",
                        color="secondary",
                        disabled=not db_ok,
                    ),
                    md=3,
                ),
            ],
            className="g-2 mt-2",
        ),
        dbc.Row(
            [
                dbc.Col(
                    dbc.Input(
                        id=ids.DM_TOGGLE_USER,
                        placeholder="username to activate / deactivate",
                        size="sm",
                    ),
                    md=6,
                ),
                dbc.Col(
                    dbc.Button(
                        "Toggle active",
                        id="dm-toggle-btn",
                        size="sm",
                        color="secondary",
                        outline=True,
                        disabled=not db_ok,
                    ),
                    md=3,
                ),
            ],
            className="g-2 mt-1",
        ),
    ]
    return html.Div(
        [
            page_header("Data Management", "Data, models and users · administrators only"),
            dcc.Interval(id=ids.DM_INTERVAL, interval=2000),
            html.Div(id=ids.DM_RESULT),
            dbc.Row(
                [
                    dbc.Col([card("Demo data", data), card("Models", models)], lg=4),
                    dbc.Col([card("Jobs", html.Div(id=ids.DM_JOBS)), card("Users", users)], lg=8),
                ]
            ),
        ]
    )


@callback(
    Output(ids.DM_JOBS, "children"),
    Output(ids.DM_USERS, "children"),
    Input(ids.DM_INTERVAL, "n_intervals"),
    Input(ids.DM_RESULT, "children"),
)
def refresh(_: Any, __: Any) -> tuple[Any, Any]:
    services, user = current(), auth.require_user()
    if not access.can_open_page(user, access.ADMINISTRATORS):
        refusal = not_allowed()
        return refusal, refusal
    try:
        jobs = admin.jobs_view(job_service.recent_jobs(services, user))
        users = admin.users_view(user_service.list_users(services, user))
    except PdeError as exc:  # the database is unavailable
        return unavailable(str(exc)), unavailable(str(exc))
    return jobs, users


def not_allowed() -> Any:
    return dbc.Alert(
        "Not allowed: Data Management is for administrators.", color="warning", id="dm-forbidden"
    )


@callback(
    Output(ids.DM_RESULT, "children"),
    Output(ids.DM_FORCE_REASON, "invalid"),
    Input(ids.DM_GENERATE, "n_clicks"),
    Input(ids.DM_RETRAIN, "n_clicks"),
    Input(ids.DM_PROMOTE, "n_clicks"),
    Input(ids.DM_CREATE_USER, "n_clicks"),
    Input("dm-toggle-btn", "n_clicks"),
    State(ids.DM_CUSTOMERS, "value"),
    State(ids.DM_QUICK, "value"),
    State(ids.DM_BUNDLE, "value"),
    State(ids.DM_NEW_USERNAME, "value"),
    State(ids.DM_NEW_NAME, "value"),
    State(ids.DM_NEW_ROLE, "value"),
    State(ids.DM_TOGGLE_USER, "value"),
    State(ids.DM_FORCE, "value"),
    State(ids.DM_FORCE_REASON, "value"),
    prevent_initial_call=True,
)
def act(*args: Any) -> tuple[Any, bool]:
    force, reason = args[12:]
    reason = (reason or "").strip() if force else ""
    missing = dash.ctx.triggered_id == ids.DM_PROMOTE and bool(force) and not reason
    return _act(*args[:12], force_reason=reason or None, missing_reason=missing), missing


def _act(*args: Any, force_reason: str | None, missing_reason: bool) -> Any:
    customers, quick, bundle, username, full_name, role, toggle = args[5:]
    trigger = dash.ctx.triggered_id
    try:
        user, services = auth.require_user(), current()
        if not access.can_open_page(user, access.ADMINISTRATORS):
            return not_allowed()
        if trigger == ids.DM_GENERATE:
            job = job_service.start_demo_data(
                services, user, customers=int(customers or DEFAULT_CUSTOMERS)
            )
            message = f"Job #{job.job_id} started: {job.title}."
        elif trigger == ids.DM_RETRAIN:
            job = job_service.start_retrain(services, user, quick=bool(quick))
            message = f"Job #{job.job_id} started: {job.title}."
        elif trigger == ids.DM_PROMOTE:
            if not bundle:
                raise PdeError("choose a bundle")
            if missing_reason:
                raise PdeError("Give a reason to force the promotion.")
            done = model_service.promote(services, user, bundle, force_reason=force_reason)
            message = f"{done.version} is the champion and the current bundle."
            if done.served_version is not None:
                message += f" The scoring server now serves {done.served_version}."
            if done.reload_error is not None:
                message += (
                    f" The bundle was promoted but the server did not reload: {done.reload_error}"
                )
        elif trigger == ids.DM_CREATE_USER:
            password = user_service.create_user(
                services, user, username=username or "", full_name=full_name or "", role=role
            )
            return dbc.Alert(
                [f"User {username} created. One-time password (shown once): ", html.Code(password)],
                color="success",
                dismissable=True,
            )
        else:
            if not toggle:
                raise PdeError("give a username")
            active = user_service.toggle_active(services, user, username=toggle)
            message = f"{toggle} is now {'active' if active else 'deactivated'}."
    except (PdeError, ValueError) as exc:
        return dbc.Alert(str(exc), color="danger", dismissable=True)
    return dbc.Alert(message, color="success", dismissable=True)
