"""The Model page's charts of a bundle's held-out figures: ROC, precision-recall and
calibration curves per model, the confusion matrix at the alert threshold and the ensemble's
feature importance."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from pde.frontend.components import empty, figure, pct

COLOURS = {
    "ensemble": "#12263f",
    "catboost": "#ef6c00",
    "xgboost": "#1f6feb",
    "lightgbm": "#2e7d32",
}


def curve(
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


def confusion(at: dict[str, Any]) -> Any:
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


def importance(metrics: dict[str, Any]) -> Any:
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
