"""Bulk, idempotent, resumable writing of portfolio scores into `risk_scores`.

A run (`scoring_runs`) commits one chunk at a time together with its checkpoint (the last
customer id written), so a run that crashes resumes after the last committed chunk. Rows
must come in ascending customer id order; inserts use ON CONFLICT on the table's key
(customer, as-of, model version), so re-running a finished or half-finished run adds no
duplicates.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pde.db import audit
from pde.db.batches import id_batches
from pde.db.engine import session_scope
from pde.db.errors import DatabaseError, NotFoundError
from pde.db.model_registry import ensure_model_version
from pde.db.models.enums import RiskTier, RunStatus
from pde.db.models.scoring import RiskScore, ScoringRun
from pde.db.types import utc_now

log = logging.getLogger(__name__)

DEFAULT_CHUNK_ROWS = 5000
JOB_ACTOR = "system:score-portfolio"
STORED_QUERY_IDS = 5000  # customer ids per IN (...) query: under SQLite's variable limit


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One customer's score as the scoring server returned it."""

    customer_id: str
    as_of: date
    probability: float
    tier: str
    alert: bool
    model_version: str
    top_reasons: list[Any] = field(default_factory=list)
    scored_at: datetime = field(default_factory=utc_now)
    # Time to miss (None when the model has no hazard model).
    miss_within_7d: float | None = None
    miss_within_14d: float | None = None
    miss_within_30d: float | None = None
    expected_days_to_miss: float | None = None


@dataclass(frozen=True)
class RunState:
    run_id: str
    status: RunStatus
    rows_written: int
    last_customer_id: str | None
    attempts: int


class RunOrderError(DatabaseError):
    """Rows of a scoring run were not in ascending customer id order."""


def _state(run: ScoringRun) -> RunState:
    return RunState(run.run_id, run.status, run.rows_written, run.last_customer_id, run.attempts)


def begin_run(
    *,
    session: Session,
    run_id: str,
    as_of: date,
    model_version: str,
    total_customers: int | None = None,
    actor: str = JOB_ACTOR,
) -> RunState:
    """Starts the run, or resumes it (same id) from its checkpoint; a completed run is left."""
    audit.lock_chain(session)
    run = session.get(ScoringRun, run_id)
    if run is not None and (run.as_of, run.model_version) != (as_of, model_version):
        raise DatabaseError(
            f"run {run_id} is for {run.as_of} with model {run.model_version}, "
            f"not {as_of} with {model_version}"
        )
    if run is not None and run.status == RunStatus.COMPLETED:
        return _state(run)
    ensure_model_version(session=session, version=model_version, actor=actor)
    action = "scoring_run.resume"
    if run is None:
        action = "scoring_run.start"
        run = ScoringRun(
            run_id=run_id, as_of=as_of, model_version=model_version, total_customers=total_customers
        )
    else:
        run.attempts += 1
        run.status, run.error, run.updated_at = RunStatus.RUNNING, None, utc_now()
    session.add(run)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action=action,
        entity_type="scoring_run",
        entity_id=run_id,
        before=None,
        after={"attempts": run.attempts, "resume_after": run.last_customer_id},
    )
    return _state(run)


def _values(rows: Sequence[ScoreRow], run_id: str) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": r.customer_id,
            "as_of": r.as_of,
            "model_version": r.model_version,
            "probability": float(r.probability),
            "tier": RiskTier(r.tier),
            "alert": bool(r.alert),
            "top_reasons": r.top_reasons,
            "scored_at": r.scored_at,
            "run_id": run_id,
            **{name: getattr(r, name) for name in MISS_COLUMNS},
        }
        for r in rows
    ]


_KEY = ["customer_id", "as_of", "model_version"]
MISS_COLUMNS = ("miss_within_7d", "miss_within_14d", "miss_within_30d", "expected_days_to_miss")
_REPLACED = ("probability", "tier", "alert", "top_reasons", "scored_at", "run_id", *MISS_COLUMNS)
_COLUMNS = (*_KEY, *_REPLACED)


