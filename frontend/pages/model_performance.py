"""Model Performance: the champion bundle's held-out figures, curves and version metadata."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from pde.core.errors import PdeError
from pde.frontend import ids
from pde.frontend.components import (
    card,
    export_links,
    kpi,
    page_header,
    pct,
    unavailable,
)
from pde.frontend.downloads import report_href
from pde.frontend.services import ServiceUnavailableError, current, model_health
from pde.frontend.services import models as model_service
from pde.frontend.views import model_charts as charts
from pde.frontend.views.monitoring import render_monitoring  # noqa: F401  (its callback)
from pde.frontend.views.policy import actions_view, alerts_view, tiers_view

dash.register_page(  # type: ignore[no-untyped-call]
    __name__,
    path="/model",
    name="Model",
    order=4,
    icon="graph-up-arrow",
    title="Model Performance · PDE",
)


def layout(**kwargs: Any) -> Any:
    model_dir = current().settings.model_dir
    versions = model_service.bundles(model_dir)
    chosen = model_service.current_version(model_dir) or (versions[-1] if versions else None)
    return html.Div(
        [
            html.Div(
                [
                    page_header(
                        "Model Performance",
                        f"Bundles in {model_dir}; the champion is the one served",
                    ),
                    dbc.Select(
                        id=ids.MP_VERSION,
                        options=[
                            {"label": v + (" (champion)" if v == chosen else ""), "value": v}
                            for v in reversed(versions)
                        ],
                        value=chosen,
                        size="sm",
                        style={"maxWidth": "320px"},
                    ),
                ],
                className="d-flex justify-content-between align-items-end mb-2",
            ),
            dcc.Loading(
                html.Div(
                    id=ids.MP_BODY,
                    children=None
                    if versions
                    else unavailable(
                        f"No model bundle in {model_dir}: train one with `pde train`."
                    ),
                ),
                type="dot",
            ),
            html.Div(id=ids.MP_MONITORING, className="mt-2"),
        ]
    )


@callback(Output(ids.MP_BODY, "children"), Input(ids.MP_VERSION, "value"))
def render(version: str | None) -> Any:
    if not version:
        return unavailable("No model bundle yet: train one with `pde train`.")
    services = current()
    try:
        bundle = model_service.load_bundle(services.settings.model_dir, version)
    except PdeError as exc:
        return unavailable(str(exc))
    manifest, metrics = bundle.manifest, bundle.metrics
    ensemble = (metrics.get("metrics") or manifest.get("metrics") or {}).get("ensemble") or {}
    curves = metrics.get("curves") or {}
    policy = model_service.policy_view(bundle)
    try:
        status = model_service.registry_status(services, version)
    except ServiceUnavailableError:
        status = None
    health, f1 = model_health.health_score(ensemble), model_health.f1_at_threshold(ensemble)
    kpis = dbc.Row(
        [
            kpi(
                "Model health",
                "–" if health is None else f"{health}",
                note="of 100: AUC 60%, calibration 40%",
                tone="" if health is None else "good" if health >= 70 else "warn",
            ),
            kpi("AUC", f"{ensemble.get('auc', float('nan')):.3f}", note="held-out test"),
            kpi("Gini", f"{ensemble.get('gini', float('nan')):.3f}"),
            kpi("KS", f"{ensemble.get('ks', float('nan')):.3f}"),
            kpi("PR-AUC", f"{ensemble.get('pr_auc', float('nan')):.3f}"),
            kpi("Brier", f"{ensemble.get('brier', float('nan')):.4f}"),
            kpi("Top-decile capture", pct(ensemble.get("top_decile_capture"))),
            kpi("F1", "–" if f1 is None else f"{f1:.3f}", note="at the alert threshold"),
        ],
        className="g-2",
    )
    meta = [
        ("Version", bundle.version),
        ("Status", status or "not registered"),
        ("Serving pointer", "current" if bundle.is_current else "–"),
        ("Created", str(manifest.get("created_at", ""))[:19].replace("T", " ")),
        (
            "Features",
            f"{len(manifest.get('feature_names', []))}"
            f" (catalogue {manifest.get('feature_catalogue_version') or '–'})",
        ),
        (
            "Ensemble weights",
            ", ".join(f"{k} {v:.2f}" for k, v in (manifest.get("weights") or {}).items()),
        ),
        ("Calibration", (manifest.get("calibration") or {}).get("method", "–")),
        ("Threshold", f"{manifest.get('threshold', 0):.4f}"),
        ("Tiers", ", ".join(f"{t['name']} ≥ {t['lower']:.2f}" for t in manifest.get("tiers", []))),
        ("Data fingerprint", str(manifest.get("data_fingerprint", ""))[:16] + "…"),
    ]
    per_model = metrics.get("metrics") or manifest.get("metrics") or {}
    compare = dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in ("model", "AUC", "PR-AUC", "Brier")])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(n),
                            html.Td(f"{m.get('auc', 0):.4f}"),
                            html.Td(f"{m.get('pr_auc', 0):.4f}"),
                            html.Td(f"{m.get('brier', 0):.4f}"),
                        ]
                    )
                    for n, m in per_model.items()
                    if isinstance(m, dict) and "auc" in m
                ]
            ),
        ],
        size="sm",
        className="mb-0",
    )
    return [
        kpis,
        dbc.Row(
            [
                dbc.Col(
                    card(
                        "ROC",
                        charts.curve(
                            curves,
                            "roc",
                            "fpr",
                            "tpr",
                            diagonal=True,
                            x_title="false positive rate",
                            y_title="true positive rate",
                        ),
                    ),
                    lg=4,
                ),
                dbc.Col(
                    card(
                        "Calibration",
                        charts.curve(
                            curves,
                            "calibration",
                            "predicted",
                            "observed",
                            diagonal=True,
                            x_title="predicted",
                            y_title="observed",
                        ),
                    ),
                    lg=4,
                ),
                dbc.Col(
                    card(
                        "Lift (cumulative capture)",
                        charts.curve(
                            curves,
                            "capture",
                            "share",
                            "captured",
                            diagonal=True,
                            x_title="share of customers contacted",
                            y_title="share of misses caught",
                        ),
                    ),
                    lg=4,
                ),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(
                    card(
                        "Confusion matrix at the threshold",
                        charts.confusion(ensemble.get("at_threshold") or {}),
                    ),
                    lg=4,
                ),
                dbc.Col(card("Feature importance", charts.importance(metrics)), lg=5),
                dbc.Col(
                    [
                        card(
                            "Version",
                            html.Dl(
                                [x for k, v in meta for x in (html.Dt(k), html.Dd(v))],
                                className="metric-list mb-0",
                            ),
                        ),
                        card("Per model", compare),
                    ],
                    lg=3,
                ),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(
                    [
                        card("Alert policy on held-out rows", alerts_view(policy)),
                        card("Actions and fairness", actions_view(policy)),
                    ],
                    lg=4,
                ),
                dbc.Col(
                    card(
                        "Risk tiers on held-out rows",
                        tiers_view(policy),
                        extra=export_links("model-tiers"),
                    ),
                    lg=8,
                ),
            ]
        ),
        html.A(
            [html.I(className="bi bi-file-earmark-text me-1"), "Full evaluation report"],
            href=report_href(bundle.version),
            id="mp-report",
            target="_blank",
            rel="noopener",
            className="btn btn-sm btn-outline-primary mb-3",
        ),
    ]
