"""Action Center: who to call today, in three urgency tiers, with impact simulation."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from pde.core.errors import PdeError
from pde.frontend import auth, ids
from pde.frontend.components import card, page_header, table, tier_colour_rules, unavailable
from pde.frontend.services import ServiceUnavailableError, access, actions, current
from pde.frontend.services import impact as impact_service
from pde.frontend.services import queue as queue_service
from pde.frontend.services.catalogue import ACTIONS, URGENCY_LABELS
from pde.frontend.views import sla
from pde.frontend.views.impact import impact_view
from pde.frontend.views.queue import COLUMNS, alerts_line, queue_rows, snapshot_note

dash.register_page(  # type: ignore[no-untyped-call]
    __name__,
    path="/",
    name="Action Center",
    order=0,
    icon="lightning-charge",
    title="Action Center · PDE",
)

STORE = "ac-store"
REFRESH = "ac-refresh"
OVERRIDE = "ac-override"
OVERRIDE_REASON = "ac-override-reason"
OVERRIDE_ERROR = "ac-override-error"


def layout(**kwargs: Any) -> Any:
    user = auth.require_user()
    scope = "the whole portfolio" if access.sees_whole_portfolio(user) else "your customers"
    db_ok = current().status().database_ok
    options = [{"label": "Recommended action", "value": ""}] + [
        {"label": spec.label, "value": kind.value} for kind, spec in ACTIONS.items()
    ]
    queue = [
        dbc.Row(
            [
                dbc.Col(
                    dbc.RadioItems(
                        id=ids.AC_TABS,
                        options=[
                            {"label": label, "value": key} for key, label in URGENCY_LABELS.items()
                        ],
                        value=queue_service.first_urgency(current(), user),
                        inline=True,
                        className="btn-group",
                        inputClassName="btn-check",
                        labelClassName="btn btn-outline-primary btn-sm",
                        labelCheckedClassName="active",
                    ),
                    md=7,
                ),
                dbc.Col(
                    html.Div(
                        [
                            dbc.Select(
                                id=OVERRIDE,
                                options=options,
                                value="",
                                size="sm",
                                style={"minWidth": "200px"},
                                className="me-2",
                            ),
                            dbc.Input(
                                id=OVERRIDE_REASON,
                                placeholder="Reason for another action",
                                maxLength=500,
                                size="sm",
                                className="me-2",
                            ),
                            dbc.Button(
                                [html.I(className="bi bi-calculator me-1"), "Simulate impact"],
                                id=ids.AC_SIMULATE,
                                color="primary",
                                size="sm",
                                disabled=not db_ok,
                            ),
                        ],
                        className="d-flex justify-content-end align-items-center",
                    ),
                    md=5,
                ),
            ],
            className="mb-2 g-2",
        ),
        html.Div(id=OVERRIDE_ERROR),
        html.Div(id=ids.AC_SNAPSHOT, className="small-muted mb-1"),
        html.Div(id=ids.AC_ALERTS, className="small-muted mb-1"),
        table(ids.AC_TABLE, COLUMNS, row_selectable="multi", style_rules=tier_colour_rules()),
        html.Div(id=ids.AC_RESULT, className="mt-2"),
    ]
    modal = dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Impact simulation")),
            dbc.ModalBody(id=ids.AC_IMPACT),
            dbc.ModalFooter(
                [
                    dbc.Button("Cancel", id="ac-cancel", color="secondary", outline=True),
                    dbc.Button(
                        [html.I(className="bi bi-check2-circle me-1"), "Create interventions"],
                        id=ids.AC_EXECUTE,
                        color="success",
                        disabled=not db_ok,
                    ),
                ]
            ),
        ],
        id=ids.AC_MODAL,
        size="lg",
        is_open=False,
    )
    return html.Div(
        [
            page_header(
                "Action Center", f"Priority queue for {scope}: who to contact today, and how"
            ),
            dcc.Store(id=STORE),
            dcc.Store(id=REFRESH, data=0),
            dbc.Row(
                [
                    dbc.Col(card("Priority queue", queue), xxl=9, xl=8),
                    dbc.Col(card("Open work and SLA", sla.sla_panel()), xxl=3, xl=4),
                ]
            ),
            modal,
        ]
    )


@callback(
    Output(ids.AC_TABLE, "data"),
    Output(ids.AC_TABLE, "page_count"),
    Output(ids.AC_TABS, "options"),
    Output(ids.AC_SNAPSHOT, "children"),
    Output(ids.AC_TABLE, "selected_rows"),
    Input(ids.AC_TABS, "value"),
    Input(ids.AC_TABLE, "page_current"),
    Input(ids.AC_TABLE, "page_size"),
    Input(REFRESH, "data"),
)
def load_queue(urgency: str, page: int | None, size: int | None, _: int) -> tuple[Any, ...]:
    labels = [{"label": label, "value": key} for key, label in URGENCY_LABELS.items()]
    try:
        result = queue_service.queue_page(
            current(),
            auth.require_user(),
            urgency=urgency,
            page=page or 0,
            page_size=size or 12,
        )
    except ServiceUnavailableError as exc:
        return [], 1, labels, unavailable(str(exc)), []
    if result.snapshot is None:
        return (
            [],
            1,
            labels,
            "No scores yet: score the portfolio (pde score-portfolio) to fill the queue.",
            [],
        )
    rows = queue_rows(result)
    labels = [
        {"label": f"{label} ({result.counts.get(key, 0):,})", "value": key}
        for key, label in URGENCY_LABELS.items()
    ]
    pages = max(1, -(-result.total // (size or 12)))
    return rows, pages, labels, snapshot_note(result), []


@callback(Output(ids.AC_ALERTS, "children"), Input(REFRESH, "data"))
def load_alerts(_: int) -> Any:
    """The latest scoring run's alerts against the team's weekly capacity."""
    auth.require_user()
    try:
        summary = queue_service.alert_summary(current())
    except ServiceUnavailableError:
        return None
    return None if summary is None else alerts_line(summary)


@callback(
    Output(ids.AC_MODAL, "is_open"),
    Output(ids.AC_IMPACT, "children"),
    Output(STORE, "data"),
    Output(OVERRIDE_ERROR, "children"),
    Input(ids.AC_SIMULATE, "n_clicks"),
    Input("ac-cancel", "n_clicks"),
    State(ids.AC_TABLE, "data"),
    State(ids.AC_TABLE, "selected_rows"),
    State(OVERRIDE, "value"),
    State(OVERRIDE_REASON, "value"),
    prevent_initial_call=True,
)
def simulate(
    _: Any,
    __: Any,
    data: list[dict[str, Any]],
    selected: list[int],
    override: str,
    reason: str | None,
) -> tuple[Any, ...]:
    auth.require_user()
    if dash.ctx.triggered_id == "ac-cancel":
        return False, no_update, no_update, None
    chosen = [data[i] for i in selected or [] if i < len(data)]
    if not chosen:
        message = dbc.Alert("Select one or more customers in the queue first.", color="info")
        return True, message, None, None
    try:
        impact = impact_service.simulate_impact(
            current(), chosen, override=override or None, reason=reason
        )
    except ServiceUnavailableError as exc:
        return True, unavailable(str(exc)), None, None
    except PdeError as exc:  # another action than the recommended one, without a reason
        error = dbc.Alert(str(exc), color="danger", className="py-2 small", id="ac-reason-needed")
        return False, no_update, None, error
    plan = [action.to_record() for action in impact.actions]
    return True, impact_view(impact), plan, None


@callback(
    Output(ids.AC_RESULT, "children"),
    Output(ids.AC_MODAL, "is_open", allow_duplicate=True),
    Output(REFRESH, "data"),
    Input(ids.AC_EXECUTE, "n_clicks"),
    State(STORE, "data"),
    State(REFRESH, "data"),
    prevent_initial_call=True,
)
def execute(_: Any, plan: list[dict[str, Any]] | None, refresh: int) -> tuple[Any, ...]:
    if not plan:
        return no_update, False, no_update
    report = actions.create_planned(
        current(),
        auth.require_user(),
        [impact_service.PlanItem.from_record(item) for item in plan],
    )
    created, refused = report.created, report.refused
    alerts = []
    if created:
        alerts.append(
            dbc.Alert(
                f"Created {len(created)} intervention(s): "
                + ", ".join(f"#{i}" for i in created)
                + " (awaiting approval).",
                color="success",
                dismissable=True,
            )
        )
    if refused:
        alerts.append(
            dbc.Alert(
                ["Refused:", html.Ul([html.Li(r) for r in refused])],
                color="warning",
                dismissable=True,
            )
        )
    return alerts, False, (refresh or 0) + 1
