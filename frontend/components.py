"""Shared building blocks of the pages: KPI cards, tier badges, banners, tables, chart style."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dash_table, html

from pde.core.settings import Settings
from pde.frontend.services import labels
from pde.frontend.services.catalogue import TIER_COLOURS, TIER_NAMES

PAGE_SIZE = 12
GRAPH_CONFIG: Any = {"displayModeBar": False}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def currency() -> str:
    """PDE_CURRENCY of the app serving this request (the default outside one)."""
    import flask

    if flask.has_app_context():
        from pde.frontend.services.base import EXTENSION

        services = flask.current_app.extensions.get(EXTENSION)
        if services is not None:
            return str(services.settings.currency)
    return str(Settings.model_fields["currency"].default)


def money(value: float | None) -> str:
    """Every amount the app shows, in PDE_CURRENCY (see labels.money)."""
    return labels.money(value, currency())


def export_links(name: str, customer_id: str | None = None) -> html.Div:
    """CSV and Excel downloads of the table `name` (see frontend.downloads), in the user's
    scope (of one customer's table: `customer_id`'s); the header of the card that shows the
    table carries them."""
    query = "" if customer_id is None else "?" + urlencode({"id": customer_id})
    return html.Div(
        [
            html.A(
                [html.I(className="bi bi-filetype-csv me-1"), "CSV"],
                href=f"/export/{name}.csv{query}",
                id=f"export-{name}-csv",
                className="btn btn-sm btn-outline-secondary py-0 px-2",
                download="",
            ),
            html.A(
                [html.I(className="bi bi-file-earmark-excel me-1"), "Excel"],
                href=f"/export/{name}.xlsx{query}",
                id=f"export-{name}-xlsx",
                className="btn btn-sm btn-outline-secondary py-0 px-2 ms-1",
                download="",
            ),
        ],
        className="export-links d-inline-flex",
    )


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def shown_value(value: float) -> str:
    """A feature value as the reason codes show it (NaN: the feature had no data)."""
    return "missing" if math.isnan(value) else f"{value:,.3g}"


def when(value: datetime | date | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return f"{value:%d %b %Y %H:%M}"
    return f"{value:%d %b %Y}"


def page_header(title: str, subtitle: str) -> html.Div:
    return html.Div(
        [
            html.H3(title, className="page-title mb-0"),
            html.Div(subtitle, className="text-muted small"),
        ],
        className="mb-3",
    )


def kpi(label: str, value: str, *, note: str | None = None, tone: str = "") -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(label, className="kpi-label"),
                    html.Div(value, className=f"kpi-value {tone}"),
                    html.Div(note or "", className="kpi-note"),
                ]
            ),
            className="kpi-card h-100",
        ),
        xs=6,
        md=4,
        xl=True,
        className="mb-3",
    )


def tier_badge(tier: str) -> html.Span:
    return html.Span(
        labels.human(tier),
        className="tier-badge",
        style={"backgroundColor": TIER_COLOURS.get(tier, "#6c757d")},
    )


def card(title: str, body: Any, *, extra: Any = None, class_name: str = "") -> dbc.Card:
    header = dbc.CardHeader(
        html.Div(
            [html.Span(title, className="card-title-text"), extra or ""],
            className="d-flex justify-content-between align-items-center",
        )
    )
    return dbc.Card([header, dbc.CardBody(body)], className=f"panel mb-3 {class_name}")


def unavailable(message: str) -> dbc.Alert:
    return dbc.Alert(
        [html.I(className="bi bi-exclamation-triangle-fill me-2"), message],
        color="warning",
        className="unavailable",
    )


def empty(message: str) -> html.Div:
    return html.Div(message, className="text-muted fst-italic py-3 text-center")


Figure = dict[str, Any]
"""A chart as plain Plotly JSON, what dcc.Graph takes."""

CHART_LAYOUT: dict[str, Any] = {
    "margin": {"l": 48, "r": 16, "t": 28, "b": 40},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": FONT, "size": 12, "color": "#2b3440"},
    "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
    "xaxis": {"gridcolor": "#eef1f5"},
    "yaxis": {"gridcolor": "#eef1f5"},
}


def _merged(defaults: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
    out = dict(defaults)
    for key, value in chosen.items():
        base = out.get(key)
        out[key] = (
            _merged(base, value) if isinstance(base, dict) and isinstance(value, dict) else value
        )
    return out


def figure(fig: go.Figure, *, height: int = 280) -> Figure:
    """The chart in the app's style, as plain JSON: what the page set on its layout wins over
    the style (a wide left margin, say). Plotly's own layout validation is skipped: it cost
    more than the page's queries."""
    data = fig.to_plotly_json()
    layout = _merged(CHART_LAYOUT, data.get("layout") or {})
    layout["height"] = height
    return {"data": data.get("data", []), "layout": layout}


def tier_colour_rules(column: str = "tier") -> list[dict[str, Any]]:
    """Tier cells in their colour, the tier's name capitalised ("High")."""
    return [
        {"if": {"column_id": column}, "textTransform": "capitalize"},
        *(
            {
                "if": {"filter_query": f'{{{column}}} = "{tier}"', "column_id": column},
                "color": "white",
                "backgroundColor": TIER_COLOURS[tier],
                "fontWeight": "600",
            }
            for tier in TIER_NAMES
        ),
    ]


def table(
    table_id: str,
    columns: Sequence[tuple[str, str]],
    *,
    server_paging: bool = True,
    page_size: int = PAGE_SIZE,
    row_selectable: str | bool = False,
    style_rules: list[dict[str, Any]] | None = None,
    data: list[dict[str, Any]] | None = None,
    wrap: Sequence[str] = (),
) -> Any:
    """A DataTable styled like the rest; with server paging the data comes from a callback.
    The `wrap` columns' text wraps within a bounded width, so wide tables fit a laptop."""
    return dash_table.DataTable(  # type: ignore[attr-defined]
        id=table_id,
        columns=[
            {"name": name, "id": key, "presentation": "markdown"}
            if key == "link"
            else {"name": name, "id": key}
            for key, name in columns
        ],
        data=data or [],
        page_current=0,
        page_size=page_size,
        page_action="custom" if server_paging else "native",
        row_selectable=row_selectable,
        selected_rows=[],
        markdown_options={"link_target": "_self"},
        style_as_list_view=True,
        style_table={"overflowX": "auto"},
        style_header={
            "backgroundColor": "#f4f6f9",
            "fontWeight": "600",
            "border": "none",
            "color": "#44505f",
            "whiteSpace": "normal",
        },
        style_cell_conditional=[
            {
                "if": {"column_id": column},
                "whiteSpace": "normal",
                "height": "auto",
                "minWidth": "90px",
                "maxWidth": "170px",
            }
            for column in wrap
        ],
        style_cell={
            "fontFamily": FONT,
            "fontSize": "13px",
            "padding": "6px 8px",
            "textAlign": "left",
            "border": "none",
            "borderBottom": "1px solid #eef1f5",
        },
        style_data_conditional=[
            {"if": {"state": "selected"}, "backgroundColor": "#e7f0fb", "border": "none"},
            *(style_rules or []),
        ],
    )
