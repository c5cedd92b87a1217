"""The portfolio job end to end: simulated data, a real bundle, a real server on loopback,
SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pde.db import migrate
from pde.jobs.portfolio import score_portfolio

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """Simulated data, a quick bundle trained on it, and a server serving that bundle."""
    from pde.contracts.bundle import set_current
    from pde.server.transport.app import ScoringServer, ServerOptions
    from pde.training.data.simulate import SimulationConfig, simulate
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    root = tmp_path_factory.mktemp("portfolio")
    data_dir = root / "data"
    simulate(SimulationConfig(customers=400, weeks=16, seed=5), data_dir)
    frame = load_canonical_frame(data_dir)
    for seed in (42, 7, 2026):  # tiny data can trip the parity check; any faithful bundle does
        try:
            config = TrainConfig.quick_run(threads=1, seed=seed)
            result = train_frame(frame, config=config, model_dir=root / "models")
            set_current(root / "models", result.bundle_dir.name)  # training leaves it to promotion
            break
        except ParityError:
            continue
    else:
        pytest.fail("the quick training run failed its parity check with every seed")
    server = ScoringServer(
        ServerOptions(address="127.0.0.1:0", model_dir=root / "models", drain_seconds=0.0)
    )
    server.start()
    server.load()
    yield data_dir, f"127.0.0.1:{server.port}"
    server.stop(grace=1)


class CrashAfterChunks:
    """A progress callback that loses the process after `chunks` committed chunks (the job
    scores a whole date before writing it, so a crash while writing is what resumes)."""

    def __init__(self, chunks: int) -> None:
        self.left = chunks

    def __call__(self, rows: int) -> None:
        self.left -= 1
        if self.left == 0:
            raise ConnectionError("stream lost")


def count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(sql)).scalar_one())


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_portfolio_scores_every_customer_once_and_resumes(
    backend: str, portfolio: tuple[Path, str], make_database: Callable[[str], Any]
) -> None:
    from pde.client.sync import RiskClient

    data_dir, address = portfolio
    database = make_database(backend)
    migrate.upgrade(engine=database.engine)
    with RiskClient(address) as client:
        with pytest.raises(ConnectionError):
            score_portfolio(
                data_dir=data_dir,
                client=client,
                chunk_rows=100,
                engine=database.engine,
                on_chunk=CrashAfterChunks(2),
            )
        partial = count(database.engine, "SELECT count(*) FROM risk_scores")
        assert partial == 200  # two committed chunks of 100
        assert (
            count(database.engine, "SELECT count(*) FROM scoring_runs WHERE status = 'failed'") == 1
        )

        [result] = score_portfolio(
            data_dir=data_dir, client=client, chunk_rows=100, engine=database.engine
        )
        assert result.customers == 400
        assert result.rows_written == 400
        [again] = score_portfolio(data_dir=data_dir, client=client, engine=database.engine)
        history = score_portfolio(data_dir=data_dir, client=client, weeks=3, engine=database.engine)
    assert again.rows_written == 400
    assert [r.as_of for r in history][-1] == result.as_of
    assert [(b.as_of - a.as_of).days for a, b in itertools.pairwise(history)] == [7, 7]
    assert count(database.engine, "SELECT count(*) FROM risk_scores") == 1200
    assert count(database.engine, "SELECT count(DISTINCT as_of) FROM risk_scores") == 3
    assert count(database.engine, "SELECT count(DISTINCT customer_id) FROM risk_scores") == 400
    assert count(database.engine, "SELECT count(*) FROM customers") == 400
    # the resumed call scored (and counted alerts for) only the customers left after the crash
    assert (
        0 < result.alerts <= count(database.engine, "SELECT count(*) FROM risk_scores WHERE alert")
    )
    assert again.alerts == 0
    newest = f"as_of = '{result.as_of.isoformat()}'"
    alerted = count(database.engine, f"SELECT count(*) FROM risk_scores WHERE alert AND {newest}")
    assert alerted > 0
    explained = count(
        database.engine,
        "SELECT count(*) FROM risk_scores WHERE CAST(top_reasons AS TEXT) LIKE '%text%'",
    )
    # reason codes for every alert of the newest date (one ExplainStream call), none for the
    # history dates
    assert explained == alerted
    # every alert of every date has one stored recommendation (pde.jobs.recommendations)
    alerts_all = count(database.engine, "SELECT count(*) FROM risk_scores WHERE alert")
    assert count(database.engine, "SELECT count(*) FROM recommendations") == alerts_all
    assert count(database.engine, f"SELECT count(*) FROM recommendations WHERE {newest}") == alerted


def test_portfolio_alerts_follow_the_policy_within_capacity(
    portfolio: tuple[Path, str], make_database: Callable[[str], Any]
) -> None:
    from pde.client.sync import RiskClient
    from pde.decision import default_policy

    data_dir, address = portfolio
    database = make_database("sqlite")
    migrate.upgrade(engine=database.engine)
    policy = default_policy().model_copy(update={"officers": 2, "contacts_per_officer": 10})
    with RiskClient(address) as client:
        history = score_portfolio(
            data_dir=data_dir, client=client, weeks=8, engine=database.engine, policy=policy
        )
    for result in history:
        assert result.alerts == result.policy["alerts"] == 20  # the capacity, never more
        assert result.policy["capacity_used"] == 1.0
        assert result.policy["share_alerted"] == 20 / result.customers
    # the oldest dates' 30-day outcomes are in the data: precision, recall and lift are known
    assert "precision" in history[0].policy and history[0].policy["lift"] > 1.0
    assert "precision" not in history[-1].policy  # the newest date's outcomes are not
    lowest_alerted = count(
        database.engine,
        f"SELECT count(*) FROM risk_scores WHERE alert AND as_of = '{history[-1].as_of}'"
        f" AND probability < {policy.break_even()}",
    )
    assert lowest_alerted == 0  # never below break-even
