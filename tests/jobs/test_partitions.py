"""Portfolio scoring on Dask: a two-worker LocalCluster (processes) against a real server on
loopback, SQLite and PostgreSQL; the result (scores, alerts ranked by the learned effects,
recommendations) equals the single-process job's."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pde.db import migrate
from pde.decision import default_policy
from pde.jobs.portfolio import score_portfolio

distributed = pytest.importorskip("distributed", reason="pde[scale] is not installed")

PARTS = 4
WEEKS = 8  # the oldest dates' outcomes are in the data
COLUMNS = (
    "customer_id, as_of, model_version, run_id, probability, tier, alert, top_reasons,"
    " miss_within_7d, miss_within_30d, expected_days_to_miss"
)

RECOMMENDED = (
    "customer_id, as_of, model_version, action, expected_effect, net_benefit, effect_basis, why,"
    " vulnerable, held_out"
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker processes, one thread each (as `pde score-portfolio --partitions`)."""
    from pde.jobs.partitions import dask_client

    with dask_client(None, workers=2) as client:
        yield client


def two_databases(make_database: Callable[[str], Any], backend: str) -> tuple[Any, Any]:
    """Two migrated databases of `backend`: the single-process job's and the partitioned's."""
    single, spread = make_database(backend), make_database(backend)
    for database in (single, spread):
        migrate.upgrade(engine=database.engine)
    return single, spread


def url_of(database: Any) -> str:
    """The database's URL, its schema (PostgreSQL tests) carried in the URL for the workers."""
    if database.schema:
        return f"{database.url}?options=-csearch_path%3D{database.schema}"
    return str(database.url)


def rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    query = f"SELECT {COLUMNS} FROM risk_scores ORDER BY as_of, customer_id"
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(query))]


def recommendations(engine: sa.Engine) -> list[tuple[Any, ...]]:
    query = f"SELECT {RECOMMENDED} FROM recommendations ORDER BY as_of, customer_id"
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(query))]


def challenger_scores(engine: sa.Engine) -> list[tuple[Any, ...]]:
    query = (
        "SELECT as_of, challenger_version, customer_id, champion_version, probability,"
        " threshold_alert, alert FROM challenger_scores ORDER BY as_of, customer_id"
    )
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(query))]


