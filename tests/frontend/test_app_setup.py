"""A new app (as each gunicorn worker builds one) has Dash's set-up done before its first
request: the pages' callbacks and the router's are there, so parallel first requests cannot
find half of them. Run in a fresh interpreter: the pages' callbacks go to the first app of a
process that sets up, as they do in a worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from sqlalchemy.engine import Engine

from pde.core.settings import Settings
from tests.frontend.conftest import TEST_SECRET

BUILD = """
import json
from pde.core.settings import get_settings
from pde.frontend.app import create_app
app = create_app(get_settings())
print(json.dumps(sorted(c["output"] for c in app._callback_list)))
"""


def test_a_new_app_has_every_callback_before_its_first_request(
    portfolio: tuple[str, Engine],
) -> None:
    env = {
        **os.environ,
        "PDE_DATABASE_URL": portfolio[0],
        "PDE_SECRET_KEY": TEST_SECRET,
        "PDE_GRPC_ADDRESS": "127.0.0.1:9",
        "PDE_LOG_LEVEL": "WARNING",
    }
    env.pop("PDE_REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", BUILD],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = json.loads(done.stdout.strip().splitlines()[-1])
    assert any(o.startswith("..ro-body.children") for o in outputs)  # a page's (Overview)
    assert any("_pages_content" in o for o in outputs)  # the page router's
    assert any("status-banner" in o for o in outputs)  # the shell's
    assert len(outputs) == len(set(outputs)) > 20


def test_a_second_app_in_the_process_has_every_callback_too(
    dash_app: Any, app_settings: Settings, portfolio: tuple[str, Engine]
) -> None:
    """The pages register their callbacks once per process; the first app set up does not
    take them from the next (tests and the frontend bench build several)."""
    from pde.frontend.app import create_app
    from pde.frontend.services.base import EXTENSION

    other = create_app(app_settings, engine=portfolio[1])
    try:
        mine = sorted(c["output"] for c in other._callback_list)
        assert mine == sorted(c["output"] for c in dash_app._callback_list)
        assert any(o.startswith("..ro-body.children") for o in mine)
    finally:
        other.server.extensions[EXTENSION].jobs.stop()
