"""Parts of the Customer Deep Dive page: gauge, metrics, history, segment and work history."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from pde.frontend import ids
from pde.frontend.components import (
    empty,
    figure,
    money,
    pct,
    when,
)
from pde.frontend.services import current
from pde.frontend.services import customer as customer_service
from pde.frontend.services.catalogue import ACTIONS, TIER_COLOURS
from pde.frontend.services.portfolio import reason_name


def gauge(probability: float, tier: str) -> go.Figure:
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


def metrics(view: customer_service.CustomerView) -> Any:
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


def history_figure(view: customer_service.CustomerView) -> Any:
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


def segment_table(view: customer_service.CustomerView) -> Any:
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


def stored_reasons(view: customer_service.CustomerView) -> Any:
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


def history_panel(customer_id: str) -> Any:
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


def actions_panel(officers: list[tuple[str, str]], *, disabled: bool, manages: bool) -> list[Any]:
    """Create an intervention; assign the customer (supervisors and admins only)."""
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
                    disabled=disabled or not manages,
                ),
            ],
            hidden=not manages,
        )
    )
    return actions