def runs(engine: sa.Engine) -> list[tuple[Any, ...]]:
    query = "SELECT run_id, status, rows_written, last_customer_id FROM scoring_runs ORDER BY 1"
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(query))]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_partitions_equal_the_single_process_job_and_resume_per_partition(
    backend: str,
    portfolio: tuple[Path, str],
    cluster: Any,
    make_database: Callable[[str], Any],
) -> None:
    from pde.client.sync import RiskClient
    from pde.jobs.partitions import score_portfolio_partitioned
    from pde.training.features.distributed import load_partition

    data_dir, address = portfolio
    single, spread = two_databases(make_database, backend)
    # a small team: the alerts are the top of the whole date, across partitions
    policy = default_policy().model_copy(update={"officers": 2, "contacts_per_officer": 10})
    with RiskClient(address) as client:
        expected = score_portfolio(
            data_dir=data_dir, client=client, weeks=WEEKS, engine=single.engine, policy=policy
        )

        def partitioned() -> list[Any]:
            return score_portfolio_partitioned(
                dask=cluster,
                data_dir=data_dir,
                client=client,
                database_url=url_of(spread),
                partitions=PARTS,
                weeks=WEEKS,
                policy=policy,
                chunk_rows=64,
            )

        got = partitioned()
        assert rows(spread.engine) == rows(single.engine)
        assert runs(spread.engine) == runs(single.engine)
        assert recommendations(spread.engine) == recommendations(single.engine)
        for mine, theirs in zip(got, expected, strict=True):
            assert (mine.as_of, mine.customers, mine.rows_written, mine.alerts) == (
                theirs.as_of,
                theirs.customers,
                theirs.rows_written,
                theirs.alerts,
            )
            assert mine.policy == theirs.policy
            assert mine.recommendations == theirs.recommendations
            assert mine.challenger == theirs.challenger
            assert mine.partitions_skipped == 0
        assert "precision" in got[0].policy  # the oldest date's outcomes, gathered per partition
        assert sum(r.alerts for r in got) == WEEKS * 20

        # a lost worker: one partition's rows of the newest date never made it
        newest = got[-1]
        lost = load_partition(data_dir, part=1, parts=PARTS).customers["customer_id"].to_list()
        assert 0 < len(lost) < newest.customers
        with spread.engine.begin() as connection:
            connection.execute(
                sa.text("DELETE FROM risk_scores WHERE run_id = :run AND customer_id IN :ids")
                .bindparams(sa.bindparam("ids", expanding=True))
                .bindparams(run=newest.run_id, ids=lost),
            )
            connection.execute(
                sa.text("UPDATE scoring_runs SET status = 'failed' WHERE run_id = :run"),
                {"run": newest.run_id},
            )
        again = partitioned()
    assert [r.partitions_skipped for r in again] == [PARTS] * (WEEKS - 1) + [PARTS - 1]
    assert again[-1].rows_written == newest.customers
    lost_alerts = [
        row
        for row in rows(single.engine)
        if row[0] in set(lost) and row[6] and str(row[1]) == newest.as_of.isoformat()
    ]
    assert again[-1].alerts == len(lost_alerts) > 0
    assert [r.alerts for r in again[:-1]] == [0] * (WEEKS - 1)
    assert rows(spread.engine) == rows(single.engine)
    assert runs(spread.engine) == runs(single.engine)
    assert recommendations(spread.engine) == recommendations(single.engine)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_partitions_rank_and_recommend_with_the_learned_effects(
    backend: str,
    treated: tuple[Path, Path, str],
    bundle_tools: Any,
    cluster: Any,
    make_database: Callable[[str], Any],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """A bundle with uplift models and a challenger in the server's shadow: the partitioned job
    ranks each date by the learned net benefit of the best action and stores the same
    recommendations and challenger scores as the single-process job."""
    from pde.client.sync import RiskClient
    from pde.jobs.partitions import score_portfolio_partitioned
    from pde.server.transport.app import ScoringServer
    from pde.server.transport.options import ServerOptions

    data_dir, champion, _ = treated
    models = tmp_path / "models"
    shutil.copytree(champion.parent, models)
    bundle_dir = models / champion.name
    bundle_tools.copy_as(bundle_dir, models, "shadow-copy")
    server = ScoringServer(
        ServerOptions(
            address="127.0.0.1:0", model_dir=models, drain_seconds=0, challenger="shadow-copy"
        )
    )
    server.start()
    server.load()
    request.addfinalizer(lambda: server.stop(grace=1))
    address = f"127.0.0.1:{server.port}"
    single, spread = two_databases(make_database, backend)
    policy = default_policy().model_copy(update={"officers": 1, "contacts_per_officer": 120})
    with RiskClient(address) as client:
        expected = score_portfolio(
            data_dir=data_dir,
            client=client,
            weeks=2,
            engine=single.engine,
            policy=policy,
            model_dir=bundle_dir.parent,
        )
        streamed = server.metrics_snapshot()["ScoreStream"]["rows"]
        got = score_portfolio_partitioned(
            dask=cluster,
            data_dir=data_dir,
            client=client,
            database_url=url_of(spread),
            partitions=PARTS,
            weeks=2,
            policy=policy,
            model_dir=bundle_dir.parent,
        )
    # each customer scored once per date, by the workers (with effects and shadow scores)
    streamed = server.metrics_snapshot()["ScoreStream"]["rows"] - streamed
    assert streamed == sum(r.customers for r in got)
    assert [r.recommendations for r in got] == [r.recommendations for r in expected]
    assert all(r.recommendations and r.recommendations.effect_basis == "learned" for r in got)
    assert [r.alerts for r in got] == [r.alerts for r in expected]
    assert rows(spread.engine) == rows(single.engine)
    stored = recommendations(spread.engine)
    assert stored == recommendations(single.engine)
    assert len(stored) == sum(r.alerts for r in got) > 0
    assert any(row[3] is not None for row in stored)  # some action learned to pay for itself
    assert [r.challenger for r in got] == [r.challenger for r in expected] == ["shadow-copy"] * 2
    shadow = challenger_scores(spread.engine)
    assert shadow == challenger_scores(single.engine)
    assert len(shadow) == sum(r.customers for r in got)


def test_partitions_command_on_an_existing_cluster(
    portfolio: tuple[Path, str], cluster: Any, make_database: Callable[[str], Any]
) -> None:
    """`pde score-portfolio --partitions N --scheduler ADDRESS`, as a platform would run it."""
    import os
    import subprocess
    import sys

    data_dir, address = portfolio
    database = make_database("sqlite")
    migrate.upgrade(engine=database.engine)
    env = {
        **os.environ,
        "PDE_GRPC_ADDRESS": address,
        "PDE_DATABASE_URL": url_of(database),
        "PDE_DATA_DIR": str(data_dir),
        "COLUMNS": "300",  # no wrapped lines
    }
    command = [sys.executable, "-m", "pde.cli.main", "score-portfolio", "--partitions", "3"]
    done = subprocess.run(
        [*command, "--scheduler", cluster.scheduler.address],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "scored 400 customers" in done.stdout and "400 rows" in done.stdout
    with database.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM risk_scores")).scalar_one()
    assert stored == 400
    again = subprocess.run(
        [*command, "--scheduler", cluster.scheduler.address],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "3 partitions of" in again.stdout and "already written: skipped" in again.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "pde.cli.main", "score-portfolio", "--scheduler", "tcp://x:1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode != 0 and "--partitions" in refused.stdout + refused.stderr


def test_partitions_a_replica_killed_mid_run_loses_no_customer(
    portfolio: tuple[Path, str], cluster: Any, make_database: Callable[[str], Any]
) -> None:
    """Two real `pde serve` replicas behind one address list; one is SIGKILLed as soon as the
    first partition is scored: the job finishes, every customer once, as with one server."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    from pde.client.probe import probe
    from pde.client.sync import RiskClient
    from pde.jobs.partitions import score_portfolio_partitioned

    data_dir, address = portfolio
    single, spread = two_databases(make_database, "sqlite")
    replicas = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {
            **os.environ,
            "PDE_MODEL_DIR": str(data_dir.parent / "models"),
            "PDE_GRPC_ADDRESS": f"127.0.0.1:{port}",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "pde.cli.main", "serve", "--drain", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        replicas.append((process, f"127.0.0.1:{port}"))
    try:
        deadline = time.monotonic() + 90
        for process, where in replicas:
            while not probe(where, timeout=1.0):
                assert process.poll() is None and time.monotonic() < deadline, where
                time.sleep(0.2)
        with RiskClient(address) as client:
            score_portfolio(
                data_dir=data_dir, client=client, engine=single.engine, model_dir=data_dir
            )
        killed: list[int] = []

        def kill_first(_: str) -> None:
            if not killed:
                replicas[0][0].send_signal(signal.SIGKILL)
                killed.append(1)

        with RiskClient(",".join(where for _, where in replicas)) as client:
            [result] = score_portfolio_partitioned(
                dask=cluster,
                data_dir=data_dir,
                client=client,
                database_url=url_of(spread),
                partitions=8,
                chunk_rows=16,
                model_dir=data_dir,
                on_part=kill_first,
            )
        assert killed and replicas[0][0].wait(10) == -signal.SIGKILL
        assert result.rows_written == result.customers == 400
        assert rows(spread.engine) == rows(single.engine)
    finally:
        for process, _ in replicas:
            if process.poll() is None:
                process.kill()
            process.wait()
