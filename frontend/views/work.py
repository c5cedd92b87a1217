"""Parts of the Interventions Tracker: the selected intervention's facts and action panel."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from pde.contracts.interventions import OUTCOMES
from pde.frontend import ids
from pde.frontend.components import empty, when
from pde.frontend.services.catalogue import OUTCOME_NAMES, OutcomeKind
from pde.frontend.services.work import InterventionDetail, StaffMember, WorkRow

COLUMNS = [
    ("id", "#"),
    ("link", "Customer"),
    ("type_label", "Action"),
    ("priority", "Priority"),
    ("status_label", "Status"),
    ("created_by", "Created by"),
    ("assigned_to", "Officer"),
    ("sla_due", "SLA due"),
    ("sla", "SLA"),
]
BUTTONS = [
    ("approve", "Approve", "check2", "success"),
    ("assign", "Assign", "person-check", "primary"),
    ("start", "Start", "play-fill", "primary"),
    ("complete", "Complete", "flag-fill", "success"),
    ("cancel", "Cancel", "x-circle", "danger"),
]


def action_panel(officers: list[StaffMember]) -> list[Any]:
    return [
        html.Div(id="it-detail", children=empty("Select an intervention in the list.")),
        html.Div(
            [
                dbc.Button(
                    [html.I(className=f"bi bi-{icon} me-1"), label],
                    id={"type": ids.IT_ACTION, "action": name},
                    color=colour,
                    size="sm",
                    className="me-1 mb-1",
                    disabled=True,
                )
                for name, label, icon, colour in BUTTONS
            ],
            className="mt-2",
        ),
        dbc.Select(
            id=ids.IT_OFFICER,
            options=[
                {"label": f"{o.full_name} ({o.username})", "value": o.username} for o in officers
            ],
            placeholder="Officer to assign",
            size="sm",
            className="mt-2",
        ),
        dbc.Input(
            id=ids.IT_REASON,
            placeholder="Cancellation reason",
            size="sm",
            className="mt-2",
            maxLength=1000,
        ),
        html.Hr(),
        html.Div("Record outcome", className="fw-semibold small mb-1"),
        dbc.Select(
            id=ids.IT_OUTCOME,
            options=[{"label": o.replace("_", " "), "value": o} for o in OUTCOME_NAMES],
            value=OutcomeKind.PAID.value,
            size="sm",
            className="mb-2",
        ),
        dbc.Input(
            id=ids.IT_AMOUNT,
            type="number",
            min=0,
            placeholder="Amount (optional)",
            size="sm",
            className="mb-2",
        ),
        dbc.Input(id=ids.IT_NOTE, placeholder="Note", size="sm", className="mb-2", maxLength=1000),
        dbc.Button(
            [html.I(className="bi bi-journal-check me-1"), "Record outcome"],
            id=ids.IT_RECORD,
            color="dark",
            size="sm",
            disabled=True,
        ),
        html.Hr(),
        html.Div("Close with the 30-day outcome", className="fw-semibold small mb-1"),
        dbc.Select(
            id=ids.IT_OUTCOME_30D,
            options=[{"label": o.replace("_", " "), "value": o} for o in OUTCOMES],
            value=OUTCOMES[0],
            size="sm",
            className="mb-2",
        ),
        dbc.Button(
            [html.I(className="bi bi-calendar-check me-1"), "Close with 30-day outcome"],
            id=ids.IT_CLOSE_30D,
            color="dark",
            size="sm",
            disabled=True,
        ),
        html.Div(id=ids.IT_RESULT, className="mt-2"),
    ]


def work_rows(rows: list[WorkRow]) -> list[dict[str, Any]]:
    """The work list's table rows."""
    return [
        {
            "id": r.id,
            "link": f"[{r.customer_id}](/customer?id={r.customer_id})",
            "type_label": r.type.replace("_", " "),
            "priority": r.priority,
            "status_label": r.status.replace("_", " "),
            "created_by": r.created_by,
            "assigned_to": r.assigned_to or "–",
            "sla_due": when(r.sla_due_at),
            "sla": r.sla,
        }
        for r in rows
    ]


def facts(row: InterventionDetail) -> Any:
    facts: list[tuple[str, Any]] = [
        ("Intervention", f"#{row.id} (version {row.version})"),
        ("Customer", dcc.Link(row.customer_id, href=f"/customer?id={row.customer_id}")),
        ("Action", row.action_label),
        (
            "Status",
            html.Span(row.status.replace("_", " "), id="it-status-text", className="fw-bold"),
        ),
        ("Priority", row.priority),
        ("Created", f"{when(row.created_at)} by {row.created_by}"),
        ("Approved", f"{when(row.approved_at)} by {row.approved_by}" if row.approved_by else "–"),
        ("Assigned to", row.assigned_to or "–"),
        ("SLA due", when(row.sla_due_at)),
        ("Reason", row.reason or "–"),
        ("Outcomes", ", ".join(f"{o.outcome} ({o.recorded_by})" for o in row.outcomes) or "–"),
    ]
    return html.Dl(
        [x for k, v in facts for x in (html.Dt(k), html.Dd(v))], className="metric-list mb-0"
    )
