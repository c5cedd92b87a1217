"""The Deep Dive's body: head with flags, risk and metrics, history and segment, value at risk,
signals and behaviour, the call panel, and the work history."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from pde.frontend import ids
from pde.frontend.components import card, empty, export_links, tier_badge, when
from pde.frontend.services.casework import CallPanel
from pde.frontend.services.customer import CustomerView
from pde.frontend.services.insights import Signal, Worth
from pde.frontend.views import call as call_view
from pde.frontend.views import customer as parts
from pde.frontend.views import insights as insight_view


def body(
    view: CustomerView,
    panel: CallPanel,
    history: Any,
    *,
    signals: tuple[Signal, ...],
    worth: Worth | None,
    lines: list[str],
    lgd: float,
    income_rate: float,
) -> list[Any]:
    score = view.score
    head = html.Div(
        [
            html.H4(view.profile.customer_id, className="d-inline me-2", id=ids.DD_CUSTOMER),
            tier_badge(score.tier) if score else dbc.Badge("not scored", color="secondary"),
            html.Span(" "),
            call_view.flags(panel.contact),
        ]
        + (
            [
                html.Span(
                    f"  scored {when(score.as_of)} · model {score.model_version}",
                    className="small-muted ms-2",
                )
            ]
            if score
            else []
        ),
        className="mb-2",
    )
    return [
        head,
        dbc.Row(
            [
                dbc.Col(
                    card(
                        "Risk",
                        dcc.Graph(
                            figure=parts.gauge(score.probability, score.tier),
                            config={"displayModeBar": False},
                        )
                        if score
                        else empty("Not scored."),
                    ),
                    md=4,
                ),
                dbc.Col(card("Key metrics", parts.metrics(view)), md=8),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(card("Score history", parts.history_figure(view)), md=6),
                dbc.Col(
                    [
                        card("Compared with the segment", parts.segment_table(view)),
                        card("Reason codes at scoring", parts.stored_reasons(view)),
                    ],
                    md=6,
                ),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(
                    card(
                        "Value at risk",
                        insight_view.worth_panel(worth, lgd=lgd, income_rate=income_rate),
                    ),
                    md=4,
                ),
                dbc.Col(card("Signals against the segment", insight_view.radar(signals)), md=4),
                dbc.Col(card("Behaviour", insight_view.insight_list(lines)), md=4),
            ]
        ),
        dbc.Row(
            [
                dbc.Col(
                    card(
                        "On the call: payments and activity",
                        call_view.money_facts(panel.facts, panel.facts_note),
                        extra=_downloads(
                            view.profile.customer_id,
                            ("Payments", "customer-payments"),
                            ("Transactions", "customer-timeline"),
                        ),
                    ),
                    md=7,
                ),
                dbc.Col(
                    [
                        card("Contact preferences", call_view.contact_form(panel.contact)),
                        card("Promises to pay", call_view.promise_form(panel)),
                    ],
                    md=5,
                ),
            ]
        ),
        card(
            "Interventions and history",
            history,
            class_name="history",
            extra=_downloads(view.profile.customer_id, ("Interventions", "customer-interventions")),
        ),
    ]


def _downloads(customer_id: str, *tables: tuple[str, str]) -> Any:
    """CSV and Excel links of the customer's tables, each after its name."""
    parts: list[Any] = []
    for label, name in tables:
        parts += [
            html.Span(label, className="small-muted ms-2 me-1"),
            export_links(name, customer_id),
        ]
    return html.Div(parts, className="d-inline-flex align-items-center")
