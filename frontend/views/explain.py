"""Live reason codes as the Deep Dive shows them: the head, reasons and protective factors."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from pde.frontend import ids
from pde.frontend.components import empty, pct, shown_value
from pde.frontend.services.explain import Explained, LiveReason


def explained(result: Explained) -> list[Any]:
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
    title = r.code_text or r.feature.replace("_", " ")
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
