"""Parts of the Interventions Tracker: the KPI row and the effectiveness charts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from pde.frontend.components import GRAPH_CONFIG, card, empty, figure, kpi, money, pct
from pde.frontend.services import effectiveness
from pde.frontend.services.effectiveness import OutcomeCount, TypeEffect


def kpi_row(kpis: effectiveness.TrackerKpis) -> Any:
    control = (
        "no control group yet"
        if kpis.control_rate is None
        else (f"control group {pct(kpis.control_rate)}")
    )
    return html.Div(
        [
            dbc.Row(
                [
                    kpi("Interventions", f"{kpis.count:,}", note=f"{kpis.completed:,} completed"),
                    kpi(
                        "Success rate",
                        pct(kpis.success_rate),
                        note=f"cured within 30 days, of {kpis.with_outcome:,}; {control}",
                        tone="good",
                    ),
                    kpi(
                        "Cures caused",
                        "–" if kpis.incremental_cures is None else f"{kpis.incremental_cures:,.1f}",
                        note="beyond the control group's",
                        tone="good",
                    ),
                    kpi(
                        "Loss avoided",
                        "–" if kpis.loss_avoided is None else money(kpis.loss_avoided),
                        note="cures caused × exposure × LGD",
                        tone="good",
                    ),
                    kpi("ROI", pct(kpis.roi, 0), note=f"on {money(kpis.cost)} spent"),
                    kpi("Response rate", pct(kpis.response_rate), note="customer answered"),
                    kpi(
                        "Time to respond",
                        f"{kpis.hours_to_respond:.1f} h"
                        if kpis.hours_to_respond is not None
                        else "–",
                        note="created → started",
                    ),
                ],
                className="g-2",
            ),
            html.Div(f"ROI basis: {kpis.basis}", id="it-roi-basis", className="small-muted mt-1"),
        ]
    )


def charts(per_type: Sequence[TypeEffect], mix: Sequence[OutcomeCount]) -> Any:
    if not per_type:
        return None
    labels = [r.type.replace("_", " ") for r in per_type]
    success = go.Figure(
        go.Bar(
            x=labels,
            y=[r.succeeded / r.with_outcome * 100 if r.with_outcome else 0 for r in per_type],
            marker_color="#2e7d32",
            customdata=[r.with_outcome for r in per_type],
            hovertemplate="%{x}: %{y:.0f}% of %{customdata} outcomes<extra></extra>",
        )
    )
    success.update_layout(yaxis_title="cured within 30 days (%)")
    outcomes = go.Figure()
    for outcome in sorted({m.outcome for m in mix}):
        outcomes.add_bar(
            x=[m.type.replace("_", " ") for m in mix if m.outcome == outcome],
            y=[m.count for m in mix if m.outcome == outcome],
            name=outcome.replace("_", " "),
        )
    outcomes.update_layout(barmode="stack", yaxis_title="outcomes")
    figure(outcomes, height=240)
    return dbc.Row(
        [
            dbc.Col(
                card(
                    "Cured within 30 days, by action (none = control group)",
                    dcc.Graph(figure=figure(success, height=240), config=GRAPH_CONFIG),
                ),
                lg=6,
            ),
            dbc.Col(
                card(
                    "Outcomes by action",
                    dcc.Graph(figure=outcomes, config=GRAPH_CONFIG)
                    if mix
                    else empty("No outcomes recorded yet."),
                ),
                lg=6,
            ),
        ]
    )
