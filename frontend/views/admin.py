"""Parts of the Data Management page: job status with progress, and the users table."""

from __future__ import annotations

import time
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from pde.frontend.components import empty, when
from pde.frontend.services.jobs import Job
from pde.frontend.services.labels import human
from pde.frontend.services.users import UserRow

JOB_COLOURS = {"queued": "secondary", "running": "info", "completed": "success", "failed": "danger"}


def jobs_view(jobs: list[Job]) -> Any:
    if not jobs:
        return empty("No jobs yet.")
    items = []
    for job in jobs:
        colour = JOB_COLOURS[job.state]
        elapsed = (job.finished_at or time.time()) - job.started_at
        items.append(
            html.Div(
                [
                    html.Div(
                        [
                            html.Span(f"#{job.job_id} {job.title}", className="fw-semibold me-2"),
                            dbc.Badge(job.state, color=colour, className="me-2"),
                            html.Span(
                                f"step {min(job.step + 1, len(job.steps))}/{len(job.steps)}"
                                f" · {elapsed:.0f} s · by {job.started_by}",
                                className="small-muted",
                            ),
                        ]
                    ),
                    dbc.Progress(
                        value=max(job.progress * 100, 5 if job.state == "running" else 0),
                        striped=job.state == "running",
                        animated=job.state == "running",
                        color=colour,
                        className="my-1",
                        style={"height": "8px"},
                    ),
                    html.Pre(
                        "\n".join(job.tail),
                        className="small bg-light p-2 mb-2",
                        style={"maxHeight": "160px", "overflowY": "auto"},
                    ),
                    html.Div(job.error or "", className="text-danger small"),
                ],
                className="mb-2",
            )
        )
    return items


def users_view(rows: list[UserRow]) -> Any:
    return dbc.Table(
        [
            html.Thead(
                html.Tr([html.Th(h) for h in ("User", "Name", "Role", "Active", "Last sign-in")])
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(r.username),
                            html.Td(r.full_name),
                            html.Td(human(r.role)),
                            html.Td("yes" if r.is_active else "no"),
                            html.Td(when(r.last_login_at)),
                        ]
                    )
                    for r in rows
                ]
            ),
        ],
        size="sm",
        hover=True,
        className="mb-0",
    )
