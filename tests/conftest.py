"""Fixtures shared by the whole suite: real PostgreSQL and the shared datasets.

Outside CI a missing PostgreSQL or `../shared/data` skips the tests that need it, with the
reason; with CI=true they fail instead, so a green CI always means they ran.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this must run in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real PostgreSQL server used by the `postgres` tests."""
    url = os.environ.get("PDE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    import sqlalchemy as sa

    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # the driver's error types vary
        skip_or_fail(f"PostgreSQL unreachable at {url}: {type(exc).__name__}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data`, present beside the project in CI and on developers' machines."""
    if not SHARED_DATA.is_dir():
        skip_or_fail(f"{SHARED_DATA} not found: the shared datasets are not beside this clone")
    return SHARED_DATA
