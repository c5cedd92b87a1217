"""The Action Center's open-work panel: SLA counts and the most urgent open interventions."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from pde.frontend import auth, ids
from pde.frontend.components import (
    empty,
    unavailable,
)
from pde.frontend.services import ServiceUnavailableError, current
from pde.frontend.services import work as work_service
from pde.frontend.services.labels import duration, human

URGENT_ROWS = 6
SLA_COLOURS = {"overdue": "danger", "due soon": "warning"}


def sla_panel() -> Any:
    user = auth.require_user()
    services = current()
    try:
        counts = work_service.sla_counts(services, user)
        rows = work_service.work_page(services, user, page=0, page_size=URGENT_ROWS).rows
    except ServiceUnavailableError as exc:
        return unavailable(str(exc))
    badges = html.Div(
        [
            dbc.Badge(f"{counts.overdue} overdue", color="danger", className="me-2 p-2"),
            dbc.Badge(
                f"{counts.due_soon} due soon",
                color="warning",
                text_color="dark",
                className="me-2 p-2",
            ),
            dbc.Badge(f"{counts.within_sla} within SLA", color="success", className="me-2 p-2"),
        ],
        id=ids.AC_SLA,
        className="mb-2",
    )
    items = [
        html.Tr(
            [
                html.Td(dcc.Link(f"#{r.id}", href=f"/interventions?id={r.id}")),
                html.Td(dcc.Link(r.customer_id, href=f"/customer?id={r.customer_id}")),
                html.Td(human(r.status)),
                html.Td(dbc.Badge(r.sla, color=SLA_COLOURS.get(r.sla, "success"))),
                html.Td(duration(r.age_hours)),
            ]
        )
        for r in rows
    ]
    body = (
        dbc.Table(
            [
                html.Thead(
                    html.Tr([html.Th(h) for h in ("#", "Customer", "Status", "SLA", "Age")])
                ),
                html.Tbody(items),
            ],
            size="sm",
            hover=True,
            className="mb-0 small",
            id=ids.AC_SLA_TABLE,
        )
        if rows
        else empty("No open work.")
    )
    return [badges, body, dcc.Link("All interventions →", href="/interventions", className="small")]
