"""The app with its database or its scoring service down: banners, not tracebacks."""

from __future__ import annotations

import sys
from typing import Any

import flask
import sqlalchemy as sa

from pde.core.names import Role
from pde.frontend.services import current
from pde.frontend.services.access import SignedIn


def _as_user(username: str, role: str) -> None:
    flask.g.pde_user = SignedIn(username, username, Role(role))


def test_degraded_scoring_down_is_reported_in_the_status(dash_app: Any) -> None:
    with dash_app.server.test_request_context("/"):
        status = current().status(fresh=True)
    assert status.database_ok
    assert not status.scoring_ok
    assert status.scoring_error is not None and "unavailable" in status.scoring_error


def test_degraded_database_down_gives_banners_and_no_traceback(
    dash_app: Any, tmp_path: Any
) -> None:
    pages = {
        name: sys.modules[f"pde.frontend.pages.{name}"]
        for name in ("action_center", "overview", "deep_dive", "interventions")
    }
    with dash_app.server.test_request_context("/"):
        services = current()
        working = services.engine
        # A database file that cannot be opened: every query fails as if the server were down.
        services.engine = sa.create_engine(f"sqlite:///{tmp_path}/missing/dir/pde.db")
        try:
            status = services.status(fresh=True)
            _as_user("sup1", "supervisor")
            overview = pages["overview"].render(None, "product")
            queue = pages["action_center"].load_queue("imminent", 0, 12, 0)
            deep_dive = pages["deep_dive"].layout()
            work = pages["interventions"].work_list("open", "all", 0, 12, 0, None)
        finally:
            services.engine = working
            services.status(fresh=True)
    assert not status.database_ok
    assert status.database_error is not None and "database is unavailable" in status.database_error
    assert "database is unavailable" in str(overview[0])
    assert "database is unavailable" in str(queue[3])
    assert "database is unavailable" in str(deep_dive)
    assert work == ([], 1, [])
