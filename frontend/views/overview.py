"""Parts of the Risk Overview: the portfolio-health KPI, the tier donut, the concentration of
high-risk customers by segment, and the risk insights written in plain words."""

from __future__ import annotations

from collections import Counter
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import html

from pde.frontend.components import Figure, figure, kpi, money, pct
from pde.frontend.services import portfolio
from pde.frontend.services.catalogue import TIER_COLOURS, TIER_NAMES
from pde.frontend.services.labels import human
from pde.frontend.services.portfolio_kpis import SEGMENT_DIMENSIONS, Kpis

HEALTHY = 0.90  # share of scored customers outside the alert tiers for a "good" portfolio
WATCH = 0.80


def health(kpis: Kpis) -> tuple[float | None, str]:
    """The share of scored customers outside the alert tiers, and its tone."""
    if not kpis.scored:
        return None, ""
    share = 1 - kpis.high_risk / kpis.scored
    return share, "good" if share >= HEALTHY else "warn" if share >= WATCH else "bad"


def health_kpi(kpis: Kpis) -> Any:
    share, tone = health(kpis)
    return kpi(
        "Portfolio health",
        "–" if share is None else f"{share * 100:.0f}",
        note="of 100: share outside high and critical",
        tone=tone,
    )


def tier_counts(view: portfolio.Overview) -> Counter[str]:
    counts: Counter[str] = Counter()
    for _, tier, n in view.histogram:
        counts[tier] += n
    return counts


def tier_donut(view: portfolio.Overview) -> Figure:
    counts = tier_counts(view)
    tiers = [t for t in TIER_NAMES if counts.get(t)]
    fig = go.Figure(
        go.Pie(
            labels=[human(t) for t in tiers],
            values=[counts[t] for t in tiers],
            hole=0.55,
            sort=False,
            marker={"colors": [TIER_COLOURS[t] for t in tiers]},
            textinfo="percent",
            hovertemplate="%{label}: %{value:,} customers (%{percent})<extra></extra>",
        )
    )
    fig.update_layout(showlegend=True, margin={"l": 8, "r": 8, "t": 28, "b": 8})
    return figure(fig, height=260)


def concentration(view: portfolio.Overview, dimension: str) -> Figure:
    """Each segment's share of the high-risk customers beside its share of all customers:
    a segment far above its size concentrates the risk."""
    total = sum(s.customers for s in view.segments) or 1
    high = sum(s.high_risk for s in view.segments) or 1
    shown = sorted(view.segments, key=lambda s: s.high_risk)
    names = [human(s.segment) for s in shown]
    fig = go.Figure()
    fig.add_bar(
        y=names,
        x=[s.customers / total * 100 for s in shown],
        name="share of customers",
        orientation="h",
        marker_color="#9fb3c8",
    )
    fig.add_bar(
        y=names,
        x=[s.high_risk / high * 100 for s in shown],
        name="share of high-risk customers",
        orientation="h",
        marker_color="#ef6c00",
    )
    fig.update_layout(
        barmode="group",
        xaxis={"title": f"% · by {SEGMENT_DIMENSIONS[dimension].lower()}", "rangemode": "tozero"},
    )
    return figure(fig, height=300)


def insights(view: portfolio.Overview, dimension: str) -> html.Ul:
    """Four to five sentences a risk manager can read aloud."""
    k = view.kpis
    lines: list[str] = []
    if k.scored:
        lines.append(
            f"{pct(k.high_risk / k.scored)} of scored customers ({k.high_risk:,}) are high or"
            f" critical risk; the portfolio's expected loss is {money(k.expected_loss)}."
        )
    if len(view.trend) >= 2:
        first, last = view.trend[0][1], view.trend[-1][1]
        move = "rose" if last > first else "fell" if last < first else "held"
        lines.append(
            f"Mean risk {move} from {pct(first)} to {pct(last)} over the last"
            f" {(view.trend[-1][0] - view.trend[0][0]).days} days."
        )
    if view.segments:
        worst = max(view.segments, key=lambda s: s.mean_risk)
        lines.append(
            f"The riskiest {SEGMENT_DIMENSIONS[dimension].lower()} is {human(worst.segment)}:"
            f" mean risk {pct(worst.mean_risk)}, {worst.high_risk:,} high-risk customers."
        )
    if view.drivers:
        name, n = view.drivers[0]
        lines.append(
            f"The reason cited most for high-risk customers is {human(name).lower()}"
            f" ({n:,} of them)."
        )
    if view.rising:
        top = view.rising[0]
        lines.append(
            f"Risk rose for {len(view.rising)}+ customers since the previous scoring; the"
            f" largest rise is {top.customer_id}, up {top.delta * 100:.1f} points."
        )
    return html.Ul(
        [html.Li(line) for line in lines] or [html.Li("No scores yet.")], id="ro-insights"
    )


def kpis_row(kpis: Kpis) -> dbc.Row:
    return dbc.Row(
        [
            health_kpi(kpis),
            kpi("Customers", f"{kpis.customers:,}", note=f"{kpis.scored:,} scored"),
            kpi(
                "High risk",
                f"{kpis.high_risk:,}",
                note=pct(kpis.high_risk / kpis.scored if kpis.scored else None),
                tone="warn",
            ),
            kpi(
                "Critical",
                f"{kpis.critical:,}",
                note=pct(kpis.critical / kpis.scored if kpis.scored else None),
                tone="bad",
            ),
            kpi("Mean risk", pct(kpis.mean_risk), note="30-day miss probability"),
            kpi("Total exposure", money(kpis.total_exposure), note="outstanding balances"),
            kpi("Expected loss", money(kpis.expected_loss), note="PD × exposure × LGD", tone="bad"),
            kpi(
                "Prevented defaults",
                f"{kpis.prevented_defaults:,}",
                note="paid or promise kept",
                tone="good",
            ),
            kpi(
                "Cost saved",
                money(kpis.cost_saved),
                note="loss avoided − action cost",
                tone="good" if kpis.cost_saved >= 0 else "bad",
            ),
            kpi("Success rate", pct(kpis.success_rate), note="interventions with an outcome"),
        ],
        className="g-2",
    )


def distribution(view: portfolio.Overview) -> Figure:
    fig = go.Figure()
    width = 1 / portfolio.HISTOGRAM_BINS
    for tier in TIER_NAMES:
        points = [(b, n) for b, t, n in view.histogram if t == tier]
        if points:
            fig.add_bar(
                x=[(b + 0.5) * width * 100 for b, _ in points],
                y=[n for _, n in points],
                name=tier.capitalize(),
                marker_color=TIER_COLOURS[tier],
                width=width * 100 * 0.95,
            )
    fig.update_layout(
        barmode="stack", xaxis_title="30-day miss probability (%)", yaxis_title="customers"
    )
    return figure(fig)


def trend(view: portfolio.Overview) -> Figure:
    fig = go.Figure()
    fig.add_scatter(
        x=[d for d, _, _ in view.trend],
        y=[m * 100 for _, m, _ in view.trend],
        name="Mean risk (%)",
        mode="lines+markers",
        line={"color": "#1f6feb"},
    )
    fig.add_bar(
        x=[d for d, _, _ in view.trend],
        y=[h for _, _, h in view.trend],
        name="High + critical",
        yaxis="y2",
        marker_color="rgba(239,108,0,.35)",
    )
    fig.update_layout(  # both axes from zero: a move of 0.3 points must not look like a cliff
        yaxis={"title": "mean risk (%)", "rangemode": "tozero"},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "title": "customers",
            "showgrid": False,
            "rangemode": "tozero",
        },
    )
    return figure(fig)
