"""Parts of the Model Performance page: the alert policy's held-out figures and the tier table."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from pde.frontend import ids
from pde.frontend.components import empty, pct, tier_badge
from pde.frontend.services.models import PolicyView


def _figure(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def alerts_view(view: PolicyView) -> Any:
    """Share alerted, capacity used, precision, recall, lift and the ECE, as a list."""
    alerts = view.alerts
    rows: list[tuple[str, str]] = []
    if alerts is not None:
        within = (
            f" ({alerts.alerts:,} of {alerts.capacity:,})"
            if alerts.alerts is not None and alerts.capacity is not None
            else ""
        )
        rows += [
            ("Share alerted", pct(alerts.share_alerted)),
            ("Capacity used", pct(alerts.capacity_used) + within),
            ("Precision", pct(alerts.precision)),
            ("Recall", pct(alerts.recall)),
            ("Lift", "–" if alerts.lift is None else f"{alerts.lift:.2f}×"),
        ]
    rows.append(("ECE", _figure(view.ece, 4)))
    if alerts is None and view.ece is None:
        return empty("No alert policy figures in this bundle's metrics.")
    return html.Dl(
        [x for k, v in rows for x in (html.Dt(k), html.Dd(v))],
        className="metric-list mb-0",
        id=ids.MP_POLICY,
    )


def tiers_view(view: PolicyView) -> Any:
    """Each tier's lower bound, share of the held-out rows and observed default rate."""
    if not view.tiers:
        return empty("No tier table in this bundle's metrics.")
    return dbc.Table(
        [
            html.Thead(
                html.Tr([html.Th(h) for h in ("tier", "from", "share of rows", "default rate")])
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(tier_badge(t.tier)),
                            html.Td(f"{t.lower:.3f}"),
                            html.Td(pct(t.share)),
                            html.Td(pct(t.default_rate)),
                        ],
                        className="tier-row",
                    )
                    for t in view.tiers
                ]
            ),
        ],
        size="sm",
        className="mb-0",
        id=ids.MP_TIERS,
    )


def actions_view(view: PolicyView) -> Any:
    """Where the expected effect of an action comes from, and the fairness flags of the
    learned policy per protected attribute (the four-fifths rule)."""
    items: list[Any] = [html.Div(f"Expected effects: {view.effect_basis}", className="small mb-2")]
    if not view.fairness:
        items.append(empty("No fairness report in this bundle's metrics (no uplift models)."))
    for section in view.fairness:
        name = section.attribute.replace("_", " ")
        rule = f"below {section.ratio:.0%} of the highest group"
        flags = (
            html.Ul([html.Li(f, className="text-danger") for f in section.flags], className="mb-1")
            if section.flags
            else html.Div(f"no group flagged ({rule})", className="small-muted mb-1")
        )
        items += [html.Div(f"{name}: {', '.join(section.groups)}", className="fw-semibold"), flags]
    return html.Div(items, id=ids.MP_FAIRNESS)
