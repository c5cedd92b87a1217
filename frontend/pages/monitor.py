"""Real-time Monitor: refreshes on an interval with score changes, activity and alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from pde.frontend import auth, ids
from pde.frontend.components import card, empty, page_header, pct, tier_badge, unavailable, when
from pde.frontend.services import ServiceUnavailableError, access, current
from pde.frontend.services import monitor as monitor_service
from pde.frontend.services import monitoring as monitoring_service
from pde.frontend.services import triggers as trigger_service
from pde.frontend.services.catalogue import RUN_STATUS_COLOURS
from pde.frontend.services.monitor import ScoreChange
from pde.frontend.services.triggers import TriggerLine
from pde.frontend.views.monitoring import drift_banner

dash.register_page(  # type: ignore[no-untyped-call]
    __name__, path="/monitor", name="Monitor", order=3, icon="activity", title="Monitor · PDE"
)

REFRESH_MS = 10_000


def layout(**kwargs: Any) -> Any:
    return html.Div(
        [
            html.Div(
                [
                    page_header(
                        "Real-time Monitor", f"Refreshes every {REFRESH_MS // 1000} seconds"
                    ),
                    html.Div(id=ids.MO_UPDATED, className="small-muted"),
                ],
                className="d-flex justify-content-between align-items-end",
            ),
            dcc.Interval(id=ids.MO_INTERVAL, interval=REFRESH_MS),
            html.Div(id=ids.MO_BODY),
        ]
    )


def _change(row: ScoreChange) -> Any:
    if row.previous is None:
        delta = html.Span("new", className="badge bg-secondary")
    else:
        points = (row.probability - row.previous) * 100
        delta = html.Span(
            f"{points:+.1f} pts",
            className="text-danger fw-semibold" if points > 0 else "text-success",
        )
    return html.Tr(
        [
            html.Td(when(row.scored_at)),
            html.Td(dcc.Link(row.customer_id, href=f"/customer?id={row.customer_id}")),
            html.Td(pct(row.probability)),
            html.Td(delta),
            html.Td(tier_badge(row.tier)),
            html.Td(html.I(className="bi bi-bell-fill text-danger") if row.alert else ""),
        ]
    )


def _triggers(lines: tuple[TriggerLine, ...]) -> Any:
    if not lines:
        return html.Div(empty("No trigger events."), id=ids.MO_TRIGGERS)
    return html.Div(
        [
            html.Div(
                [
                    html.Span(when(t.day), className="small-muted me-2"),
                    dcc.Link(t.customer_id, href=f"/customer?id={t.customer_id}", className="me-2"),
                    html.Span(t.label, className="badge bg-danger me-2"),
                    html.Span(t.detail, className="small"),
                ],
                className="feed-item trigger-event",
            )
            for t in lines
        ],
        id=ids.MO_TRIGGERS,
    )


@callback(
    Output(ids.MO_BODY, "children"),
    Output(ids.MO_UPDATED, "children"),
    Input(ids.MO_INTERVAL, "n_intervals"),
)
def refresh(_: int | None) -> tuple[Any, Any]:
    updated = f"updated {datetime.now(UTC):%H:%M:%S} UTC"
    user = auth.require_user()
    try:
        services = current()
        trigger_service.refresh(services)
        feed = monitor_service.feed(services, user)
        triggers = _triggers(trigger_service.recent(services, user))
        drift = (
            drift_banner(monitoring_service.drift_overview(services, user, top=3))
            if access.sees_model_monitoring(user)
            else None
        )
    except ServiceUnavailableError as exc:
        return unavailable(str(exc)), updated
    alerts = [
        dbc.Alert(alert.text, color=alert.level, className="py-2 mb-2") for alert in feed.alerts
    ] or [empty("No alerts.")]
    changes = (
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(h)
                            for h in ("Scored", "Customer", "Risk", "Change", "Tier", "Alert")
                        ]
                    )
                ),
                html.Tbody([_change(r) for r in feed.changes]),
            ],
            size="sm",
            hover=True,
            className="mb-0",
            id=ids.MO_CHANGES,
        )
        if feed.changes
        else empty("No scores yet.")
    )
    activity = [
        html.Div(
            [
                html.Span(when(a.occurred_at), className="small-muted me-2"),
                html.Span(a.actor, className="fw-semibold me-1"),
                html.Span(f"{a.action} {a.entity_type} {a.entity_id}"),
            ],
            className="feed-item",
        )
        for a in feed.activity
    ] or [empty("No activity yet.")]
    runs = [
        html.Div(
            [
                html.Span(r.run_id, className="fw-semibold me-2"),
                html.Span(
                    r.status,
                    className=f"badge bg-{RUN_STATUS_COLOURS.get(r.status, 'info')} me-2",
                ),
                html.Span(
                    f"{r.rows_written:,}"
                    + (f" / {r.total_customers:,}" if r.total_customers else "")
                    + " rows",
                    className="small-muted",
                ),
            ],
            className="feed-item",
        )
        for r in feed.runs
    ] or [empty("No scoring runs.")]
    body = dbc.Row(
        [
            dbc.Col(
                [card("Largest score changes", changes), card("Trigger events", triggers)], xl=6
            ),
            dbc.Col([card("Alerts", alerts), card("Scoring runs", runs)], xl=3),
            dbc.Col(card("Activity log", activity), xl=3),
        ]
    )
    return [drift, body], updated
