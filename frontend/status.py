"""The status banner: database and scoring reachability, shown on every page."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import flask
from dash import html

from pde.frontend.services import current

DATABASE_ICON = "database-x"


def alert(message: str, icon: str) -> dbc.Alert:
    return dbc.Alert(
        [html.I(className=f"bi bi-{icon} me-2"), message],
        color="danger" if icon == DATABASE_ICON else "warning",
        className="status-alert py-2 mb-2",
    )


def banner() -> list[Any]:
    status = current().status()
    alerts = []
    for ok, message, icon in (
        (status.database_ok, status.database_error, DATABASE_ICON),
        (status.scoring_ok, status.scoring_error, "cloud-slash"),
    ):
        if not ok and message:
            alerts.append(alert(message, icon))
    return alerts


def banner_answer(message: str) -> flask.Response:
    """The shell's status callback answered without a session (the database is down)."""
    from plotly.io.json import to_json_plotly

    body = {
        "multi": True,
        "response": {"status-banner": {"children": [alert(message, DATABASE_ICON)]}},
    }
    return flask.Response(to_json_plotly(body), mimetype="application/json")
