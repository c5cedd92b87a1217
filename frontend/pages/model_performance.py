"""Model Performance: the champion bundle's held-out figures, curves and version metadata."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from pde.core.errors import PdeError
from pde.frontend import ids
from pde.frontend.components import card, empty, figure, kpi, page_header, pct, unavailable
from pde.frontend.services import ServiceUnavailableError, current
from pde.frontend.services import models as model_service
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

COLOURS = {
    "ensemble": "#12263f",
    "catboost": "#ef6c00",
    "xgboost": "#1f6feb",
    "lightgbm": "#2e7d32",
}


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


def _curve(
    curves: dict[str, Any], key: str, x: str, y: str, *, diagonal: bool, x_title: str, y_title: str
) -> Any:
    fig = go.Figure()
    for name, data in curves.items():
        part = data.get(key) or {}
        if x in part and y in part:
            fig.add_scatter(
                x=part[x],
                y=part[y],
                name=name,
                mode="lines",
                line={"color": COLOURS.get(name), "width": 3 if name == "ensemble" else 1.5},
            )
    if diagonal:
        fig.add_scatter(
            x=[0, 1], y=[0, 1], name="chance", mode="lines", line={"dash": "dot", "color": "#999"}
        )
    fig.update_layout(xaxis_title=x_title, yaxis_title=y_title)
    return (
        dcc.Graph(figure=figure(fig, height=260), config={"displayModeBar": False})
        if fig.data
        else empty("Not in this bundle's metrics.")
    )


def _confusion(at: dict[str, Any]) -> Any:
    cm = at.get("confusion_matrix")
    if not cm:
        return empty("No confusion matrix.")
    z = [[cm["tn"], cm["fp"]], [cm["fn"], cm["tp"]]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=["predicted no miss", "predicted miss"],
            y=["no miss", "missed"],
            colorscale="Blues",
            showscale=False,
            text=z,
            texttemplate="%{text:,}",
        )
    )
    fig.update_layout(yaxis={"autorange": "reversed"})
    caption = (
        f"threshold {at.get('threshold', 0):.3f} · precision {pct(at.get('precision'))}"
        f" · recall {pct(at.get('recall'))}"
    )
    return [
        dcc.Graph(figure=figure(fig, height=240), config={"displayModeBar": False}),
        html.Div(caption, className="small-muted"),
    ]


def _importance(metrics: dict[str, Any]) -> Any:
    rows = ((metrics.get("shap_top20") or {}).get("ensemble")) or []
    if not rows:
        return empty("No feature importance in this bundle.")
    rows = list(reversed(rows[:15]))
    fig = go.Figure(
        go.Bar(
            x=[r["mean_abs_shap"] for r in rows],
            y=[r["feature"] for r in rows],
            orientation="h",
            marker_color="#12263f",
        )
    )
    fig.update_layout(xaxis_title="mean |SHAP| (log-odds)", margin={"l": 200})
    return dcc.Graph(figure=figure(fig, height=380), config={"displayModeBar": False})


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
    kpis = dbc.Row(
        [
            kpi("AUC", f"{ensemble.get('auc', float('nan')):.3f}", note="held-out test"),
            kpi("Gini", f"{ensemble.get('gini', float('nan')):.3f}"),
            kpi("KS", f"{ensemble.get('ks', float('nan')):.3f}"),
            kpi("PR-AUC", f"{ensemble.get('pr_auc', float('nan')):.3f}"),
            kpi("Brier", f"{ensemble.get('brier', float('nan')):.4f}"),
            kpi("Top-decile capture", pct(ensemble.get("top_decile_capture"))),
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
                        _curve(
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
                        _curve(
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
                        _curve(
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
                        _confusion(ensemble.get("at_threshold") or {}),
                    ),
                    lg=4,
                ),
                dbc.Col(card("Feature importance", _importance(metrics)), lg=5),
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
                dbc.Col(card("Risk tiers on held-out rows", tiers_view(policy)), lg=8),
            ]
        ),
        html.Div(f"Full report: {bundle.directory / 'report.html'}", className="small-muted"),
    ]
