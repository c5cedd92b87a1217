"""Promoting a model re-scores the newest weeks with it, so trends and changes compare
scores of one model (simulated data, a real server on loopback that reloads, PostgreSQL)."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from pde.db import migrate
from pde.db.engine import session_scope
from pde.jobs.models import promote, register_trained
from pde.jobs.portfolio import score_portfolio

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
SERVER_TESTS = Path(__file__).resolve().parents[1] / "server"
TOKEN = "rescore-token"


def _bundle_tools() -> ModuleType:
    key = "pde_test_bundles"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, SERVER_TESTS / "bundles.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


@pytest.mark.postgres
def test_rescore_promotion_rescores_the_last_four_weeks(
    tmp_path: Path, make_database: Callable[[str], Any]
) -> None:
    from pde.client.sync import RiskClient
    from pde.contracts.bundle import set_current
    from pde.db.policy import WorkflowPolicy
    from pde.frontend.services.queue import URGENCIES, read_queue_page
    from pde.frontend.services.snapshot import latest_snapshot
    from pde.server.transport.app import ScoringServer
    from pde.server.transport.options import ServerOptions
    from pde.training.data.simulate import SimulationConfig, simulate
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    data_dir, model_dir = tmp_path / "data", tmp_path / "models"
    simulate(SimulationConfig(customers=300, weeks=16, seed=3), data_dir)
    frame = load_canonical_frame(data_dir)
    for seed in (42, 7, 2026):
        try:
            trained = train_frame(
                frame, config=TrainConfig.quick_run(threads=1, seed=seed), model_dir=model_dir
            )
            break
        except ParityError:
            continue
    else:
        pytest.fail("the quick training run failed its parity check with every seed")
    old = trained.bundle_dir.name
    new = _bundle_tools().copy_as(trained.bundle_dir, model_dir, "v-new").name
    set_current(model_dir, old)
    database = make_database("postgres")
    migrate.upgrade(engine=database.engine)
    register_trained(old, actor="test", model_dir=model_dir, engine=database.engine)
    register_trained(new, actor="test", model_dir=model_dir, engine=database.engine)
    server = ScoringServer(
        ServerOptions(address="127.0.0.1:0", model_dir=model_dir, drain_seconds=0.0, token=TOKEN)
    )
    server.start()
    server.load()
    try:
        with RiskClient(f"127.0.0.1:{server.port}", token=TOKEN) as client:
            history = score_portfolio(
                data_dir=data_dir,
                client=client,
                weeks=6,
                engine=database.engine,
                model_dir=model_dir,
            )
            done = promote(
                new,
                actor="test",
                model_dir=model_dir,
                engine=database.engine,
                client=client,
                data_dir=data_dir,
                force_reason="a copy of the champion: the gate need not judge it",
            )
    finally:
        server.stop(grace=1)
    dates = [result.as_of for result in history]
    assert done.served_version == new and done.rescore_error is None
    assert list(done.rescored) == dates[-4:]
    with database.engine.connect() as connection:
        by_date = dict(
            connection.execute(
                sa.text(
                    "SELECT as_of, count(*) FROM risk_scores WHERE model_version = :v"
                    " GROUP BY as_of"
                ),
                {"v": new},
            ).all()
        )
    assert sorted(by_date) == dates[-4:]
    assert set(by_date.values()) == {300}
    with session_scope(engine=database.engine) as session:
        snapshot = latest_snapshot(session)
        assert snapshot is not None
        assert (snapshot.model_version, snapshot.previous) == (new, dates[-2])
        rows = [
            row
            for urgency in URGENCIES
            for row in read_queue_page(
                session,
                urgency=urgency,
                page=0,
                page_size=500,
                officer=None,
                policy=WorkflowPolicy(),
            ).rows
        ]
    # the queue's "Change" compares the new model's scores of two dates: not all zero
    assert rows and any(abs(row.delta) > 0 for row in rows)
