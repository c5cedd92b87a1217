"""Customer Deep Dive, the changes: create an intervention, assign the customer, contact
preferences and flags, promises to pay. Each callback checks the signed-in user (the services
refuse what access.py does not allow) and bumps the page's refresh counter."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, no_update

from pde.core.errors import PdeError
from pde.frontend import auth, ids
from pde.frontend.services import actions, casework, current
from pde.frontend.views.call import FLAG_DNC, FLAG_VULNERABLE

REFRESH = "dd-refresh"


def _error(exc: Exception, id: str = "dd-error") -> Any:
    return dbc.Alert(str(exc), color="danger", className="py-2 small", id=id)


def _ok(message: str, id: str = "dd-ok") -> Any:
    return dbc.Alert(message, color="success", className="py-2 small", id=id)


@callback(
    Output(ids.DD_ACTION_RESULT, "children"),
    Output(REFRESH, "data"),
    Input(ids.DD_CREATE_BTN, "n_clicks"),
    Input(ids.DD_ASSIGN_BTN, "n_clicks"),
    State(ids.DD_SEARCH, "value"),
    State(ids.DD_CREATE_TYPE, "value"),
    State(ids.DD_CREATE_PRIORITY, "value"),
    State(ids.DD_CREATE_REASON, "value"),
    State(ids.DD_ASSIGN_OFFICER, "value"),
    State(REFRESH, "data"),
    prevent_initial_call=True,
)
def act(  # noqa: PLR0917 - Dash passes callback arguments by position
    _: Any,
    __: Any,
    customer_id: str | None,
    kind: str,
    priority: str,
    reason: str | None,
    officer: str | None,
    refresh: int,
) -> tuple[Any, Any]:
    if not customer_id:
        return dbc.Alert("Choose a customer first.", color="info"), no_update
    try:
        user, services = auth.require_user(), current()
        if dash.ctx.triggered_id == ids.DD_ASSIGN_BTN:
            if not officer:
                return dbc.Alert("Choose an officer.", color="info"), no_update
            actions.assign_customer(services, user, customer_id=customer_id, officer=officer)
            message = f"{customer_id} is now assigned to {officer}."
        else:
            new_id = actions.create_intervention(
                services,
                user,
                customer_id=customer_id,
                kind=kind,
                priority=priority,
                reason=reason,
            )
            message = f"Intervention #{new_id} created; it awaits a supervisor's approval."
    except (PdeError, ValueError) as exc:
        return _error(exc), no_update
    return _ok(message), (refresh or 0) + 1


@callback(
    Output(ids.DD_CONTACT_RESULT, "children"),
    Output(REFRESH, "data", allow_duplicate=True),
    Input(ids.DD_CONTACT_SAVE, "n_clicks"),
    State(ids.DD_SEARCH, "value"),
    State(ids.DD_CONTACT_CHANNEL, "value"),
    State(ids.DD_CONTACT_TIME, "value"),
    State(ids.DD_CONTACT_FLAGS, "value"),
    State(ids.DD_CONTACT_NOTE, "value"),
    State(REFRESH, "data"),
    prevent_initial_call=True,
)
def save_contact(  # noqa: PLR0917 - Dash passes callback arguments by position
    clicks: Any,
    customer_id: str | None,
    channel: str | None,
    best_time: str | None,
    flags: list[str] | None,
    note: str | None,
    refresh: int,
) -> tuple[Any, Any]:
    if not clicks or not customer_id:
        return no_update, no_update
    chosen = set(flags or ())
    try:
        casework.save_contact(
            current(),
            auth.require_user(),
            customer_id=customer_id,
            channel=str(channel or ""),
            best_time=str(best_time or ""),
            do_not_contact=FLAG_DNC in chosen,
            vulnerable=FLAG_VULNERABLE in chosen,
            note=note,
        )
    except (PdeError, ValueError) as exc:
        return _error(exc, "dd-contact-error"), no_update
    return _ok("Contact preferences saved.", "dd-contact-ok"), (refresh or 0) + 1


@callback(
    Output(ids.DD_PROMISE_RESULT, "children"),
    Output(REFRESH, "data", allow_duplicate=True),
    Input(ids.DD_PROMISE_SAVE, "n_clicks"),
    State(ids.DD_PROMISE_WORK, "value"),
    State(ids.DD_PROMISE_DATE, "value"),
    State(ids.DD_PROMISE_AMOUNT, "value"),
    State(REFRESH, "data"),
    prevent_initial_call=True,
)
def save_promise(
    clicks: Any, work: str | None, due: str | None, amount: Any, refresh: int
) -> tuple[Any, Any]:
    if not clicks:
        return no_update, no_update
    try:
        if not work or not str(work).isdigit():
            raise ValueError("choose the intervention the promise was made on")
        promise_id = casework.record_promise(
            current(), auth.require_user(), intervention_id=int(work), due_date=due, amount=amount
        )
    except (PdeError, ValueError) as exc:
        return _error(exc, "dd-promise-error"), no_update
    return _ok(f"Promise #{promise_id} recorded.", "dd-promise-ok"), (refresh or 0) + 1
