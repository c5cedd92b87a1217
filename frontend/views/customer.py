"""Parts of the Customer Deep Dive page: gauge, metrics, history, segment and work history."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from pde.frontend import ids
from pde.frontend.components import (
    Figure,
    empty,
    figure,
    money,
    pct,
    when,
)
from pde.frontend.services.catalogue import (
    ACTIONS,
    PRIORITIES_MOST_URGENT_FIRST,
    TIER_COLOURS,
    InterventionType,
    Priority,
)
from pde.frontend.services.customer import CustomerView
from pde.frontend.services.history import CustomerHistory
from pde.frontend.services.labels import human
from pde.frontend.services.work import StaffMember


def gauge(probability: float, tier: str) -> Figure:
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=probability * 100,
            number={"suffix": "%", "valueformat": ".1f"},
            gauge={
                # whole ticks with their unit; the margins leave room for "100%"
                "axis": {
                    "range": [0, 100],
                    "tickvals": [0, 20, 40, 60, 80, 100],
                    "ticksuffix": "%",
                },
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
    fig.update_layout(margin={"l": 36, "r": 44, "t": 24, "b": 8})
    return figure(fig, height=210)


def metrics(view: CustomerView) -> Any:
    p = view.profile
    limit, balance = p.credit_limit, p.outstanding_balance
    items = [
        ("Product", human(p.product)),
        ("Region", p.region),
        ("Employment", human(p.employment_type)),
        ("Income bracket", human(p.income_bracket)),
        ("Credit limit", money(limit)),
        ("Outstanding", money(balance)),
        ("Utilisation", pct(balance / limit if limit else None)),
        ("Monthly obligation", money(p.monthly_obligation)),
        ("Customer since", when(p.open_date)),
        ("Officer", view.officer or "unassigned"),
    ]
    return html.Dl(
        [x for k, v in items for x in (html.Dt(k), html.Dd(v))],
        className="metric-list row-cols-2 mb-0",
    )


def history_figure(view: CustomerView) -> Any:
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


def segment_table(view: CustomerView) -> Any:
    segment, score = view.segment, view.score
    if segment is None or score is None:
        return empty("No segment figures.")
    profile = view.profile
    rows = [
        ("30-day miss probability", pct(score.probability), pct(segment.mean_risk)),
        ("Outstanding balance", money(profile.outstanding_balance), money(segment.mean_balance)),
        ("Credit limit", money(profile.credit_limit), money(segment.mean_limit)),
        ("High-risk share", "–", pct(segment.high_share)),
    ]
    title = f"{human(segment.product)} segment ({segment.customers:,})"
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(""), html.Th("Customer"), html.Th(title)])),
            html.Tbody([html.Tr([html.Td(a), html.Td(b), html.Td(c)]) for a, b, c in rows]),
        ],
        size="sm",
        className="mb-0",
    )


def stored_reasons(view: CustomerView) -> Any:
    reasons = view.score.reasons if view.score else ()
    if not reasons:
        return empty("No reason codes stored with this score.")
    items = []
    for reason in reasons:
        name = human(reason.feature)
        items.append(
            html.Li(
                [
                    html.Span(name, className="fw-semibold"),
                    html.Span(
                        f" — {reason.text}" if reason.text and reason.text != name else "",
                        className="text-muted",
                    ),
                ]
            )
        )
    return html.Ul(items, className="mb-0 small")


def history_panel(history: CustomerHistory) -> Any:
    body = [
        html.Tr(
            [
                html.Td(f"#{r.id}"),
                html.Td(when(r.created_at)),
                html.Td(human(r.type)),
                html.Td(human(r.status)),
                html.Td(r.assigned_to or "–"),
                html.Td(", ".join(r.outcomes) or "–"),
            ]
        )
        for r in history.interventions
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
                f"{when(a.occurred_at)} · {a.actor} · {a.action} {a.entity_id}",
                className="feed-item",
            )
            for a in history.audit
        ]
    )
    return [table, html.Div("Audit trail", className="fw-semibold mt-2 mb-1 small"), audit]


def actions_panel(officers: list[StaffMember], *, disabled: bool, can_assign: bool) -> list[Any]:
    """Create an intervention; assign the customer (when the user may)."""
    actions = [
        html.Div("Create intervention", className="fw-semibold mb-1"),
        dbc.Select(
            id=ids.DD_CREATE_TYPE,
            options=[{"label": s.label, "value": k.value} for k, s in ACTIONS.items()],
            value=InterventionType.AGENT_CALL.value,
            className="mb-2",
            size="sm",
        ),
        dbc.Select(
            id=ids.DD_CREATE_PRIORITY,
            options=[{"label": p.capitalize(), "value": p} for p in PRIORITIES_MOST_URGENT_FIRST],
            value=Priority.HIGH.value,
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
    # Those who may not assign see no controls; they stay in the page (hidden) so the callback's
    # inputs exist.
    actions.append(
        html.Div(
            [
                html.Div("Assign customer to officer", className="fw-semibold mb-1"),
                dbc.Select(
                    id=ids.DD_ASSIGN_OFFICER,
                    options=[
                        {"label": f"{o.full_name} ({o.username})", "value": o.username}
                        for o in officers
                    ],
                    className="mb-2",
                    size="sm",
                ),
                dbc.Button(
                    [html.I(className="bi bi-person-check me-1"), "Assign"],
                    id=ids.DD_ASSIGN_BTN,
                    color="secondary",
                    size="sm",
                    disabled=disabled or not can_assign,
                ),
            ],
            hidden=not can_assign,
        )
    )
    return actions
