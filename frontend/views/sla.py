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


def sla_panel() -> Any:
    user = auth.require_user()
    actor = work_service.Actor(user.username, user.role)
    svc = current()
    try:
        with svc.session() as session:
            counts = work_service.sla_counts(session, actor)
            rows, _ = work_service.work_page(session, actor, page=0, page_size=6)
    except ServiceUnavailableError as exc:
        return unavailable(str(exc))
    badges = html.Div(
        [
            dbc.Badge(f"{counts['overdue']} overdue", color="danger", className="me-2 p-2"),
            dbc.Badge(
                f"{counts['due soon']} due soon",
                color="warning",
                text_color="dark",
                className="me-2 p-2",
            ),
            dbc.Badge(f"{counts['within SLA']} within SLA", color="success", className="me-2 p-2"),
        ],
        id=ids.AC_SLA,
        className="mb-2",
    )
    items = [
        html.Tr(
            [
                html.Td(dcc.Link(f"#{r['id']}", href=f"/interventions?id={r['id']}")),
                html.Td(dcc.Link(r["customer_id"], href=f"/customer?id={r['customer_id']}")),
                html.Td(str(r["status"]).replace("_", " ")),
                html.Td(
                    dbc.Badge(
                        r["sla"],
                        color={"overdue": "danger", "due soon": "warning"}.get(r["sla"], "success"),
                    )
                ),
                html.Td(f"{r['age_hours']:.0f} h"),
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
