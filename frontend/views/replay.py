"""Part of the Customer Deep Dive: the result of replaying the stored decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from pde.frontend import ids
from pde.frontend.components import pct


def replay_view(
    *, as_of: date, model_version: str, probability: float, tier: str, differences: Sequence[str]
) -> Any:
    """'matches the stored decision', or the differences between the replay and the store."""
    head = f"Decision of {as_of:%Y-%m-%d} by model {model_version}"
    if not differences:
        return dbc.Alert(
            f"{head} matches the stored decision: {pct(probability, 2)}, tier {tier}.",
            color="success",
            id=ids.DD_REPLAY_RESULT,
        )
    return dbc.Alert(
        [
            html.Div(f"{head} differs from the stored decision:"),
            html.Ul([html.Li(d, className="replay-difference") for d in differences]),
        ],
        color="danger",
        id=ids.DD_REPLAY_RESULT,
    )
