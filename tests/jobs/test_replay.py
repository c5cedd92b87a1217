"""Replaying stored decisions: simulated data, a real bundle, a real server on loopback for
the portfolio job, a real database; the replay itself loads the bundle in-process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pde.cli.main import main
from pde.core.settings import get_settings
from pde.db import engine as engine_module
from pde.db import migrate
from pde.jobs.portfolio import score_portfolio
from pde.jobs.replay import TOLERANCE, ReplayError, replay

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(scope="module")
def scored_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str]]:
    """Simulated data, a quick bundle trained on it and a server serving it."""
    from pde.contracts.bundle import set_current
    from pde.server.transport.app import ScoringServer
    from pde.server.transport.options import ServerOptions
    from pde.training.data.simulate import SimulationConfig, simulate
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    root = tmp_path_factory.mktemp("replay")
    data_dir = root / "data"
    simulate(SimulationConfig(customers=300, weeks=16, seed=11), data_dir)
    frame = load_canonical_frame(data_dir)
    for seed in (42, 7, 2026):
        try:
            config = TrainConfig.quick_run(threads=1, seed=seed)
            result = train_frame(frame, config=config, model_dir=root / "models")
            set_current(root / "models", result.bundle_dir.name)
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
    yield data_dir, root / "models", f"127.0.0.1:{server.port}"
    server.stop(grace=1)


def _score(world: tuple[Path, Path, str], engine: sa.Engine) -> Any:
    from pde.client.sync import RiskClient

    data_dir, model_dir, address = world
    migrate.upgrade(engine=engine)
    with RiskClient(address) as client:
        return score_portfolio(
            data_dir=data_dir, client=client, weeks=2, engine=engine, model_dir=model_dir
        )


def _with_reasons(engine: sa.Engine, as_of: Any) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT customer_id, top_reasons FROM risk_scores WHERE as_of = :d"),
            {"d": as_of},
        ).all()
    return sorted(c for c, reasons in rows if reasons and reasons != "[]")


@pytest.mark.postgres
def test_replay_every_stored_decision_matches(
    scored_world: tuple[Path, Path, str], make_database: Callable[[str], Any]
) -> None:
    database = make_database("postgres")
    results = _score(scored_world, database.engine)
    data_dir, model_dir, _ = scored_world
    latest, earlier = results[-1].as_of, results[0].as_of
    explained = _with_reasons(database.engine, latest)
    assert explained, "the newest date stores reasons for its alerts"
    for customer in explained[:3]:
        replayed = replay(
            customer, as_of=latest, data_dir=data_dir, model_dir=model_dir, engine=database.engine
        )
        assert replayed.matches, replayed.differences
        assert abs(replayed.probability - replayed.stored_probability) <= TOLERANCE
        assert [r.feature for r in replayed.reasons] == [r.feature for r in replayed.stored_reasons]
        assert replayed.reasons
    # an earlier date (no reasons stored) replays its score, with the version named
    with database.engine.connect() as connection:
        someone = connection.execute(
            sa.text("SELECT min(customer_id) FROM risk_scores WHERE as_of = :d"), {"d": earlier}
        ).scalar_one()
    replayed = replay(
        someone,
        as_of=earlier,
        model_version=results[0].model_version,
        data_dir=data_dir,
        model_dir=model_dir,
        engine=database.engine,
    )
    assert replayed.matches and replayed.model_version == results[0].model_version


@pytest.mark.postgres
def test_replay_shows_a_difference(
    scored_world: tuple[Path, Path, str], make_database: Callable[[str], Any]
) -> None:
    database = make_database("postgres")
    results = _score(scored_world, database.engine)
    data_dir, model_dir, _ = scored_world
    latest = results[-1].as_of
    customer = _with_reasons(database.engine, latest)[0]
    with database.engine.begin() as connection:  # the stored decision is altered
        connection.execute(
            sa.text(
                "UPDATE risk_scores SET probability = probability / 2"
                " WHERE customer_id = :c AND as_of = :d"
            ),
            {"c": customer, "d": latest},
        )
    replayed = replay(
        customer, as_of=latest, data_dir=data_dir, model_dir=model_dir, engine=database.engine
    )
    assert not replayed.matches
    assert replayed.differences[0].startswith("probability ")
    with pytest.raises(ReplayError, match="no stored score"):
        replay(
            customer,
            as_of=latest,
            model_version="no-such-model",
            data_dir=data_dir,
            model_dir=model_dir,
            engine=database.engine,
        )


def test_replay_through_the_cli(
    scored_world: tuple[Path, Path, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir, model_dir, _ = scored_world
    database = tmp_path / "pde.db"
    engine = sa.create_engine(f"sqlite:///{database}")
    results = _score(scored_world, engine)
    latest = results[-1].as_of
    customer = _with_reasons(engine, latest)[0]
    monkeypatch.setenv("PDE_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("PDE_MODEL_DIR", str(model_dir))
    monkeypatch.setenv("PDE_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    engine_module.get_engine.cache_clear()
    try:
        code = main(["replay", customer, "--as-of", latest.isoformat()])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "replay matches the stored decision" in out
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE risk_scores SET tier = 'low'"))
        code = main(["replay", customer, "--as-of", latest.isoformat()])
        err = " ".join(capsys.readouterr().err.split())
        assert code == 1 and "replay differs from the stored decision" in err
        assert "stored low" in err
        assert main(["replay", "nobody", "--as-of", latest.isoformat()]) == 1
        assert "no stored score for nobody" in capsys.readouterr().err
    finally:
        engine_module.get_engine().dispose()
        engine_module.get_engine.cache_clear()
        get_settings.cache_clear()


def test_replay_the_apps_service(scored_world: tuple[Path, Path, str], tmp_path: Path) -> None:
    from pde.core.names import Role
    from pde.core.settings import Settings
    from pde.frontend.services import Services
    from pde.frontend.services.access import SignedIn
    from pde.frontend.services.explain import replay_decision

    data_dir, model_dir, _ = scored_world
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'pde.db'}")
    results = _score(scored_world, engine)
    latest = results[-1].as_of
    customer = _with_reasons(engine, latest)[0]
    settings = Settings(data_dir=data_dir, model_dir=model_dir, env="development")
    services = Services(settings=settings, engine=engine)
    replayed = replay_decision(
        services, SignedIn("admin", "Ada Admin", Role.ADMIN), customer_id=customer, as_of=latest
    )
    assert replayed.matches and replayed.reasons
    assert replayed.model_version == results[-1].model_version
