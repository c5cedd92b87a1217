"""The impact simulation shown before interventions are created from the Action Center."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from pde.frontend.components import money, pct
from pde.frontend.services.impact import Impact
from pde.frontend.services.recommendations import effect_text

HEADERS = (
    "Customer",
    "Action",
    "Risk",
    "Effect",
    "Cost",
    "Loss avoided",
    "Net",
    "Cool-down",
    "Why",
)


def _figure(label: str, value: str, tone: str = "") -> dbc.Col:
    return dbc.Col(
        [html.Div(label, className="kpi-label"), html.Div(value, className=f"kpi-value {tone}")]
    )


def impact_view(impact: Impact) -> list[Any]:
    summary = dbc.Row(
        [
            _figure("Interventions", str(len(impact.actions))),
            _figure("Total cost", money(impact.cost)),
            _figure("Expected defaults prevented", f"{impact.defaults_prevented:.2f}"),
            _figure("Expected loss avoided", money(impact.loss_avoided), "good"),
            _figure("Net benefit", money(impact.net), "good" if impact.net >= 0 else "bad"),
        ],
        className="mb-3",
    )
    rows = [
        html.Tr(
            [
                html.Td(a.customer_id),
                html.Td(a.label),
                html.Td(pct(a.probability)),
                html.Td(effect_text(a.expected_effect)),
                html.Td(money(a.cost)),
                html.Td(money(a.loss_avoided)),
                html.Td(money(a.net)),
                html.Td(a.cool_down),
                html.Td(f"override: {a.reason}" if a.reason else "recommended"),
            ]
        )
        for a in impact.actions
    ]
    detail = dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in HEADERS])), html.Tbody(rows)],
        size="sm",
        striped=True,
    )
    note = html.Div(
        "Customers in cool-down are refused by the workflow and reported after execution.",
        className="small-muted",
    )
    return [summary, detail, note]
