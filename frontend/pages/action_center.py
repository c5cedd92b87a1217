"""Action Center: who to call today, in three urgency tiers, with impact simulation."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from frontend import auth, ids
from frontend.components import (
    card,
    empty,
    money,
    page_header,
    pct,
    table,
    tier_colour_rules,
    unavailable,
    when,
)
from frontend.services import ServiceUnavailableError, current
from frontend.services import queue as queue_service
from frontend.services import work as work_service
from frontend.services.catalogue import ACTIONS, URGENCY_LABELS, URGENCY_PRIORITY, expected_value
from frontend.services.success import success_rates
from pde.errors import PdeError

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
COLUMNS = [
    ("link", "Customer"),
    ("probability_pct", "Risk"),
    ("tier", "tier"),
    ("delta_pct", "Change"),
    ("exposure", "Exposure"),
    ("product", "Product"),
    ("action_label", "Recommended action"),
    ("success_pct", "Success"),
    ("cost_fmt", "Cost"),
    ("net_fmt", "Net benefit"),
    ("cool_down", "Cool-down"),
    ("open_work_fmt", "Open work"),
]


def _sla_panel() -> Any:
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


def layout(**kwargs: Any) -> Any:
    user = auth.require_user()
    scope = "your customers" if user.role == "officer" else "the whole portfolio"
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
                        value="imminent",
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
                            dcc.Dropdown(
                                id=OVERRIDE,
                                options=options,
                                value="",
                                clearable=False,
                                style={"minWidth": "220px"},
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
        html.Div(id=ids.AC_SNAPSHOT, className="small-muted mb-1"),
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
                    dbc.Col(card("Open work and SLA", _sla_panel()), xxl=3, xl=4),
                ]
            ),
            modal,
        ]
    )


def _officer_scope() -> str | None:
    user = auth.require_user()
    return user.username if user.role == "officer" else None


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
    svc = current()
    labels = [{"label": label, "value": key} for key, label in URGENCY_LABELS.items()]
    try:
        with svc.session() as session:
            result = queue_service.queue_page(
                session,
                urgency=urgency,
                page=page or 0,
                page_size=size or 12,
                officer=_officer_scope(),
                policy=svc.policy,
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
    rows = []
    for r in result.rows:
        rows.append(
            {
                **{k: v for k, v in r.items() if isinstance(v, (str, int, float, bool))},
                "link": f"[{r['customer_id']}](/customer?id={r['customer_id']})",
                "probability_pct": pct(r["probability"]),
                "delta_pct": f"{r['delta'] * 100:+.1f} pts",
                "exposure": money(float(r["outstanding_balance"])),
                "outstanding_balance": float(r["outstanding_balance"]),
                "success_pct": pct(r["success_rate"], 0),
                "cost_fmt": money(r["cost"]),
                "net_fmt": money(r["net_benefit"]),
                "open_work_fmt": "yes" if r["open_work"] else "",
            }
        )
    labels = [
        {"label": f"{label} ({result.counts.get(key, 0):,})", "value": key}
        for key, label in URGENCY_LABELS.items()
    ]
    pages = max(1, -(-result.total // (size or 12)))
    snap = result.snapshot
    note = (
        f"Scores as of {when(snap.as_of)}, model {snap.model_version};"
        f" {result.total:,} customers in this tier."
    )
    return rows, pages, labels, note, []


@callback(
    Output(ids.AC_MODAL, "is_open"),
    Output(ids.AC_IMPACT, "children"),
    Output(STORE, "data"),
    Input(ids.AC_SIMULATE, "n_clicks"),
    Input("ac-cancel", "n_clicks"),
    State(ids.AC_TABLE, "data"),
    State(ids.AC_TABLE, "selected_rows"),
    State(OVERRIDE, "value"),
    State(ids.AC_TABS, "value"),
    prevent_initial_call=True,
)
def simulate(
    _: Any, __: Any, data: list[dict[str, Any]], selected: list[int], override: str, urgency: str
) -> tuple[Any, ...]:
    if dash.ctx.triggered_id == "ac-cancel":
        return False, no_update, no_update
    chosen = [data[i] for i in selected or [] if i < len(data)]
    if not chosen:
        return (
            True,
            dbc.Alert("Select one or more customers in the queue first.", color="info"),
            None,
        )
    try:
        with current().session() as session:
            rates = success_rates(session)
    except ServiceUnavailableError as exc:
        return True, unavailable(str(exc)), None
    plan, lines = [], []
    totals = {"cost": 0.0, "avoided": 0.0, "defaults": 0.0}
    for row in chosen:
        kind = override or row["action"]
        spec = ACTIONS[next(k for k in ACTIONS if k.value == kind)]
        rate = rates.get(kind, spec.prior_success)
        avoided, net = expected_value(
            probability=row["probability"],
            exposure=row["outstanding_balance"],
            success_rate=rate,
            cost=spec.cost,
        )
        totals["cost"] += spec.cost
        totals["avoided"] += avoided
        totals["defaults"] += row["probability"] * rate
        plan.append(
            {
                "customer_id": row["customer_id"],
                "type": kind,
                "priority": URGENCY_PRIORITY[row["urgency"]].value,
                "probability": row["probability"],
                "blocked": bool(row.get("cool_down")),
            }
        )
        lines.append(
            html.Tr(
                [
                    html.Td(row["customer_id"]),
                    html.Td(spec.label),
                    html.Td(pct(row["probability"])),
                    html.Td(pct(rate, 0)),
                    html.Td(money(spec.cost)),
                    html.Td(money(avoided)),
                    html.Td(money(net)),
                    html.Td(row.get("cool_down") or ""),
                ]
            )
        )
    net_total = totals["avoided"] - totals["cost"]
    summary = dbc.Row(
        [
            dbc.Col(
                [
                    html.Div("Interventions", className="kpi-label"),
                    html.Div(str(len(plan)), className="kpi-value"),
                ]
            ),
            dbc.Col(
                [
                    html.Div("Total cost", className="kpi-label"),
                    html.Div(money(totals["cost"]), className="kpi-value"),
                ]
            ),
            dbc.Col(
                [
                    html.Div("Expected defaults prevented", className="kpi-label"),
                    html.Div(f"{totals['defaults']:.2f}", className="kpi-value"),
                ]
            ),
            dbc.Col(
                [
                    html.Div("Expected loss avoided", className="kpi-label"),
                    html.Div(money(totals["avoided"]), className="kpi-value good"),
                ]
            ),
            dbc.Col(
                [
                    html.Div("Net benefit", className="kpi-label"),
                    html.Div(
                        money(net_total),
                        className=f"kpi-value {'good' if net_total >= 0 else 'bad'}",
                    ),
                ]
            ),
        ],
        className="mb-3",
    )
    detail = dbc.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th(h)
                        for h in (
                            "Customer",
                            "Action",
                            "Risk",
                            "Success",
                            "Cost",
                            "Loss avoided",
                            "Net",
                            "Cool-down",
                        )
                    ]
                )
            ),
            html.Tbody(lines),
        ],
        size="sm",
        striped=True,
    )
    note = html.Div(
        "Customers in cool-down are refused by the workflow and reported after execution.",
        className="small-muted",
    )
    return True, [summary, detail, note], plan


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
    user = auth.require_user()
    actor = work_service.Actor(user.username, user.role)
    created, refused = [], []
    svc = current()
    for item in plan:
        try:
            with svc.session() as session:
                created.append(
                    work_service.create(
                        session,
                        actor,
                        customer_id=item["customer_id"],
                        kind=item["type"],
                        priority=item["priority"],
                        reason="from the Action Center queue",
                        probability=item["probability"],
                        policy=svc.policy,
                        model_version=None,
                    )
                )
        except PdeError as exc:
            refused.append(f"{item['customer_id']}: {exc}")
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
