"""Risk Overview: portfolio KPIs, distribution, 30-day trend, drivers, rising risk, segments."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html, no_update

from pde.frontend import auth, ids
from pde.frontend.components import (
    GRAPH_CONFIG,
    Figure,
    card,
    empty,
    export_links,
    figure,
    page_header,
    pct,
    tier_badge,
    unavailable,
    when,
)
from pde.frontend.services import ServiceUnavailableError, current, portfolio
from pde.frontend.services.labels import human
from pde.frontend.services.portfolio_kpis import SEGMENT_DIMENSIONS, Segment
from pde.frontend.views import overview as overview_parts

dash.register_page(  # type: ignore[no-untyped-call]
    __name__,
    path="/overview",
    name="Risk Overview",
    order=1,
    icon="bar-chart-line",
    title="Risk Overview · PDE",
)


def layout(**kwargs: Any) -> Any:
    dimensions = [{"label": label, "value": key} for key, label in SEGMENT_DIMENSIONS.items()]
    return html.Div(
        [
            page_header(
                "Risk Overview", "The portfolio today: how much risk, where, and what it costs"
            ),
            dcc.Store(id=ids.RO_SEGMENT),
            dbc.Row(
                [
                    dbc.Col(html.Div(id=ids.RO_FILTER_LABEL, className="small-muted pt-2"), md=8),
                    dbc.Col(
                        html.Div(
                            [
                                html.Span("Segments by", className="me-2 small text-muted"),
                                dcc.Dropdown(
                                    id=ids.RO_DIMENSION,
                                    options=dimensions,
                                    value="product",
                                    clearable=False,
                                    style={"minWidth": "170px"},
                                ),
                                dbc.Button(
                                    "Clear filter",
                                    id=ids.RO_CLEAR,
                                    size="sm",
                                    color="secondary",
                                    outline=True,
                                    className="ms-2",
                                ),
                            ],
                            className="d-flex align-items-center justify-content-end",
                        ),
                        md=4,
                    ),
                ],
                className="mb-2",
            ),
            dcc.Loading(html.Div(id=ids.RO_BODY), type="dot"),
        ]
    )


@callback(
    Output(ids.RO_SEGMENT, "data"),
    Input(ids.RO_SEGMENTS_CHART, "clickData"),
    Input(ids.RO_CLEAR, "n_clicks"),
    State(ids.RO_DIMENSION, "value"),
    prevent_initial_call=True,
)
def pick_segment(click: dict[str, Any] | None, _: Any, dimension: str) -> Any:
    if dash.ctx.triggered_id == ids.RO_CLEAR or not click:
        return None
    point = click["points"][0]
    return {"dimension": dimension, "value": str(point.get("y") or point.get("label"))}


def _drivers(view: portfolio.Overview) -> Any:
    if not view.drivers:
        return empty("No reason codes stored with the scores.")
    names = [human(n) for n, _ in reversed(view.drivers)]
    fig = go.Figure(
        go.Bar(
            x=[c for _, c in reversed(view.drivers)],
            y=names,
            orientation="h",
            marker_color="#12263f",
        )
    )
    fig.update_layout(xaxis_title="high-risk customers citing it")
    return dcc.Graph(figure=figure(fig, height=300), config={"displayModeBar": False})


def _rising(view: portfolio.Overview) -> Any:
    if not view.rising:
        return empty("Needs two scoring dates to compare.")
    rows = [
        html.Tr(
            [
                html.Td(dcc.Link(r.customer_id, href=f"/customer?id={r.customer_id}")),
                html.Td(pct(r.probability)),
                html.Td(f"+{r.delta * 100:.1f} pts", className="text-danger fw-semibold"),
                html.Td(tier_badge(r.tier)),
                html.Td(human(r.product)),
            ]
        )
        for r in view.rising
    ]
    return dbc.Table(
        [
            html.Thead(
                html.Tr([html.Th(h) for h in ("Customer", "Risk", "Change", "Tier", "Product")])
            ),
            html.Tbody(rows),
        ],
        size="sm",
        hover=True,
        className="mb-0",
    )


def _segments(view: portfolio.Overview) -> Figure:
    shown = list(reversed(view.segments))
    fig = go.Figure(
        go.Bar(
            x=[s.mean_risk * 100 for s in shown],
            y=[s.segment for s in shown],
            orientation="h",
            marker_color="#1f6feb",
            customdata=[[s.customers, s.high_risk] for s in shown],
            hovertemplate=(
                "%{y}: mean risk %{x:.1f}%<br>%{customdata[0]} customers,"
                " %{customdata[1]} high risk<extra></extra>"
            ),
        )
    )
    fig.update_layout(xaxis_title="mean risk (%) · click a bar to filter")
    return figure(fig, height=300)


@callback(
    Output(ids.RO_BODY, "children"),
    Output(ids.RO_FILTER_LABEL, "children"),
    Input(ids.RO_SEGMENT, "data"),
    Input(ids.RO_DIMENSION, "value"),
)
def render(segment_data: dict[str, str] | None, dimension: str) -> tuple[Any, Any]:
    segment = Segment(**segment_data) if segment_data else None
    try:
        view = portfolio.overview(current(), auth.require_user(), segment, dimension)
    except ServiceUnavailableError as exc:
        return unavailable(str(exc)), no_update
    label = (
        f"Filtered to {SEGMENT_DIMENSIONS[segment.dimension].lower()} = {segment.value}"
        if segment
        else "Whole portfolio · click a segment bar to filter the page"
    )
    if view.snapshot is not None:
        label += (
            f" · scores as of {when(view.snapshot.as_of)} (model {view.snapshot.model_version})"
        )
    body: list[Any] = [overview_parts.kpis_row(view.kpis)]
    if view.snapshot is None:
        body.append(empty("No scores yet: score the portfolio to see distributions and trends."))
        return body, label
    body += [
        dbc.Row(
            [
                dbc.Col(card("Risk insights", overview_parts.insights(view, dimension)), lg=4),
                dbc.Col(
                    card(
                        "Customers by tier",
                        dcc.Graph(figure=overview_parts.tier_donut(view), config=GRAPH_CONFIG),
                    ),
                    lg=3,
                ),
                dbc.Col(
                    card(
                        "Concentration of high risk",
                        dcc.Graph(
                            figure=overview_parts.concentration(view, dimension),
                            config=GRAPH_CONFIG,
                        ),
                    ),
                    lg=5,
                ),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(
                    card(
                        "Risk distribution",
                        dcc.Graph(figure=overview_parts.distribution(view), config=GRAPH_CONFIG),
                    ),
                    lg=6,
                ),
                dbc.Col(
                    card(
                        "Trend, last 30 days",
                        dcc.Graph(figure=overview_parts.trend(view), config=GRAPH_CONFIG),
                    ),
                    lg=6,
                ),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(
                    card(
                        "Segments",
                        extra=export_links("segments"),
                        body=dcc.Graph(
                            id=ids.RO_SEGMENTS_CHART, figure=_segments(view), config=GRAPH_CONFIG
                        ),
                    ),
                    lg=4,
                ),
                dbc.Col(
                    card(
                        "Top portfolio risk drivers", _drivers(view), extra=export_links("drivers")
                    ),
                    lg=4,
                ),
                dbc.Col(
                    card("Rising-risk customers", _rising(view), extra=export_links("rising")),
                    lg=4,
                ),
            ]
        ),
    ]
    return body, label