def _csv_row(row: ScoreRow, run_id: str) -> tuple[str, ...]:
    """The row's fields in `_COLUMNS` order, as PostgreSQL's COPY reads them from CSV."""
    return (
        row.customer_id,
        row.as_of.isoformat(),
        row.model_version,
        repr(float(row.probability)),
        RiskTier(row.tier).value,
        "t" if row.alert else "f",
        json.dumps(row.top_reasons, separators=(",", ":")),
        row.scored_at.isoformat(),
        run_id,
        # an empty unquoted CSV field is NULL to COPY
        *(
            "" if getattr(row, name) is None else repr(float(getattr(row, name)))
            for name in MISS_COLUMNS
        ),
    )


def _copy_upsert(session: Session, rows: Sequence[ScoreRow], *, run_id: str, replace: bool) -> None:
    """PostgreSQL: COPY the chunk into a temporary table, then one INSERT ... SELECT ... ON
    CONFLICT (several times faster than multi-row INSERTs from Python)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_csv_row(row, run_id) for row in rows)
    buffer.seek(0)
    columns = ", ".join(_COLUMNS)
    session.execute(
        sa.text(
            "CREATE TEMPORARY TABLE IF NOT EXISTS risk_scores_stage "
            "(LIKE risk_scores INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
    )
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    cursor: Any = dbapi.cursor()
    try:
        cursor.copy_expert(
            f"COPY risk_scores_stage ({columns}) FROM STDIN WITH (FORMAT csv)", buffer
        )
    finally:
        cursor.close()
    if replace:
        action = "DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in _REPLACED)
    else:
        action = "DO NOTHING"
    session.execute(
        sa.text(
            f"INSERT INTO risk_scores ({columns}) SELECT {columns} FROM risk_scores_stage "
            f"ON CONFLICT ({', '.join(_KEY)}) {action}"
        )
    )
    session.execute(sa.text("TRUNCATE risk_scores_stage"))


def write_chunk(
    *, session: Session, run_id: str, rows: Sequence[ScoreRow], replace: bool = False
) -> int:
    """Upserts one chunk and moves the run's checkpoint, in the caller's transaction.

    Returns the run's rows written so far. `replace` overwrites existing scores of the same
    key (a deliberate re-score); by default existing scores are kept as they are.
    """
    if not rows:
        return 0
    run = session.get(ScoringRun, run_id)
    if run is None:
        raise NotFoundError(f"scoring run {run_id} not started")
    insert_rows(session=session, run_id=run_id, rows=rows, replace=replace)
    run.rows_written = _count(session, run_id)
    run.chunks_committed += 1
    run.last_customer_id = rows[-1].customer_id
    run.updated_at = utc_now()
    session.add(run)
    session.flush()
    return run.rows_written


def insert_rows(
    *, session: Session, run_id: str, rows: Sequence[ScoreRow], replace: bool = False
) -> None:
    """Upserts rows of a started run without moving its checkpoint: for runs written by
    several processes at once, in any order (pde.jobs.partitions), settled by `settle_run`."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        _copy_upsert(session, rows, run_id=run_id, replace=replace)
        return
    stmt = sqlite.insert(RiskScore.__table__)  # type: ignore[attr-defined]
    if replace:
        stmt = stmt.on_conflict_do_update(
            index_elements=_KEY, set_={c: stmt.excluded[c] for c in _REPLACED}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=_KEY)
    session.execute(stmt, _values(rows, run_id))


def _count(session: Session, run_id: str) -> int:
    table = RiskScore.__table__  # type: ignore[attr-defined]
    query = sa.select(sa.func.count()).select_from(table).where(table.c.run_id == run_id)
    return int(session.execute(query).scalar_one())


def settle_run(*, session: Session, run_id: str) -> None:
    """Counts the rows of a run written out of order and sets its checkpoint to the last
    customer id, so that it reads like a run written in one pass."""
    run = session.get(ScoringRun, run_id)
    if run is None:
        raise NotFoundError(f"scoring run {run_id} not started")
    table = RiskScore.__table__  # type: ignore[attr-defined]
    last = sa.select(sa.func.max(table.c.customer_id)).where(table.c.run_id == run_id)
    run.rows_written = _count(session, run_id)
    run.last_customer_id = session.execute(last).scalar_one()
    run.updated_at = utc_now()
    session.add(run)
    session.flush()


