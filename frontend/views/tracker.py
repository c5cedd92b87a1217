"""Interventions Tracker: the average risk, pending and no-response KPIs, the weekly timeline
(count and success rate on two axes), results by risk level and insights in plain words."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from pde.frontend import ids
from pde.frontend.components import GRAPH_CONFIG, Figure, card, empty, figure, kpi, pct
from pde.frontend.services.catalogue import ACTIONS, TIER_COLOURS, InterventionStatus
from pde.frontend.services.labels import human
from pde.frontend.services.tracker_trends import Trends

PERIODS = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("all", "All time"),
]
STATUS_FILTERS = [
    ("open", "Open"),
    ("all", "All"),
    (InterventionStatus.COMPLETED.value, "Completed"),
    (InterventionStatus.CANCELLED.value, "Cancelled"),
]


def filters(selected: int | None, *, refresh_id: str) -> dbc.Row:
    """Period, action types (several may be chosen), status, and the refresh button."""
    return dbc.Row(
        [
            dbc.Col(
                dbc.Select(
                    id=ids.IT_PERIOD,
                    options=[{"label": b, "value": a} for a, b in PERIODS],
                    value="all",
                    size="sm",
                ),
                md=2,
            ),
            dbc.Col(
                dcc.Dropdown(
                    id=ids.IT_TYPE,
                    options=[{"label": s.label, "value": k.value} for k, s in ACTIONS.items()],
                    value=[],
                    multi=True,
                    placeholder="All actions",
                    className="small",
                ),
                md=4,
            ),
            dbc.Col(
                dbc.Select(
                    id=ids.IT_STATUS,
                    options=[{"label": b, "value": a} for a, b in STATUS_FILTERS],
                    value="open" if selected is None else "all",
                    size="sm",
                ),
                md=2,
            ),
            dbc.Col(
                dbc.Button(
                    [html.I(className="bi bi-arrow-clockwise me-1"), "Refresh"],
                    id=refresh_id,
                    size="sm",
                    color="secondary",
                    outline=True,
                ),
                md=2,
            ),
        ],
        className="mb-3 g-2",
    )


def kpis(found: Trends) -> dbc.Row:
    return dbc.Row(
        [
            kpi(
                "Average risk",
                pct(found.average_risk),
                note="customers worked, current score",
                tone="warn",
            ),
            kpi("Pending approval", f"{found.pending:,}", note="recommended, not yet approved"),
            kpi(
                "No response",
                f"{found.no_response:,}",
                note="outcome: customer did not respond",
                tone="bad" if found.no_response else "",
            ),
        ],
        className="g-2",
        id="it-trend-kpis",
    )


def timeline(found: Trends) -> Figure:
    fig = go.Figure()
    fig.add_bar(
        x=[w.start for w in found.weeks],
        y=[w.created for w in found.weeks],
        name="interventions created",
        marker_color="#9fb3c8",
    )
    rated = [w for w in found.weeks if w.with_outcome]
    fig.add_scatter(
        x=[w.start for w in rated],
        y=[w.succeeded / w.with_outcome * 100 for w in rated],
        name="success rate (%)",
        yaxis="y2",
        mode="lines+markers",
        line={"color": "#2e7d32"},
    )
    fig.update_layout(
        yaxis={"title": "interventions", "rangemode": "tozero"},
        yaxis2={
            "title": "success rate (%)",
            "overlaying": "y",
            "side": "right",
            "range": [0, 100],
            "showgrid": False,
        },
        xaxis={"title": "week"},
        margin={"r": 56},
    )
    return figure(fig, height=260)


def by_tier(found: Trends) -> Figure:
    fig = go.Figure(
        go.Bar(
            x=[human(t.tier) for t in found.tiers],
            y=[t.succeeded / t.with_outcome * 100 if t.with_outcome else 0 for t in found.tiers],
            marker_color=[TIER_COLOURS.get(t.tier, "#6c757d") for t in found.tiers],
            customdata=[[t.count, t.with_outcome] for t in found.tiers],
            hovertemplate="%{x}: %{y:.0f}% success · %{customdata[0]} interventions,"
            " %{customdata[1]} with an outcome<extra></extra>",
        )
    )
    fig.update_layout(yaxis={"title": "success rate (%)", "range": [0, 100]})
    return figure(fig, height=260)


def insights(found: Trends) -> html.Ul:
    lines = []
    rated = [t for t in found.tiers if t.with_outcome]
    if rated:
        best = max(rated, key=lambda t: t.succeeded / t.with_outcome)
        lines.append(
            f"Interventions work best for {human(best.tier).lower()}-risk customers:"
            f" {pct(best.succeeded / best.with_outcome, 0)} succeed"
            f" ({best.with_outcome:,} with an outcome)."
        )
    recent = [w for w in found.weeks if w.with_outcome][-4:]
    if recent:
        n = sum(w.with_outcome for w in recent)
        rate = sum(w.succeeded for w in recent) / n
        lines.append(f"Over the last {len(recent)} weeks with outcomes, {pct(rate, 0)} succeeded.")
    if found.pending:
        lines.append(f"{found.pending:,} recommended interventions wait for a supervisor.")
    if found.no_response:
        lines.append(f"{found.no_response:,} customers did not respond: consider another channel.")
    return html.Ul([html.Li(line) for line in lines] or [html.Li("No interventions yet.")])


def section(found: Trends) -> Any:
    charts = (
        [
            dbc.Col(
                card(
                    "Timeline: count and success rate",
                    dcc.Graph(figure=timeline(found), config=GRAPH_CONFIG),
                ),
                lg=5,
            ),
            dbc.Col(
                card(
                    "Performance by risk level",
                    dcc.Graph(figure=by_tier(found), config=GRAPH_CONFIG)
                    if found.tiers
                    else empty("No scored customers among these interventions."),
                ),
                lg=4,
            ),
            dbc.Col(card("Insights", insights(found)), lg=3),
        ]
        if found.weeks or found.tiers
        else [dbc.Col(empty("No interventions in this period."))]
    )
    return [kpis(found), dbc.Row(charts)]
