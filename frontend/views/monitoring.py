"""Model monitoring on the Model page (drift, realised and estimated performance, the shadow
challenger) and the drift banner of the Monitor page; figures from `services.monitoring`."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from pde.frontend import auth, ids
from pde.frontend.components import card, empty, pct, unavailable
from pde.frontend.services import ServiceUnavailableError, access, current
from pde.frontend.services import monitoring as service
from pde.frontend.services.monitoring import DriftOverview, FeatureDriftRow
from pde.frontend.views.performance import NAVY, graph, number, performance_section
from pde.jobs.shadow import ShadowComparison

LEVEL_COLOURS = {"ok": "success", "warn": "warning", "alert": "danger"}


def _level(level: str) -> html.Span:
    return html.Span(level, className=f"badge bg-{LEVEL_COLOURS.get(level, 'secondary')}")


def _feature_rows(rows: list[FeatureDriftRow], class_name: str) -> Any:
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in ("feature", "PSI", "missing", "level")])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(r.feature),
                            html.Td(f"{r.psi:.3f}"),
                            html.Td(pct(r.missing_share)),
                            html.Td(_level(str(r.level))),
                        ],
                        className=class_name,
                    )
                    for r in rows
                ]
            ),
        ],
        size="sm",
        className="mb-0",
    )


def drift_section(overview: DriftOverview) -> Any:
    """Score PSI per scoring date with the warning and alert lines, and the latest date's
    most drifted features (those following the calendar apart: they raise no level)."""
    if not overview.trend:
        return empty("No drift checks yet: they are stored with each scoring run.")
    fig = go.Figure()
    fig.add_scatter(
        x=[p.as_of for p in overview.trend],
        y=[p.score_psi for p in overview.trend],
        name="score PSI",
        mode="lines+markers",
        line={"color": NAVY},
    )
    for value, name, colour in (
        (overview.psi_warn, "warn", "#f0ad4e"),
        (overview.psi_alert, "alert", "#d9534f"),
    ):
        fig.add_hline(y=value, line={"dash": "dash", "color": colour}, annotation_text=name)
    fig.update_layout(yaxis_title="PSI against the bundle's reference")
    latest = overview.latest
    assert latest is not None
    head = html.Div(
        [
            f"{latest.as_of} · model {latest.model_version} · score PSI {latest.score_psi:.3f}"
            f" · KS {latest.score_ks_statistic:.3f} · ",
            _level(latest.level),
        ],
        id=ids.MP_DRIFT_LATEST,
        className="small mb-2",
    )
    calendar = (
        html.Div(
            [
                html.Div(
                    "Calendar features (kept out of the level: they move with the date)",
                    className="small-muted mt-2",
                ),
                _feature_rows(overview.calendar_features, "calendar-row"),
            ]
        )
        if overview.calendar_features
        else None
    )
    return dbc.Row(
        [
            dbc.Col(graph(fig, ids.MP_DRIFT_TREND), lg=7),
            dbc.Col(
                [
                    head,
                    html.Div(
                        _feature_rows(overview.top_features, "drift-row"), id=ids.MP_DRIFT_FEATURES
                    ),
                    calendar,
                ],
                lg=5,
            ),
        ]
    )


def shadow_section(found: ShadowComparison | None) -> Any:
    """The champion/challenger comparison from the stored shadow scores."""
    if found is None:
        return empty(
            "No shadow run: serve a challenger beside the champion (pde serve --challenger)"
            " and score the portfolio."
        )
    overlap = found.alert_overlap
    rows = [
        ("Challenger", found.challenger),
        ("Champion", found.champion),
        ("Shadow dates", f"{len(found.dates)} ({found.dates[0]} to {found.latest})"),
        ("Matured rows", f"{found.matured_rows:,}"),
        ("AUC challenger", number(found.matured_auc[0], 4)),
        ("AUC champion", number(found.matured_auc[1], 4)),
        ("Alerts", f"{found.alerts[0]:,} against {found.alerts[1]:,} on {found.latest}"),
        ("In both", f"{found.alerts_both:,}" + ("" if overlap is None else f" ({pct(overlap)})")),
        ("Score PSI", f"{found.score_psi:.3f}"),
    ]
    return html.Dl(
        [x for k, v in rows for x in (html.Dt(k), html.Dd(v))],
        id=ids.MP_SHADOW,
        className="metric-list mb-0",
    )


def drift_banner(overview: DriftOverview) -> Any:
    """The Monitor page's banner when the latest scoring date warns or alerts; None if not."""
    latest = overview.latest
    if latest is None or not overview.warning_raised:
        return None
    top = ", ".join(f"{f.feature} ({f.psi:.2f})" for f in overview.top_features[:3])
    word = "alert" if overview.alert_raised else "warning"
    return dbc.Alert(
        [
            html.Strong(f"Drift {word} "),
            f"on {latest.as_of} (model {latest.model_version}): score PSI {latest.score_psi:.3f}",
            f"; most drifted: {top}" if top else "",
            ". ",
            dcc.Link("Model page", href="/model"),
        ],
        id=ids.MO_DRIFT,
        color="danger" if overview.alert_raised else "warning",
        className="py-2 mb-2",
    )


def monitoring_view(version: str | None) -> Any:
    """The Model page's monitoring cards for `version` (None: every model)."""
    user = auth.require_user()
    if not access.sees_model_monitoring(user):
        return empty("Model monitoring is shown to supervisors and administrators.")
    services = current()
    try:
        # a model not checked yet (a new champion): the latest checked model's drift
        drift = service.drift_overview(services, user, model_version=version, top=8, or_latest=True)
        performance = service.performance_overview(
            services, user, model_version=drift.latest.model_version if drift.latest else version
        )
        shadow = service.shadow_overview(services, user, model_version=version)
    except ServiceUnavailableError as exc:
        return unavailable(str(exc))
    return [
        card("Drift against the bundle's reference", drift_section(drift)),
        *performance_section(performance),
        card("Champion and challenger (shadow run)", shadow_section(shadow)),
    ]


@callback(Output(ids.MP_MONITORING, "children"), Input(ids.MP_VERSION, "value"))
def render_monitoring(version: str | None) -> Any:
    return monitoring_view(version)
