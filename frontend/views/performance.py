"""Realised and estimated performance on the Model page: AUC and KS per matured scoring
date, predicted against observed default rate, calibration by tier, and the estimate (CBPE)
with its interval for the dates whose outcomes are not known yet."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from pde.frontend import ids
from pde.frontend.components import card, empty, figure, pct
from pde.frontend.services.monitoring import PerformanceOverview, PerformancePoint

NAVY, ORANGE, GREY = "#12263f", "#ef6c00", "#8a94a6"


def graph(fig: go.Figure, graph_id: str, *, height: int = 260) -> Any:
    return dcc.Graph(
        id=graph_id, figure=figure(fig, height=height), config={"displayModeBar": False}
    )


def number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _band(fig: go.Figure, points: list[PerformancePoint], low: str, high: str, name: str) -> None:
    xs = [p.as_of for p in points]
    lows, highs = [getattr(p, low) for p in points], [getattr(p, high) for p in points]
    fig.add_scatter(x=xs, y=highs, mode="lines", line={"width": 0}, showlegend=False)
    fig.add_scatter(
        x=xs,
        y=lows,
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        name=name,
        fillcolor="rgba(239,108,0,0.15)",
    )


def _performance_figures(overview: PerformanceOverview) -> tuple[go.Figure, go.Figure]:
    realised, estimated = overview.realised, overview.estimated
    quality = go.Figure()
    _band(quality, estimated, "auc_low", "auc_high", "expected AUC, 5-95%")
    quality.add_scatter(
        x=[p.as_of for p in estimated],
        y=[p.auc for p in estimated],
        name="expected AUC",
        mode="lines",
        line={"color": ORANGE, "dash": "dot"},
    )
    quality.add_scatter(
        x=[p.as_of for p in realised],
        y=[p.auc for p in realised],
        name="AUC",
        mode="lines+markers",
        line={"color": NAVY},
    )
    quality.add_scatter(
        x=[p.as_of for p in realised],
        y=[p.ks for p in realised],
        name="KS",
        mode="lines+markers",
        line={"color": GREY},
    )
    rates = go.Figure()
    _band(rates, estimated, "predicted_rate_low", "predicted_rate_high", "expected rate, 5-95%")
    rates.add_scatter(
        x=[p.as_of for p in realised],
        y=[p.predicted_rate for p in realised],
        name="predicted",
        mode="lines+markers",
        line={"color": ORANGE},
    )
    rates.add_scatter(
        x=[p.as_of for p in realised],
        y=[p.observed_rate for p in realised],
        name="observed",
        mode="lines+markers",
        line={"color": NAVY},
    )
    rates.update_layout(yaxis_tickformat=".0%")
    return quality, rates


def _table(head: tuple[str, ...], rows: list[list[str]], class_name: str, table_id: str) -> Any:
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in head])),
            html.Tbody([html.Tr([html.Td(c) for c in row], className=class_name) for row in rows]),
        ],
        id=table_id,
        size="sm",
        className="mb-0",
    )


def performance_section(overview: PerformanceOverview) -> list[Any]:
    """AUC and KS per matured scoring date, predicted against observed default rate,
    calibration by tier, and the estimate (CBPE) with its interval for the other dates."""
    if not overview.estimated and not overview.realised:
        return [
            card("Performance", empty("No performance yet: `pde jobs run realised` computes it."))
        ]
    quality, rates = _performance_figures(overview)
    matured = {p.as_of for p in overview.realised}
    pending = [p for p in overview.estimated if p.as_of not in matured]
    realised = _table(
        ("date", "rows", "AUC", "KS", "predicted", "observed"),
        [
            [
                str(p.as_of),
                f"{p.labelled_rows or 0:,}",
                number(p.auc),
                number(p.ks),
                pct(p.predicted_rate),
                pct(p.observed_rate),
            ]
            for p in overview.realised
        ],
        "realised-row",
        ids.MP_REALISED,
    )
    estimates = _table(
        ("date", "expected AUC", "5-95%", "expected rate", "5-95%"),
        [
            [
                str(p.as_of),
                number(p.auc),
                f"{number(p.auc_low)}–{number(p.auc_high)}",
                pct(p.predicted_rate),
                f"{pct(p.predicted_rate_low)}–{pct(p.predicted_rate_high)}",
            ]
            for p in pending
        ],
        "estimate-row",
        ids.MP_ESTIMATES,
    )
    calibration = _table(
        ("tier", "rows", "predicted", "observed"),
        [
            [t.tier, f"{t.rows:,}", pct(t.predicted_rate), pct(t.observed_rate)]
            for t in overview.calibration
        ],
        "calibration-row",
        ids.MP_CALIBRATION,
    )
    when = f" ({overview.calibration_date})" if overview.calibration_date else ""
    return [
        dbc.Row(
            [
                dbc.Col(
                    card("AUC and KS per scoring date", graph(quality, ids.MP_PERF_TREND)), lg=6
                ),
                dbc.Col(
                    card(
                        "Predicted against observed default rate", graph(rates, ids.MP_RATE_TREND)
                    ),
                    lg=6,
                ),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(card("Realised, once outcomes are known", realised), lg=5),
                dbc.Col(
                    card(
                        "Estimated, outcomes not known yet",
                        estimates if pending else empty("Every scored date has matured."),
                    ),
                    lg=4,
                ),
                dbc.Col(
                    card(
                        f"Calibration by tier{when}",
                        calibration if overview.calibration else empty("No matured date yet."),
                    ),
                    lg=3,
                ),
            ]
        ),
    ]
