"""Engines and sessions: built lazily from settings; the caller owns the unit of work.

with session_scope() as session:      # commit on success, rollback on any error
    workflow.approve(session=session, intervention_id=7, actor="sup1")
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from pde.core.settings import get_settings
from pde.db.errors import ConcurrentUpdateError, constraint_error

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_S = 30


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(
    url: str, *, connect_args: dict[str, Any] | None = None, echo: bool = False
) -> Engine:
    """An engine for `url`; SQLite gets foreign keys ON, WAL, a busy timeout and its folder."""
    parsed = make_url(url)
    args = dict(connect_args or {})
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
        engine = sa.create_engine(url, connect_args=args, echo=echo)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, connect_args=args, echo=echo, pool_pre_ping=True)


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process's engine for `PDE_DATABASE_URL`, built on first use."""
    url = get_settings().database_url
    log.debug("database engine for %s", make_url(url).render_as_string(hide_password=True))
    return make_engine(url)


@contextmanager
def session_scope(*, engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commits when the block ends, rolls back if it raises.

    Integrity errors become `ConstraintViolationError` and stale versions
    `ConcurrentUpdateError`, both one-line messages.
    """
    session = Session(engine or get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise constraint_error(exc) from exc
    except StaleDataError as exc:
        session.rollback()
        raise ConcurrentUpdateError(
            "the row was changed by someone else since it was read; reload and try again"
        ) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
