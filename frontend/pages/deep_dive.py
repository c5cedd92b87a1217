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
    shown_value,
    tier_badge,
    unavailable,
    when,
)
from pde.frontend.services import ServiceUnavailableError, access, actions, current
from pde.frontend.services import customer as customer_service
from pde.frontend.services import work as work_service
from pde.frontend.services.explain import (
    Explained,
    LiveReason,
    explain_customer,
    replay_decision,
)
from pde.frontend.services.history import customer_history
from pde.frontend.services.labels import human
from pde.frontend.views import customer as parts
from pde.frontend.views.replay import replay_view

dash.register_page(  # type: ignore[no-untyped-call]
    __name__,
    path="/customer",
    name="Customer Deep Dive",
    order=2,
    icon="person-vcard",
    title="Customer · PDE",
)

REFRESH = "dd-refresh"
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
                    dbc.Col(dcc.Loading(html.Div(id=ids.DD_BODY), type="dot"), xl=9),
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
    except access.AccessDeniedError as exc:
        return forbidden(str(exc))
    except ServiceUnavailableError as exc:
        return unavailable(str(exc))
    score = view.score
    head = html.Div(
        [
            html.H4(customer_id, className="d-inline me-2", id=ids.DD_CUSTOMER),
            tier_badge(score.tier) if score else dbc.Badge("not scored", color="secondary"),
        ]
        + (
            [
                html.Span(
                    f"  scored {when(score.as_of)} · model {score.model_version}",
                    className="small-muted ms-2",
                )
            ]
            if score
            else []
        ),
        className="mb-2",
    )
    return [
        head,
        dbc.Row(
            [
                dbc.Col(
                    card(
                        "Risk",
                        dcc.Graph(
                            figure=parts.gauge(score.probability, score.tier),
                            config={"displayModeBar": False},
                        )
                        if score
                        else empty("Not scored."),
                    ),
                    md=4,
                ),
                dbc.Col(card("Key metrics", parts.metrics(view)), md=8),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(card("Score history", parts.history_figure(view)), md=6),
                dbc.Col(
                    [
                        card("Compared with the segment", parts.segment_table(view)),
                        card("Reason codes at scoring", parts.stored_reasons(view)),
                    ],
                    md=6,
                ),
            ]
        ),
        card("Interventions and history", history, class_name="history", extra=None),
    ]


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
    return _explained(result)


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


def _explained(result: Explained) -> list[Any]:
    head = [
        html.Div(
            f"Live: {pct(result.probability)} · model {result.model_version}"
            f" · as of {result.as_of:%Y-%m-%d}",
            className="small mb-1",
            id=ids.DD_EXPLAIN_HEAD,
        )
    ]
    if result.as_of_note:
        head.append(
            html.Div(result.as_of_note, className="small-muted mb-2", id=ids.DD_EXPLAIN_NOTE)
        )
    if not result.reasons:
        return [*head, empty("No reason raises this customer's risk."), *_protective(result)]
    top = max(abs(r.contribution) for r in (*result.reasons, *result.protective)) or 1.0
    return [*head, *(_reason_row(r, top) for r in result.reasons), *_protective(result)]


def _protective(result: Explained) -> list[Any]:
    if not result.protective:
        return []
    top = max(abs(r.contribution) for r in (*result.reasons, *result.protective)) or 1.0
    return [
        html.Div("Protective factors", className="small fw-semibold mt-2", id=ids.DD_PROTECTIVE),
        *(_reason_row(r, top) for r in result.protective),
    ]


def _reason_row(r: LiveReason, top: float) -> Any:
    """One reason: its standard code and text, the customer's value against what is usual,
    and a bar of its weight (red raises the risk, green lowers it)."""
    title = r.code_text or human(r.feature)
    return html.Div(
        [
            html.Div(
                [
                    html.Span(r.code, className="badge bg-secondary me-1") if r.code else None,
                    html.Span(title, className="fw-semibold small"),
                ]
            ),
            html.Div(r.text, className="small"),
            dbc.Progress(
                value=abs(r.contribution) / top * 100,
                color="danger" if r.contribution > 0 else "success",
                style={"height": "6px"},
                className="my-1",
            ),
            html.Div(
                f"{r.feature} = {shown_value(r.value)} · {r.contribution:+.3f} log-odds",
                className="small-muted",
            ),
        ],
        className="protective-row" if r.contribution < 0 else "reason-row",
    )


@callback(
    Output(ids.DD_ACTION_RESULT, "children"),
    Output(REFRESH, "data"),
    Input(ids.DD_CREATE_BTN, "n_clicks"),
    Input(ids.DD_ASSIGN_BTN, "n_clicks"),
    State(ids.DD_SEARCH, "value"),
    State(ids.DD_CREATE_TYPE, "value"),
    State(ids.DD_CREATE_PRIORITY, "value"),
    State(ids.DD_CREATE_REASON, "value"),
    State(ids.DD_ASSIGN_OFFICER, "value"),
    State(REFRESH, "data"),
    prevent_initial_call=True,
)
def act(  # noqa: PLR0917 - Dash passes callback arguments by position
    _: Any,
    __: Any,
    customer_id: str | None,
    kind: str,
    priority: str,
    reason: str | None,
    officer: str | None,
    refresh: int,
) -> tuple[Any, Any]:
    if not customer_id:
        return dbc.Alert("Choose a customer first.", color="info"), no_update
    try:
        user, services = auth.require_user(), current()
        if dash.ctx.triggered_id == ids.DD_ASSIGN_BTN:
            if not officer:
                return dbc.Alert("Choose an officer.", color="info"), no_update
            actions.assign_customer(services, user, customer_id=customer_id, officer=officer)
            message = f"{customer_id} is now assigned to {officer}."
        else:
            new_id = actions.create_intervention(
                services,
                user,
                customer_id=customer_id,
                kind=kind,
                priority=priority,
                reason=reason,
            )
            message = f"Intervention #{new_id} created; it awaits a supervisor's approval."
    except (PdeError, ValueError) as exc:
        return dbc.Alert(str(exc), color="danger", className="py-2 small", id="dd-error"), no_update
    return dbc.Alert(message, color="success", className="py-2 small", id="dd-ok"), (
        refresh or 0
    ) + 1
