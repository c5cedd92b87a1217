"""Shadow scoring end to end: a champion served with a challenger loaded beside it through
ReloadModel (token), portfolio runs that store the challenger's scores apart, realised
outcomes, and the comparison of the two from the stored scores (also in `compare`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pde.db import migrate
from pde.db.engine import make_engine

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

WEEKS = 12
SCORED = 9  # weeks 3..11
TOKEN = "shadow-jobs"


@dataclass(frozen=True)
class World:
    data_dir: Path
    model_dir: Path
    engine: Engine
    champion: str
    challenger: str
    week: dict[int, date]


def _train(data_dir: Path, model_dir: Path, dates: list[date], seeds: tuple[int, ...]) -> str:
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    frame = load_canonical_frame(data_dir, as_of_dates=dates)
    for seed in seeds:
        try:
            config = TrainConfig.quick_run(threads=1, seed=seed)
            return train_frame(frame, config=config, model_dir=model_dir).bundle_dir.name
        except ParityError:
            continue
    pytest.fail("the quick training run failed its parity check with every seed")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from pde.client.sync import RiskClient
    from pde.jobs.models import register_trained
    from pde.jobs.portfolio import score_portfolio
    from pde.jobs.realised import measure_performance
    from pde.server.transport.app import ScoringServer
    from pde.server.transport.options import ServerOptions
    from pde.training.data.simulate import SimulationConfig, simulate

    root = tmp_path_factory.mktemp("shadow")
    data_dir, model_dir = root / "data", root / "models"
    config = SimulationConfig(customers=400, weeks=WEEKS, seed=5)
    simulate(config, data_dir)
    week = {k: config.start + timedelta(days=int(d)) for k, d in enumerate(config.as_of_days)}
    engine = make_engine(f"sqlite:///{root / 'pde.db'}")
    migrate.upgrade(engine=engine)
    champion = _train(data_dir, model_dir, [week[k] for k in range(5)], (42, 7, 2026))
    register_trained(champion, actor="test", model_dir=model_dir, engine=engine)
    challenger = _train(data_dir, model_dir, [week[k] for k in range(7)], (7, 11, 13))
    register_trained(challenger, actor="test", model_dir=model_dir, engine=engine)
    server = ScoringServer(
        ServerOptions(address="127.0.0.1:0", model_dir=model_dir, token=TOKEN, drain_seconds=0)
    )
    server.start()
    server.load()
    try:
        with RiskClient(f"127.0.0.1:{server.port}", token=TOKEN) as client:
            info = client.reload(challenger, challenger=True)
            assert (info.version, info.challenger_version) == (champion, challenger)
            for _ in range(2):  # the second run replaces the first's shadow scores
                results = score_portfolio(
                    data_dir=data_dir,
                    client=client,
                    as_of=week[WEEKS - 1],
                    weeks=SCORED,
                    engine=engine,
                    model_dir=model_dir,
                )
                assert [r.challenger for r in results] == [challenger] * SCORED
        measure_performance(data_dir=data_dir, engine=engine)
        yield World(data_dir, model_dir, engine, champion, challenger, week)
    finally:
        server.stop(grace=1)


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]


def test_shadow_scores_are_stored_apart_from_the_champions(world: World) -> None:
    counts = _rows(
        world.engine,
        "SELECT challenger_version, champion_version, count(*), count(DISTINCT as_of) "
        "FROM challenger_scores GROUP BY challenger_version, champion_version",
    )
    assert counts == [(world.challenger, world.champion, SCORED * 400, SCORED)]
    versions = _rows(world.engine, "SELECT DISTINCT model_version FROM risk_scores")
    assert versions == [(world.champion,)]  # the champion alone drives alerts and work


def test_shadow_scores_are_the_challengers_own(world: World) -> None:
    from pde.contracts.data.io import load_dataset
    from pde.server.bundle import load_bundle
    from pde.training.features import compute_features

    when = world.week[WEEKS - 1]
    stored = _rows(
        world.engine,
        "SELECT customer_id, probability FROM challenger_scores WHERE as_of = :d "
        "ORDER BY customer_id",
        d=when,
    )
    features = compute_features(load_dataset(world.data_dir), [when]).sort("customer_id")
    bundle = load_bundle(world.model_dir / world.challenger)
    matrix = features.select(bundle.manifest.feature_names).cast(pl.Float32).to_numpy()
    expected = bundle.score(matrix).probability
    assert [row[0] for row in stored] == features["customer_id"].to_list()
    got = np.array([row[1] for row in stored], dtype=np.float64)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    champion = _rows(
        world.engine,
        "SELECT probability FROM risk_scores WHERE as_of = :d ORDER BY customer_id",
        d=when,
    )
    assert not np.allclose(got, [row[0] for row in champion])  # two models, two scores


def test_shadow_comparison_from_the_stored_scores(world: World) -> None:
    from sklearn.metrics import roc_auc_score

    from pde.jobs.compare import compare_models
    from pde.jobs.shadow import shadow_comparison

    found = shadow_comparison(engine=world.engine)
    assert found is not None
    assert (found.challenger, found.champion) == (world.challenger, world.champion)
    assert found.dates == [world.week[k] for k in range(WEEKS - SCORED, WEEKS)]
    assert found.latest == world.week[WEEKS - 1] and found.customers == 400
    latest = _rows(
        world.engine,
        "SELECT c.alert, r.alert FROM challenger_scores c JOIN risk_scores r ON "
        "r.customer_id = c.customer_id AND r.as_of = c.as_of WHERE c.as_of = :d",
        d=found.latest,
    )
    assert found.alerts == (sum(bool(a) for a, _ in latest), sum(bool(b) for _, b in latest))
    assert found.alerts_both == sum(bool(a) and bool(b) for a, b in latest)
    assert found.alerts[1] > 0 and found.alert_overlap is not None
    assert 0.0 < found.score_psi < 5.0
    matured = _rows(
        world.engine,
        "SELECT c.probability, r.probability, m.label FROM challenger_scores c "
        "JOIN risk_scores r ON r.customer_id = c.customer_id AND r.as_of = c.as_of "
        "JOIN matured_outcomes m ON m.customer_id = c.customer_id AND m.as_of = c.as_of",
    )
    assert found.matured_rows == len(matured) > 1000
    labels = [row[2] for row in matured]
    assert found.matured_auc == (
        pytest.approx(roc_auc_score(labels, [row[0] for row in matured])),
        pytest.approx(roc_auc_score(labels, [row[1] for row in matured])),
    )
    assert all(a is not None and 0.5 < a <= 1.0 for a in found.matured_auc)
    offline = compare_models(
        world.challenger, model_dir=world.model_dir, data_dir=world.data_dir, engine=world.engine
    )
    assert offline.shadow == found
    assert shadow_comparison(engine=world.engine, challenger="nothing") is None


def test_shadow_cli_compare_prints_the_shadow_comparison(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pde.cli.main import main
    from pde.core.settings import get_settings
    from pde.db import engine as engine_module
    from pde.jobs.shadow import shadow_comparison

    monkeypatch.setenv("PDE_DATABASE_URL", str(world.engine.url))
    monkeypatch.setenv("PDE_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    engine_module.get_engine.cache_clear()
    try:
        code = main(
            [
                "models",
                "compare",
                world.challenger,
                "--model-dir",
                str(world.model_dir),
                "--data",
                str(world.data_dir),
            ]
        )
    finally:
        engine_module.get_engine().dispose()
        engine_module.get_engine.cache_clear()
        get_settings.cache_clear()
    out = capsys.readouterr().out
    found = shadow_comparison(engine=world.engine)
    assert code == 0 and found is not None
    assert f"shadow run ({SCORED} dates" in out
    auc = found.matured_auc
    assert f"({found.matured_rows:,} rows): {auc[0]:.4f} against {auc[1]:.4f}" in out
    assert f"alerts {found.alerts[0]:,} against {found.alerts[1]:,}" in out
    assert f"{found.score_psi:.3f}" in out


def test_shadow_run_feeds_the_promotion_gate(world: World) -> None:
    from pde.jobs.models import gate_checks
    from pde.jobs.shadow import shadow_comparison

    found = shadow_comparison(engine=world.engine)
    assert found is not None
    checks = {
        c.name: c
        for c in gate_checks(
            world.challenger, world.champion, model_dir=world.model_dir, engine=world.engine
        )
    }
    realised = checks["realised_auc"]  # no parallel run: the shadow run's matured rows
    assert realised.rows == found.matured_rows
    assert (realised.challenger, realised.champion) == pytest.approx(found.matured_auc)
