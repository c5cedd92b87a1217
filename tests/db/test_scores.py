from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa

from pde.db import scores
from pde.db.audit import verify_chain
from pde.db.errors import ConstraintViolationError
from pde.db.models import RiskScore, RunStatus, ScoringRun

AS_OF = date(2026, 11, 1)
N = 250


@pytest.fixture
def portfolio_db(db, add_customer):
    with db.scope() as s:
        for i in range(N):
            add_customer(s, f"C{i:05d}")
    return db


def score_rows(
    n: int = N, *, fail_at: int | None = None, probability: float = 0.25
) -> Iterator[scores.ScoreRow]:
    for i in range(n):
        if i == fail_at:
            raise ConnectionError("scoring server went away")
        yield scores.ScoreRow(
            customer_id=f"C{i:05d}",
            as_of=AS_OF,
            probability=probability,
            tier="medium",
            alert=i % 10 == 0,
            model_version="v1",
            top_reasons=[{"feature": "f1", "text": "late"}],
        )


def count(db) -> int:
    with db.scope() as s:
        return s.execute(sa.select(sa.func.count()).select_from(RiskScore)).scalar_one()


def write(db, rows, run_id: str = "run-1", **kwargs) -> scores.RunState:
    return scores.write_scores(
        rows=rows,
        run_id=run_id,
        as_of=AS_OF,
        model_version="v1",
        engine=db.engine,
        chunk_rows=40,
        **kwargs,
    )


def test_scores_written_in_chunks_with_progress(portfolio_db) -> None:
    done: list[int] = []
    state = write(portfolio_db, score_rows(), on_chunk=done.append)
    assert state.status == RunStatus.COMPLETED and state.rows_written == N
    assert sum(done) == N and len(done) == 7
    assert count(portfolio_db) == N
    with portfolio_db.scope() as s:
        row = s.get(RiskScore, ("C00010", AS_OF, "v1"))
        assert row.alert and row.top_reasons[0]["text"] == "late" and row.scored_at.tzinfo
        assert verify_chain(s).ok


def test_scores_rerun_adds_no_duplicates(portfolio_db) -> None:
    write(portfolio_db, score_rows())
    write(portfolio_db, score_rows())  # same run: already completed
    state = write(portfolio_db, score_rows(probability=0.9), run_id="run-2")  # another run
    assert count(portfolio_db) == N
    assert state.rows_written == 0  # every key existed: nothing new, nothing overwritten
    with portfolio_db.scope() as s:
        assert s.get(RiskScore, ("C00001", AS_OF, "v1")).probability == 0.25


def test_scores_replace_overwrites(portfolio_db) -> None:
    write(portfolio_db, score_rows())
    write(portfolio_db, score_rows(probability=0.9), run_id="run-2", replace=True)
    assert count(portfolio_db) == N
    with portfolio_db.scope() as s:
        assert s.get(RiskScore, ("C00001", AS_OF, "v1")).probability == 0.9


def test_scores_resume_after_crash(portfolio_db) -> None:
    with pytest.raises(ConnectionError):
        write(portfolio_db, score_rows(fail_at=130))
    with portfolio_db.scope() as s:
        run = s.get(ScoringRun, "run-1")
        assert run.status == RunStatus.FAILED and "went away" in run.error
        assert run.last_customer_id == "C00119" and run.rows_written == 120  # 3 chunks of 40
        assert scores.resume_point(s, "run-1") == "C00119"
    assert count(portfolio_db) == 120
    seen: list[int] = []
    state = write(portfolio_db, score_rows(), on_chunk=seen.append)  # the stream restarts at 0
    assert state.status == RunStatus.COMPLETED and state.rows_written == N and state.attempts == 2
    assert sum(seen) == N - 120  # committed rows are skipped, not rewritten
    assert count(portfolio_db) == N


def test_scores_rows_must_be_ordered(portfolio_db) -> None:
    rows = list(score_rows(5))
    with pytest.raises(scores.RunOrderError, match="ascending"):
        write(portfolio_db, [rows[1], rows[0]])


def test_scores_unknown_customer_is_a_clear_error(portfolio_db) -> None:
    bad = scores.ScoreRow(
        customer_id="ZZZ", as_of=AS_OF, probability=0.5, tier="high", alert=True, model_version="v1"
    )
    with pytest.raises(ConstraintViolationError, match="foreign"):
        write(portfolio_db, [bad])


def test_scores_probability_check_names_constraint(portfolio_db) -> None:
    bad = scores.ScoreRow(
        customer_id="C00001",
        as_of=AS_OF,
        probability=1.5,
        tier="high",
        alert=True,
        model_version="v1",
    )
    with pytest.raises(ConstraintViolationError, match="ck_risk_scores_probability_range"):
        write(portfolio_db, [bad])
