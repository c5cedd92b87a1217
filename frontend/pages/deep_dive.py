"""Customer Deep Dive: one customer's risk, why (live Explain), history, and actions."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from pde.core.errors import PdeError
from pde.frontend import auth, ids
from pde.frontend.components import (
    card,
    empty,
    page_header,
    pct,
    unavailable,
)
from pde.frontend.pages import deep_dive_call  # the page's changes: actions, contact, promises
from pde.frontend.services import ServiceUnavailableError, access, current, insights
from pde.frontend.services import customer as customer_service
from pde.frontend.services import work as work_service
from pde.frontend.services.casework import call_panel
from pde.frontend.services.explain import explain_customer, replay_decision
from pde.frontend.services.history import customer_history
from pde.frontend.views import customer as parts
from pde.frontend.views import dive
from pde.frontend.views.explain import explained
from pde.frontend.views.replay import replay_view

dash.register_page(  # type: ignore[no-untyped-call]
    __name__,
    path="/customer",
    name="Customer Deep Dive",
    order=2,
    icon="person-vcard",
    title="Customer · PDE",
)

REFRESH = deep_dive_call.REFRESH
EXPLAIN_DOWN = "Explain needs the scoring service, which is unavailable."


def layout(id: str | None = None, **kwargs: Any) -> Any:
    user = auth.require_user()
    services = current()
    status = services.status()
    can_assign = access.can_assign_customers(user)
    try:
        top = customer_service.top_risk(services, user)
        officers = work_service.assignable_officers(services) if can_assign else []
    except ServiceUnavailableError as exc:
        return html.Div([page_header("Customer Deep Dive", ""), unavailable(str(exc))])
    selected = id or (top[0][0] if top else None)
    shortcuts = html.Div(
        [
            html.Span(
                "Top 10 by risk:" if top else "No scores yet: search a customer by id.",
                className="small text-muted me-2",
            )
        ]
        + [
            dcc.Link(
                f"{cid} · {pct(p, 0)}",
                href=f"/customer?id={cid}",
                className="btn btn-sm btn-outline-secondary me-1 mb-1",
            )
            for cid, p in top
        ],
        id=ids.DD_TOP,
    )
    disabled = not status.database_ok
    controls = parts.actions_panel(officers, disabled=disabled, can_assign=can_assign)
    return html.Div(
        [
            page_header(
                "Customer Deep Dive", "Why this customer is at risk, and what has been done"
            ),
            dcc.Store(id=REFRESH, data=0),
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Dropdown(
                            id=ids.DD_SEARCH,
                            options=[selected] if selected else [],
                            value=selected,
                            placeholder="Search a customer id…",
                            searchable=True,
                            clearable=False,
                        ),
                        md=4,
                    ),
                    dbc.Col(shortcuts, md=8),
                ],
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            # Outside the body, which the saves re-render.
                            html.Div(id=ids.DD_CONTACT_RESULT),
                            html.Div(id=ids.DD_PROMISE_RESULT),
                            dcc.Loading(html.Div(id=ids.DD_BODY), type="dot"),
                        ],
                        xl=9,
                    ),
                    dbc.Col(
                        [
                            card(
                                "Actions",
                                [*controls, html.Div(id=ids.DD_ACTION_RESULT, className="mt-2")],
                            ),
                            card(
                                "Live reason codes",
                                [
                                    dbc.Button(
                                        [html.I(className="bi bi-lightbulb me-1"), "Explain now"],
                                        id=ids.DD_EXPLAIN_BTN,
                                        size="sm",
                                        color="info",
                                        outline=True,
                                        disabled=not status.scoring_ok,
                                        className="mb-2",
                                    ),
                                    dcc.Loading(
                                        html.Div(
                                            id=ids.DD_EXPLAIN,
                                            children=None
                                            if status.scoring_ok
                                            else unavailable(EXPLAIN_DOWN),
                                        )
                                    ),
                                ],
                            ),
                            card(
                                "Replay the stored decision",
                                [
                                    dbc.Button(
                                        [html.I(className="bi bi-arrow-repeat me-1"), "Replay"],
                                        id=ids.DD_REPLAY_BTN,
                                        size="sm",
                                        color="secondary",
                                        outline=True,
                                        className="mb-2",
                                    ),
                                    dcc.Loading(html.Div(id=ids.DD_REPLAY)),
                                ],
                            ),
                        ],
                        xl=3,
                    ),
                ]
            ),
        ]
    )


@callback(
    Output(ids.DD_SEARCH, "options"),
    Input(ids.DD_SEARCH, "search_value"),
    State(ids.DD_SEARCH, "value"),
)
def search(text: str | None, value: str | None) -> Any:
    if not text:
        return no_update
    try:
        found = customer_service.search(current(), auth.require_user(), text)
    except ServiceUnavailableError:
        return no_update
    return sorted(set(found) | ({value} if value else set()))


@callback(
    Output(ids.DD_BODY, "children"),
    Input(ids.DD_SEARCH, "value"),
    Input(REFRESH, "data"),
)
def render(customer_id: str | None, _: int) -> Any:
    if not customer_id:
        return empty("Choose a customer.")
    try:
        services, user = current(), auth.require_user()
        view = customer_service.customer_view(services, user, customer_id)
        if view is None:
            return unavailable(f"Customer {customer_id} not found.")
        history = parts.history_panel(customer_history(services, user, customer_id))
        panel = call_panel(services, user, customer_id)
        signals = insights.signals(services, user, view)
    except access.AccessDeniedError as exc:
        return forbidden(str(exc))
    except ServiceUnavailableError as exc:
        return unavailable(str(exc))
    score = view.score
    settings = services.settings
    worth = insights.worth(settings, view.profile, score.probability) if score else None
    lines = insights.behaviour(view, panel.facts, signals)
    return dive.body(
        view,
        panel,
        history,
        signals=signals,
        worth=worth,
        lines=lines,
        lgd=settings.loss_given_default,
        income_rate=settings.income_rate,
    )


@callback(
    Output(ids.DD_EXPLAIN, "children"),
    Input(ids.DD_EXPLAIN_BTN, "n_clicks"),
    State(ids.DD_SEARCH, "value"),
    prevent_initial_call=True,
)
def explain(_: Any, customer_id: str | None) -> Any:
    if not customer_id:
        return no_update
    try:
        result = explain_customer(current(), auth.require_user(), customer_id=customer_id)
    except access.AccessDeniedError as exc:
        return forbidden(str(exc))
    except ServiceUnavailableError as exc:
        return unavailable(str(exc))
    except PdeError as exc:
        return unavailable(f"Explain failed: {exc}")
    return explained(result)


@callback(
    Output(ids.DD_REPLAY, "children"),
    Input(ids.DD_REPLAY_BTN, "n_clicks"),
    State(ids.DD_SEARCH, "value"),
    prevent_initial_call=True,
)
def replay(_: Any, customer_id: str | None) -> Any:
    """Recomputes the shown stored score with the bundle that made it (local, no gRPC)."""
    if not customer_id:
        return no_update
    try:
        services, user = current(), auth.require_user()
        view = customer_service.customer_view(services, user, customer_id)
        score = view.score if view is not None else None
        if score is None:
            return empty("Not scored: there is no stored decision to replay.")
        result = replay_decision(
            services,
            user,
            customer_id=customer_id,
            as_of=score.as_of,
            model_version=score.model_version,
        )
    except access.AccessDeniedError as exc:
        return dbc.Alert(f"Not allowed: {exc}.", color="warning", className="replay-forbidden")
    except ServiceUnavailableError as exc:
        return unavailable(str(exc))
    except PdeError as exc:
        return unavailable(f"Replay failed: {exc}")
    return replay_view(
        as_of=result.as_of,
        model_version=result.model_version,
        probability=result.probability,
        tier=result.tier,
        differences=result.differences,
    )


def forbidden(reason: str) -> Any:
    return dbc.Alert(f"Not allowed: {reason}.", color="warning", id=ids.DD_FORBIDDEN)
