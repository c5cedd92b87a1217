"""The Deep Dive's call panel: contact preferences and flags, promises to pay, and the
customer's payments, failed auto-debits, salaries and latest transactions."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from pde.frontend import ids
from pde.frontend.components import empty, money, when
from pde.frontend.services.activity import CallFacts
from pde.frontend.services.casework import BEST_TIMES, CHANNELS, CallPanel, Contact

PROMISE_COLOURS = {"open": "info", "kept": "success", "broken": "danger"}
FLAG_DNC, FLAG_VULNERABLE = "do_not_contact", "vulnerable"


def _table(head: tuple[str, ...], rows: list[list[Any]], *, id: str) -> Any:
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in head])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]),
        ],
        size="sm",
        hover=True,
        className="mb-0 small",
        id=id,
    )


def flags(contact: Contact) -> Any:
    badges = []
    if contact.do_not_contact:
        badges.append(dbc.Badge("Do not contact", color="danger", className="me-1"))
    if contact.vulnerable:
        badges.append(dbc.Badge("Vulnerable customer", color="warning", className="me-1"))
    return html.Span(badges, id=ids.DD_FLAGS)


def contact_form(contact: Contact) -> list[Any]:
    locked = not contact.editable
    chosen = [
        f
        for f, on in ((FLAG_DNC, contact.do_not_contact), (FLAG_VULNERABLE, contact.vulnerable))
        if on
    ]
    changed = (
        f"Changed by {contact.updated_by}, {when(contact.updated_at)}"
        if contact.updated_by
        else "No preferences recorded yet."
    )
    return [
        dbc.Row(
            [
                dbc.Col(
                    dbc.Select(
                        id=ids.DD_CONTACT_CHANNEL,
                        options=[
                            {"label": c.upper() if c == "sms" else c.capitalize(), "value": c}
                            for c in CHANNELS
                        ],
                        value=contact.channel,
                        size="sm",
                        disabled=locked,
                    ),
                    md=6,
                ),
                dbc.Col(
                    dbc.Select(
                        id=ids.DD_CONTACT_TIME,
                        options=[{"label": f"Best time: {t}", "value": t} for t in BEST_TIMES],
                        value=contact.best_time,
                        size="sm",
                        disabled=locked,
                    ),
                    md=6,
                ),
            ],
            className="mb-2 g-2",
        ),
        dbc.Checklist(
            id=ids.DD_CONTACT_FLAGS,
            options=[
                {"label": "Do not contact", "value": FLAG_DNC, "disabled": locked},
                {"label": "Vulnerable customer", "value": FLAG_VULNERABLE, "disabled": locked},
            ],
            value=chosen,
            inline=True,
            className="small mb-2",
        ),
        dbc.Input(
            id=ids.DD_CONTACT_NOTE,
            value=contact.note or "",
            placeholder="Note (e.g. call the mobile after 6 pm)",
            size="sm",
            maxLength=1000,
            disabled=locked,
            className="mb-2",
        ),
        dbc.Button("Save preferences", id=ids.DD_CONTACT_SAVE, size="sm", disabled=locked),
        html.Div(changed, className="small-muted mt-1"),
    ]


def promise_form(panel: CallPanel) -> list[Any]:
    rows = [
        [
            f"#{p.intervention_id}",
            when(p.made_on),
            when(p.due_date),
            money(p.amount),
            "–" if p.paid_amount is None else money(p.paid_amount),
            dbc.Badge(p.status, color=PROMISE_COLOURS.get(p.status, "secondary")),
        ]
        for p in panel.promises
    ]
    table = (
        _table(("On", "Made", "Due", "Amount", "Paid", "Status"), rows, id=ids.DD_PROMISES)
        if rows
        else html.Div(empty("No promises to pay."), id=ids.DD_PROMISES)
    )
    locked = not panel.open_interventions
    form = dbc.Row(
        [
            dbc.Col(
                dbc.Select(
                    id=ids.DD_PROMISE_WORK,
                    options=[
                        {"label": f"Intervention #{i}", "value": str(i)}
                        for i in panel.open_interventions
                    ],
                    value=str(panel.open_interventions[0]) if panel.open_interventions else None,
                    size="sm",
                    disabled=locked,
                ),
                md=4,
            ),
            dbc.Col(
                dbc.Input(id=ids.DD_PROMISE_DATE, type="date", size="sm", disabled=locked), md=3
            ),
            dbc.Col(
                dbc.Input(
                    id=ids.DD_PROMISE_AMOUNT,
                    type="number",
                    min=0.01,
                    step=0.01,
                    placeholder="Amount",
                    size="sm",
                    disabled=locked,
                ),
                md=3,
            ),
            dbc.Col(dbc.Button("Record", id=ids.DD_PROMISE_SAVE, size="sm", disabled=locked), md=2),
        ],
        className="g-2 mt-2",
    )
    hint = (
        []
        if not locked
        else [
            html.Div("Promises are recorded on open work you may act on.", className="small-muted")
        ]
    )
    return [table, form, *hint]


def _dpd(days: int | None) -> Any:
    if days is None:
        return "not due"
    if days == 0:
        return "on time"
    return html.Span(f"{days} days", className="text-danger fw-semibold" if days > 5 else "")


def money_facts(facts: CallFacts | None, note: str | None) -> list[Any]:
    if facts is None:
        return [empty(note or "No payment data.")]
    payments = _table(
        ("Due", "What", "Due amount", "Paid on", "Paid", "Days past due", "Auto-debit"),
        [
            [
                when(p.due_date),
                p.kind,
                money(p.amount_due),
                when(p.paid_date),
                money(p.amount_paid),
                _dpd(p.days_past_due),
                p.auto_debit_status or "–",
            ]
            for p in facts.payments
        ],
        id=ids.DD_PAYMENTS,
    )
    debits = html.Div(
        f"{len(facts.failed_debits)} failed auto-debit(s) in the last 90 days"
        + (
            ": "
            + ", ".join(f"{when(p.due_date)} ({money(p.amount_due)})" for p in facts.failed_debits)
            if facts.failed_debits
            else ""
        ),
        className="small mt-2" + (" text-danger" if facts.failed_debits else ""),
        id=ids.DD_DEBITS,
    )
    salaries = html.Div(
        "Salary arrivals: "
        + (", ".join(f"{when(d)} ({money(a)})" for d, a in facts.salaries) or "none in the data"),
        className="small mt-1",
        id=ids.DD_SALARIES,
    )
    timeline = html.Div(
        [
            html.Div(
                [
                    html.Span(when(t.at), className="small-muted me-2"),
                    html.Span(t.category.replace("_", " "), className="me-2"),
                    html.Span(money(t.amount), className="text-success" if t.amount > 0 else ""),
                    html.Span(f" · {t.channel.replace('_', ' ')}", className="small-muted"),
                ],
                className="feed-item",
            )
            for t in facts.timeline
        ],
        id=ids.DD_TIMELINE,
        style={"maxHeight": "260px", "overflowY": "auto"},
    )
    return [
        html.Div(
            f"As of the data's last day, {when(facts.data_end)}", className="small-muted mb-1"
        ),
        payments,
        debits,
        salaries,
        html.Div("Transaction timeline", className="fw-semibold small mt-2 mb-1"),
        timeline,
    ]