def stored_scores(
    *, session: Session, run_id: str, customer_ids: Sequence[str]
) -> dict[str, float]:
    """The probabilities the run already holds for these customers (absent ones left out)."""
    table = RiskScore.__table__  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for ids in id_batches(customer_ids, STORED_QUERY_IDS):
        query = sa.select(table.c.customer_id, table.c.probability).where(
            table.c.run_id == run_id, table.c.customer_id.in_(ids)
        )
        found.update((row[0], float(row[1])) for row in session.execute(query))
    return found


def close_run(
    *, session: Session, run_id: str, error: str | None = None, actor: str = JOB_ACTOR
) -> RunState:
    """Marks the run completed (error None) or failed (keeping its checkpoint); audited."""
    audit.lock_chain(session)
    run = session.get(ScoringRun, run_id)
    if run is None:
        raise NotFoundError(f"scoring run {run_id} not started")
    run.status = RunStatus.FAILED if error else RunStatus.COMPLETED
    run.error = error[:2000] if error else None
    run.updated_at = utc_now()
    run.finished_at = None if error else run.updated_at
    session.add(run)
    session.flush()
    after = {
        "rows_written": run.rows_written,
        "last_customer_id": run.last_customer_id,
        "error": run.error,
    }
    audit.append(
        session,
        actor=actor,
        action=f"scoring_run.{run.status.value}",
        entity_type="scoring_run",
        entity_id=run_id,
        before=None,
        after=after,
    )
    return _state(run)


def _ordered_chunks(
    rows: Iterable[ScoreRow], *, size: int, after: str | None
) -> Iterator[list[ScoreRow]]:
    """Chunks of rows past the checkpoint `after`, checking ascending customer id order."""
    previous = after
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        fresh = []
        for row in chunk:
            if previous is not None and row.customer_id <= previous:
                if after is not None and row.customer_id <= after:
                    continue  # committed before the crash
                raise RunOrderError(
                    f"customer {row.customer_id} came after {previous}: rows must be in "
                    "ascending customer id order"
                )
            fresh.append(row)
            previous = row.customer_id
        if fresh:
            yield fresh


def write_scores(
    *,
    rows: Iterable[ScoreRow],
    run_id: str,
    as_of: date,
    model_version: str,
    engine: Engine | None = None,
    total_customers: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    replace: bool = False,
    on_chunk: Callable[[int], None] | None = None,
) -> RunState:
    """Writes a whole run, one committed transaction per chunk; resumes a failed run.

    `on_chunk(n)` is called after each committed chunk of n rows (for a progress bar).
    An exception from `rows` (the scoring stream) marks the run failed and is re-raised.
    """
    with session_scope(engine=engine) as session:
        state = begin_run(
            session=session,
            run_id=run_id,
            as_of=as_of,
            model_version=model_version,
            total_customers=total_customers,
        )
    if state.status == RunStatus.COMPLETED:
        log.info("run %s already completed (%d rows); nothing to do", run_id, state.rows_written)
        return state
    if state.last_customer_id is not None:
        log.info("run %s resumes after customer %s", run_id, state.last_customer_id)
    try:
        for chunk in _ordered_chunks(rows, size=chunk_rows, after=state.last_customer_id):
            with session_scope(engine=engine) as session:
                write_chunk(session=session, run_id=run_id, rows=chunk, replace=replace)
            if on_chunk is not None:
                on_chunk(len(chunk))
    except BaseException as exc:
        with session_scope(engine=engine) as session:
            close_run(session=session, run_id=run_id, error=f"{type(exc).__name__}: {exc}")
        raise
    with session_scope(engine=engine) as session:
        return close_run(session=session, run_id=run_id)


def resume_point(session: Session, run_id: str) -> str | None:
    """The last customer id committed by the run (score only customers after it)."""
    run = session.get(ScoringRun, run_id)
    return None if run is None else run.last_customer_id
