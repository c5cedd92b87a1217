"""Interventions Tracker: effectiveness KPIs and charts, the work list, and every workflow step."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html, no_update

from pde.core.errors import PdeError
from pde.frontend import auth, ids
from pde.frontend.components import (
    card,
    empty,
    page_header,
    table,
    unavailable,
)
from pde.frontend.services import (
    ServiceUnavailableError,
    access,
    actions,
    current,
    effectiveness,
)
from pde.frontend.services import work as work_service
from pde.frontend.services.catalogue import (
    ACTIONS,
    OPEN_STATUS_NAMES,
    STATUS_NAMES,
    InterventionStatus,
)
from pde.frontend.views import effectiveness as effectiveness_view
from pde.frontend.views import work as work_view

dash.register_page(  # type: ignore[no-untyped-call]
    __name__,
    path="/interventions",
    name="Interventions",
    order=5,
    icon="clipboard-check",
    title="Interventions · PDE",
)

PERIODS = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("all", "All time"),
]
STATUS_FILTERS = [
    ("open", "Open"),
    ("all", "All"),
    (InterventionStatus.COMPLETED.value, "Completed"),
    (InterventionStatus.CANCELLED.value, "Cancelled"),
]


def layout(id: str | None = None, **kwargs: Any) -> Any:
    user = auth.require_user()
    try:
        officers = work_service.assignable_officers(current())
    except ServiceUnavailableError as exc:
        return html.Div([page_header("Interventions", ""), unavailable(str(exc))])
    selected = int(id) if id and id.isdigit() else None
    filters = dbc.Row(
        [
            dbc.Col(
                dbc.Select(
                    id=ids.IT_PERIOD,
                    options=[{"label": b, "value": a} for a, b in PERIODS],
                    value="all",
                    size="sm",
                ),
                md=2,
            ),
            dbc.Col(
                dbc.Select(
                    id=ids.IT_TYPE,
                    options=[{"label": "All actions", "value": "all"}]
                    + [{"label": s.label, "value": k.value} for k, s in ACTIONS.items()],
                    value="all",
                    size="sm",
                ),
                md=3,
            ),
            dbc.Col(
                dbc.Select(
                    id=ids.IT_STATUS,
                    options=[{"label": b, "value": a} for a, b in STATUS_FILTERS],
                    value="open" if selected is None else "all",
                    size="sm",
                ),
                md=2,
            ),
        ],
        className="mb-3 g-2",
    )
    panel = work_view.action_panel(officers)
    scope = (
        "all interventions"
        if access.sees_whole_portfolio(user)
        else "interventions you created or are assigned"
    )
    return html.Div(
        [
            page_header("Interventions Tracker", f"What was done and what it achieved · {scope}"),
            dcc.Store(id=ids.IT_SELECTED, data=selected),
            dcc.Store(id=ids.IT_REFRESH, data=0),
            filters,
            dcc.Loading(html.Div(id=ids.IT_KPIS), type="dot"),
            html.Div(id=ids.IT_CHARTS),
            dbc.Row(
                [
                    dbc.Col(
                        card(
                            "Work list",
                            table(ids.IT_TABLE, work_view.COLUMNS, row_selectable="single"),
                        ),
                        xl=8,
                    ),
                    dbc.Col(card("Selected intervention", panel), xl=4),
                ]
            ),
        ]
    )


def _days(period: str | None) -> int | None:
    return int(period) if period and period.isdigit() else None


def _kind(kind: str | None) -> str | None:
    return None if not kind or kind == "all" else kind


@callback(
    Output(ids.IT_KPIS, "children"),
    Output(ids.IT_CHARTS, "children"),
    Input(ids.IT_PERIOD, "value"),
    Input(ids.IT_TYPE, "value"),
    Input(ids.IT_REFRESH, "data"),
)
def figures(period: str | None, kind: str | None, _: int) -> tuple[Any, Any]:
    days, kind = _days(period), _kind(kind)
    try:
        found = effectiveness.tracker(current(), days=days, kind=kind)
    except ServiceUnavailableError as exc:
        return unavailable(str(exc)), None
    return effectiveness_view.kpi_row(found.kpis), effectiveness_view.charts(
        found.by_type, found.outcome_mix
    )


def _statuses(choice: str | None) -> tuple[str, ...]:
    if choice == "all":
        return STATUS_NAMES
    if choice in STATUS_NAMES:
        return (str(choice),)
    return OPEN_STATUS_NAMES


@callback(
    Output(ids.IT_TABLE, "data"),
    Output(ids.IT_TABLE, "page_count"),
    Output(ids.IT_TABLE, "selected_rows"),
    Input(ids.IT_STATUS, "value"),
    Input(ids.IT_TYPE, "value"),
    Input(ids.IT_TABLE, "page_current"),
    Input(ids.IT_TABLE, "page_size"),
    Input(ids.IT_REFRESH, "data"),
    State(ids.IT_SELECTED, "data"),
)
def work_list(
    status: str | None,
    kind: str | None,
    page: int | None,
    size: int | None,
    _: int,
    selected: int | None,
) -> tuple[Any, ...]:
    try:
        found = work_service.work_page(
            current(),
            auth.require_user(),
            page=page or 0,
            page_size=size or 12,
            statuses=_statuses(status),
            kind=_kind(kind),
        )
    except ServiceUnavailableError:
        return [], 1, []
    data = work_view.work_rows(list(found.rows))
    total = found.total
    chosen = [i for i, r in enumerate(data) if r["id"] == selected]
    return data, max(1, -(-total // (size or 12))), chosen


@callback(
    Output(ids.IT_SELECTED, "data"),
    Input(ids.IT_TABLE, "selected_rows"),
    State(ids.IT_TABLE, "data"),
    State(ids.IT_SELECTED, "data"),
    prevent_initial_call=True,
)
def select(rows: list[int] | None, data: list[dict[str, Any]], current_id: int | None) -> Any:
    if not rows:
        return no_update
    chosen = data[rows[0]]["id"] if rows[0] < len(data) else None
    return chosen if chosen != current_id else no_update


@callback(
    Output("it-detail", "children"),
    Output({"type": ids.IT_ACTION, "action": ALL}, "disabled"),
    Output(ids.IT_RECORD, "disabled"),
    Output(ids.IT_CLOSE_30D, "disabled"),
    Input(ids.IT_SELECTED, "data"),
    Input(ids.IT_REFRESH, "data"),
)
def detail(selected: int | None, _: int) -> tuple[Any, ...]:
    off = [True] * len(work_view.BUTTONS)
    if selected is None:
        return empty("Select an intervention in the list."), off, True, True
    try:
        detail = work_service.intervention_detail(current(), auth.require_user(), int(selected))
    except PdeError as exc:  # unavailable, or no such intervention
        return unavailable(str(exc)), off, True, True
    disabled = [name not in detail.allowed_actions for name, *_ in work_view.BUTTONS]
    closed = not detail.can_record_outcome
    return work_view.facts(detail), disabled, closed, closed


@callback(
    Output(ids.IT_RESULT, "children"),
    Output(ids.IT_REFRESH, "data"),
    Input({"type": ids.IT_ACTION, "action": ALL}, "n_clicks"),
    Input(ids.IT_RECORD, "n_clicks"),
    Input(ids.IT_CLOSE_30D, "n_clicks"),
    State(ids.IT_SELECTED, "data"),
    State(ids.IT_OFFICER, "value"),
    State(ids.IT_REASON, "value"),
    State(ids.IT_OUTCOME, "value"),
    State(ids.IT_AMOUNT, "value"),
    State(ids.IT_NOTE, "value"),
    State(ids.IT_OUTCOME_30D, "value"),
    State(ids.IT_REFRESH, "data"),
    prevent_initial_call=True,
)
def act(  # noqa: PLR0917 - Dash passes callback arguments by position
    clicks: list[int | None],
    record: int | None,
    close: int | None,
    selected: int | None,
    officer: str | None,
    reason: str | None,
    outcome: str,
    amount: float | str | None,
    note: str | None,
    cure_outcome: str,
    refresh: int,
) -> tuple[Any, Any]:
    trigger = dash.ctx.triggered_id
    if selected is None or trigger is None or not dash.ctx.triggered[0].get("value"):
        return no_update, no_update
    try:
        user = auth.require_user()
        if trigger == ids.IT_CLOSE_30D:
            message = actions.record_cure_outcome(
                current(), user, intervention_id=int(selected), outcome=cure_outcome
            )
        elif trigger == ids.IT_RECORD:
            outcome_id = actions.record_outcome(
                current(),
                user,
                intervention_id=int(selected),
                outcome=outcome,
                amount=float(amount) if amount not in (None, "") else None,
                note=note,
            )
            kind = outcome.replace("_", " ")
            message = f"Outcome #{outcome_id} ({kind}) recorded on intervention {selected}."
        else:
            message = actions.act(
                current(),
                user,
                action=str(trigger["action"]),
                intervention_id=int(selected),
                officer=officer,
                reason=reason,
            )
    except (PdeError, ValueError) as exc:
        return dbc.Alert(str(exc), color="danger", className="py-2 small", id="it-error"), (
            refresh or 0
        ) + 1
    return dbc.Alert(message, color="success", className="py-2 small", id="it-ok"), (
        refresh or 0
    ) + 1
