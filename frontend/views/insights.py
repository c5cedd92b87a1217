"""Deep Dive seed items: expected loss and income, the signal radar, behaviour in words."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from pde.frontend import ids
from pde.frontend.components import empty, figure, money
from pde.frontend.services.insights import Signal, Worth


def worth_panel(found: Worth | None, *, lgd: float, income_rate: float) -> Any:
    if found is None:
        return html.Div(empty("Not scored."), id=ids.DD_WORTH)
    items = [
        ("Expected loss", money(found.expected_loss)),
        ("Expected income (12 months)", money(found.expected_income)),
        ("Exposure", money(found.exposure)),
    ]
    return html.Div(
        [
            html.Dl(
                [x for k, v in items for x in (html.Dt(k), html.Dd(v))],
                className="metric-list row-cols-2 mb-1",
            ),
            html.Div(
                f"Loss = risk x exposure x {lgd:.0%} loss given default; income = (1 - risk)"
                f" x balance x {income_rate:.0%} a year.",
                className="small-muted",
            ),
        ],
        id=ids.DD_WORTH,
    )


def radar(found: tuple[Signal, ...]) -> Any:
    if not found:
        return html.Div(empty("No segment figures."), id=ids.DD_RADAR)
    names = [s.name for s in found]
    fig = go.Figure(
        [
            go.Scatterpolar(
                r=[1.0] * len(found) + [1.0],
                theta=[*names, names[0]],
                name="Segment average",
                line={"color": "#8a99ad", "dash": "dot"},
            ),
            go.Scatterpolar(
                r=[s.relative for s in found] + [found[0].relative],
                theta=[*names, names[0]],
                name="Customer",
                fill="toself",
                line={"color": "#c0392b"},
                customdata=[[s.customer, s.segment] for s in found]
                + [[found[0].customer, found[0].segment]],
                hovertemplate="%{theta}: %{customdata[0]:,.3g} (segment %{customdata[1]:,.3g})"
                "<extra></extra>",
            ),
        ]
    )
    fig.update_layout(polar={"radialaxis": {"range": [0, 3], "tickvals": [1, 2, 3]}})
    return html.Div(
        [
            dcc.Graph(figure=figure(fig, height=260), config={"displayModeBar": False}),
            html.Div("1 = the segment's average", className="small-muted"),
        ],
        id=ids.DD_RADAR,
    )


def insight_list(lines: list[str]) -> Any:
    return html.Ul([html.Li(line) for line in lines], className="small mb-0", id=ids.DD_INSIGHTS)
