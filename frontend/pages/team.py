"""Team (supervisors and admins): each officer's open work, SLA ages and results, and bulk
assignment of customers spread over the officers by their remaining capacity."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from pde.core.errors import PdeError
from pde.frontend import auth, ids
from pde.frontend.components import card, empty, page_header, pct, unavailable
from pde.frontend.services import ServiceUnavailableError, access, current
from pde.frontend.services import team as team_service

dash.register_page(  # type: ignore[no-untyped-call]
    __name__,
    path="/team",
    name="Team",
    order=5,
    icon="people",
    title="Team · PDE",
    roles=access.TEAM_ROLES,
)

TM_REFRESH = "tm-refresh"


def layout(**kwargs: Any) -> Any:
    user = auth.require_user()
    if not access.can_open_page(user, access.TEAM_ROLES):
        return html.Div(
            [
                page_header("Team", ""),
                dbc.Alert(
                    "The team view is for supervisors and administrators.",
                    color="warning",
                    id="tm-forbidden",
                ),
            ]
        )
    try:
        options = [
            {
                "label": f"{c.customer_id} · {pct(c.probability, 0)} · {c.officer or 'unassigned'}",
                "value": c.customer_id,
            }
            for c in team_service.choices(current(), user)
        ]
    except ServiceUnavailableError as exc:
        return html.Div([page_header("Team", ""), unavailable(str(exc))])
    assign = [
        html.P(
            "Choose alerted customers; they are spread over the officers, each next one to the"
            " officer with the most weekly capacity left.",
            className="small text-muted",
        ),
        dcc.Dropdown(
            id=ids.TM_SELECT, options=options, multi=True, placeholder="Customers to assign…"
        ),
        dbc.Button("Assign evenly", id=ids.TM_ASSIGN, size="sm", className="mt-2"),
        html.Div(id=ids.TM_RESULT, className="mt-2"),
    ]
    return html.Div(
        [
            page_header("Team", "Open work, SLA ages and results per officer"),
            dcc.Store(id=TM_REFRESH, data=0),
            dbc.Row(
                [
                    dbc.Col(card("Officers", html.Div(id=ids.TM_BODY)), xl=8),
                    dbc.Col(card("Bulk assignment", assign), xl=4),
                ]
            ),
        ]
    )


def _hours(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 24:.1f} d" if value >= 48 else f"{value:.0f} h"


@callback(Output(ids.TM_BODY, "children"), Input(TM_REFRESH, "data"))
def render(_: int) -> Any:
    try:
        loads = team_service.team(current(), auth.require_user())
    except access.AccessDeniedError as exc:
        return dbc.Alert(f"Not allowed: {exc}.", color="warning")
    except ServiceUnavailableError as exc:
        return unavailable(str(exc))
    if not loads:
        return empty("No officers.")
    head = (
        "Officer",
        "Customers",
        "Open work",
        "Overdue",
        "Oldest",
        "Mean age",
        "Capacity left",
        "Cured",
        "Missed",
    )
    rows = [
        html.Tr(
            [
                html.Td(f"{o.full_name} ({o.username})"),
                html.Td(f"{o.customers:,}"),
                html.Td(o.open_work),
                html.Td(o.overdue, className="text-danger fw-semibold" if o.overdue else ""),
                html.Td(_hours(o.oldest_hours)),
                html.Td(_hours(o.mean_hours)),
                html.Td(o.capacity_left, className="text-danger" if o.capacity_left < 0 else ""),
                html.Td(o.cured),
                html.Td(o.missed),
            ],
            id=f"tm-officer-{o.username}",
        )
        for o in loads
    ]
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
        size="sm",
        hover=True,
        className="mb-0",
        id="tm-table",
    )


@callback(
    Output(ids.TM_RESULT, "children"),
    Output(TM_REFRESH, "data"),
    Input(ids.TM_ASSIGN, "n_clicks"),
    State(ids.TM_SELECT, "value"),
    State(TM_REFRESH, "data"),
    prevent_initial_call=True,
)
def assign(clicks: Any, chosen: list[str] | None, refresh: int) -> tuple[Any, Any]:
    if not clicks:
        return no_update, no_update
    try:
        plan = team_service.bulk_assign(current(), auth.require_user(), list(chosen or []))
    except (PdeError, ValueError) as exc:
        return dbc.Alert(str(exc), color="danger", className="py-2 small", id="tm-error"), no_update
    spread: dict[str, int] = {}
    for officer in plan.values():
        spread[officer] = spread.get(officer, 0) + 1
    text = ", ".join(f"{n} to {o}" for o, n in sorted(spread.items()))
    return dbc.Alert(
        f"Assigned {len(plan)} customer(s): {text}.",
        color="success",
        className="py-2 small",
        id="tm-ok",
    ), (refresh or 0) + 1
