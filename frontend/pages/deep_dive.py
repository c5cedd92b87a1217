"""Customer Deep Dive: one customer's risk, why (live Explain), history, and actions."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html, no_update

from frontend import auth, ids
from frontend.components import (
    card,
    empty,
    figure,
    money,
    page_header,
    pct,
    tier_badge,
    unavailable,
    when,
)
from frontend.services import ServiceUnavailableError, current
from frontend.services import customer as customer_service
from frontend.services import work as work_service
from frontend.services.catalogue import ACTIONS, TIER_COLOURS
from frontend.services.explain import explain_customer, latest_activity_date
from frontend.services.portfolio import reason_name
from pde.errors import PdeError

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


def _officer_scope() -> str | None:
    user = auth.require_user()
    return user.username if user.role == "officer" else None


def layout(id: str | None = None, **kwargs: Any) -> Any:
    user = auth.require_user()
    status = current().status()
    try:
        with current().session() as session:
            top = customer_service.top_risk(session, officer=_officer_scope())
            officers = work_service.assignable_officers(session) if user.manages else []
    except ServiceUnavailableError as exc:
        return html.Div([page_header("Customer Deep Dive", ""), unavailable(str(exc))])
    selected = id or (top[0][0] if top else None)
    shortcuts = html.Div(
        [html.Span("Top 10 by risk:", className="small text-muted me-2")]
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
    actions = [
        html.Div("Create intervention", className="fw-semibold mb-1"),
        dbc.Select(
            id=ids.DD_CREATE_TYPE,
            options=[{"label": s.label, "value": k.value} for k, s in ACTIONS.items()],
            value="agent_call",
            className="mb-2",
            size="sm",
        ),
        dbc.Select(
            id=ids.DD_CREATE_PRIORITY,
            options=[
                {"label": p.capitalize(), "value": p} for p in ("critical", "high", "medium", "low")
            ],
            value="high",
            className="mb-2",
            size="sm",
        ),
        dbc.Input(
            id=ids.DD_CREATE_REASON,
            placeholder="Reason (shown to the approver)",
            className="mb-2",
            size="sm",
            maxLength=1000,
        ),
        dbc.Button(
            [html.I(className="bi bi-plus-circle me-1"), "Create"],
            id=ids.DD_CREATE_BTN,
            color="primary",
            size="sm",
            disabled=disabled,
            className="mb-3",
        ),
    ]
    # Officers do not assign; the controls stay in the page (hidden) so the callback's inputs exist.
    actions.append(
        html.Div(
            [
                html.Div("Assign customer to officer", className="fw-semibold mb-1"),
                dbc.Select(
                    id=ids.DD_ASSIGN_OFFICER,
                    options=[{"label": f"{n} ({u})", "value": u} for u, n in officers],
                    className="mb-2",
                    size="sm",
                ),
                dbc.Button(
                    [html.I(className="bi bi-person-check me-1"), "Assign"],
                    id=ids.DD_ASSIGN_BTN,
                    color="secondary",
                    size="sm",
                    disabled=disabled or not user.manages,
                ),
            ],
            hidden=not user.manages,
        )
    )
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
                                [*actions, html.Div(id=ids.DD_ACTION_RESULT, className="mt-2")],
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
        with current().session() as session:
            found = customer_service.search(session, text, officer=_officer_scope())
    except ServiceUnavailableError:
        return no_update
    return sorted(set(found) | ({value} if value else set()))


def _gauge(probability: float, tier: str) -> go.Figure:
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=probability * 100,
            number={"suffix": "%", "valueformat": ".1f"},
            gauge={
                "axis": {"range": [0, 100]},
                "bar": {"color": TIER_COLOURS.get(tier, "#333")},
                "steps": [
                    {"range": [0, 15], "color": "#e8f5e9"},
                    {"range": [15, 35], "color": "#fff8e1"},
                    {"range": [35, 60], "color": "#fff3e0"},
                    {"range": [60, 100], "color": "#ffebee"},
                ],
            },
        )
    )
    return figure(fig, height=210)


def _metrics(view: customer_service.CustomerView) -> Any:
    p = view.profile
    limit, balance = float(p["credit_limit"]), float(p["outstanding_balance"])
    items = [
        ("Product", str(p["product"]).replace("_", " ")),
        ("Region", p["region"]),
        ("Employment", str(p["employment_type"]).replace("_", " ")),
        ("Income bracket", str(p["income_bracket"]).replace("_", " ")),
        ("Credit limit", money(limit)),
        ("Outstanding", money(balance)),
        ("Utilisation", pct(balance / limit if limit else None)),
        ("Monthly obligation", money(float(p["monthly_obligation"]))),
        ("Customer since", when(p["open_date"])),
        ("Officer", view.officer or "unassigned"),
    ]
    return html.Dl(
        [x for k, v in items for x in (html.Dt(k), html.Dd(v))],
        className="metric-list row-cols-2 mb-0",
    )


def _history_fig(view: customer_service.CustomerView) -> Any:
    if len(view.history) < 1:
        return empty("No score history.")
    fig = go.Figure(
        go.Scatter(
            x=[d for d, _ in view.history],
            y=[p * 100 for _, p in view.history],
            mode="lines+markers",
            line={"color": "#12263f"},
        )
    )
    fig.update_layout(yaxis_title="risk (%)")
    return dcc.Graph(figure=figure(fig, height=220), config={"displayModeBar": False})


def _segment(view: customer_service.CustomerView) -> Any:
    s, score = view.segment, view.score
    if not s or score is None:
        return empty("No segment figures.")
    rows = [
        ("30-day miss probability", pct(score["probability"]), pct(s["mean_risk"])),
        (
            "Outstanding balance",
            money(float(view.profile["outstanding_balance"])),
            money(s["mean_balance"]),
        ),
        ("Credit limit", money(float(view.profile["credit_limit"])), money(s["mean_limit"])),
        ("High-risk share", "–", pct(s["high_share"])),
    ]
    return dbc.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th(""),
                        html.Th("Customer"),
                        html.Th(
                            f"{str(s['product']).replace('_', ' ')} segment ({s['customers']:,})"
                        ),
                    ]
                )
            ),
            html.Tbody([html.Tr([html.Td(a), html.Td(b), html.Td(c)]) for a, b, c in rows]),
        ],
        size="sm",
        className="mb-0",
    )


def _stored_reasons(view: customer_service.CustomerView) -> Any:
    reasons = (view.score or {}).get("top_reasons") or []
    if not reasons:
        return empty("No reason codes stored with this score.")
    items = []
    for r in reasons:
        name = reason_name(r) or "?"
        text = r.get("text") if isinstance(r, dict) else None
        items.append(
            html.Li(
                [
                    html.Span(name.replace("_", " "), className="fw-semibold"),
                    html.Span(
                        f" — {text}" if text and text != name.replace("_", " ") else "",
                        className="text-muted",
                    ),
                ]
            )
        )
    return html.Ul(items, className="mb-0 small")


def _history_table(customer_id: str) -> Any:
    with current().session() as session:
        rows = customer_service.history_of(session, customer_id)
        trail = customer_service.audit_of(session, customer_id, limit=12)
    body = [
        html.Tr(
            [
                html.Td(f"#{r['id']}"),
                html.Td(when(r["created_at"])),
                html.Td(str(r["type"]).replace("_", " ")),
                html.Td(str(r["status"]).replace("_", " ")),
                html.Td(r["assigned_to"] or "–"),
                html.Td(r["outcomes"] or "–"),
            ]
        )
        for r in rows
    ]
    table = (
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(h)
                            for h in ("#", "Created", "Action", "Status", "Officer", "Outcomes")
                        ]
                    )
                ),
                html.Tbody(body),
            ],
            size="sm",
            hover=True,
        )
        if body
        else empty("No interventions yet.")
    )
    audit = html.Div(
        [
            html.Div(
                f"{when(a['occurred_at'])} · {a['actor']} · {a['action']} {a['entity_id']}",
                className="feed-item",
            )
            for a in trail
        ]
    )
    return [table, html.Div("Audit trail", className="fw-semibold mt-2 mb-1 small"), audit]


@callback(
    Output(ids.DD_BODY, "children"),
    Input(ids.DD_SEARCH, "value"),
    Input(REFRESH, "data"),
)
def render(customer_id: str | None, _: int) -> Any:
    if not customer_id:
        return empty("Choose a customer.")
    try:
        with current().session() as session:
            view = customer_service.customer_view(session, customer_id)
        if view is None:
            return unavailable(f"Customer {customer_id} not found.")
        history = _history_table(customer_id)
    except ServiceUnavailableError as exc:
        return unavailable(str(exc))
    score = view.score
    head = html.Div(
        [
            html.H4(customer_id, className="d-inline me-2", id=ids.DD_CUSTOMER),
            tier_badge(str(score["tier"])) if score else dbc.Badge("not scored", color="secondary"),
        ]
        + (
            [
                html.Span(
                    f"  scored {when(view.snapshot.as_of)} · model {view.snapshot.model_version}",
                    className="small-muted ms-2",
                )
            ]
            if score and view.snapshot
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
                            figure=_gauge(score["probability"], str(score["tier"])),
                            config={"displayModeBar": False},
                        )
                        if score
                        else empty("Not scored."),
                    ),
                    md=4,
                ),
                dbc.Col(card("Key metrics", _metrics(view)), md=8),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(card("Score history", _history_fig(view)), md=6),
                dbc.Col(
                    [
                        card("Compared with the segment", _segment(view)),
                        card("Reason codes at scoring", _stored_reasons(view)),
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
    svc = current()
    try:
        with svc.session() as session:
            view = customer_service.customer_view(session, customer_id)
        if view is None:
            return empty("No such customer.")
        as_of = (
            view.snapshot.as_of
            if view.snapshot is not None
            else latest_activity_date(svc.settings.data_dir)
        )
        result = explain_customer(svc, customer_id=customer_id, profile=view.profile, as_of=as_of)
    except ServiceUnavailableError as exc:
        return unavailable(str(exc))
    except PdeError as exc:
        return unavailable(f"Explain failed: {exc}")
    if not result.reasons:
        return empty("No reason raises this customer's risk.")
    top = max(abs(c) for _, _, c, _ in result.reasons) or 1.0
    rows = [
        html.Div(
            [
                html.Div(
                    [html.Span(text or feature.replace("_", " "), className="fw-semibold small")]
                ),
                dbc.Progress(
                    value=abs(c) / top * 100,
                    color="danger" if c > 0 else "success",
                    style={"height": "6px"},
                    className="my-1",
                ),
                html.Div(f"{feature} = {value:,.3g} · {c:+.3f} log-odds", className="small-muted"),
            ],
            className="reason-row",
        )
        for feature, value, c, text in result.reasons
    ]
    return [
        html.Div(
            f"Live: {pct(result.probability)} · model {result.model_version}",
            className="small mb-2",
        ),
        *rows,
    ]


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
        user = auth.require_user()
        actor = work_service.Actor(user.username, user.role)
        with current().session() as session:
            if dash.ctx.triggered_id == ids.DD_ASSIGN_BTN:
                if not officer:
                    return dbc.Alert("Choose an officer.", color="info"), no_update
                work_service.assign_customer(
                    session, actor, customer_id=customer_id, officer=officer
                )
                message = f"{customer_id} is now assigned to {officer}."
            else:
                view = customer_service.customer_view(session, customer_id)
                score = view.score if view else None
                new_id = work_service.create(
                    session,
                    actor,
                    customer_id=customer_id,
                    kind=kind,
                    priority=priority,
                    reason=reason,
                    probability=float(score["probability"]) if score else None,
                    model_version=str(score["model_version"]) if score else None,
                    policy=current().policy,
                )
                message = f"Intervention #{new_id} created; it awaits a supervisor's approval."
    except (PdeError, PermissionError, ValueError) as exc:
        return dbc.Alert(str(exc), color="danger", className="py-2 small", id="dd-error"), no_update
    return dbc.Alert(message, color="success", className="py-2 small", id="dd-ok"), (
        refresh or 0
    ) + 1
