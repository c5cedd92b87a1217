"""Monitoring end to end: simulated data whose incomes and spending shift from a given week,
a bundle trained before the shift and registered (the first one: promoted), a real server,
scoring runs that store drift, then realised and estimated performance, the app's service view
models, and `compare` of two bundles on the portfolio."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pde.contracts.bundle import current_bundle_dir
from pde.core.names import Role
from pde.core.settings import Settings
from pde.db import migrate
from pde.db.engine import make_engine
from pde.jobs.portfolio import score_portfolio

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

DRIFT_WEEK = 8
WEEKS = 14
# Features of the salary's amount: stable before the shift, moved by it.
SHIFTED = ("salary_amount_change", "salary_amount_cv", "income_trend")


@dataclass(frozen=True)
class World:
    data_dir: Path
    model_dir: Path
    engine: Engine
    address: str
    version: str
    week: dict[int, date]  # as-of date of each simulated week (0 = the first)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from pde.jobs.models import register_trained
    from pde.server.transport.app import ScoringServer
    from pde.server.transport.options import ServerOptions
    from pde.training.data.simulate import SimulationConfig, simulate
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    root = tmp_path_factory.mktemp("monitoring")
    data_dir, model_dir = root / "data", root / "models"
    config = SimulationConfig(customers=500, weeks=WEEKS, seed=11, drift_from_week=DRIFT_WEEK)
    simulate(config, data_dir)
    week = {k: config.start + timedelta(days=int(d)) for k, d in enumerate(config.as_of_days)}
    engine = make_engine(f"sqlite:///{root / 'pde.db'}")
    migrate.upgrade(engine=engine)
    # trained on the weeks before the shift, as a bank's model was
    frame = load_canonical_frame(data_dir, as_of_dates=[week[k] for k in range(DRIFT_WEEK - 2)])
    for seed in (42, 7, 2026):
        try:
            result = train_frame(
                frame, config=TrainConfig.quick_run(threads=1, seed=seed), model_dir=model_dir
            )
            break
        except ParityError:
            continue
    else:
        pytest.fail("the quick training run failed its parity check with every seed")
    version = result.bundle_dir.name
    registered = register_trained(version, actor="test", model_dir=model_dir, engine=engine)
    assert registered.promotion is not None  # the first bundle: promoted, now current
    server = ScoringServer(
        ServerOptions(address="127.0.0.1:0", model_dir=model_dir, drain_seconds=0.0)
    )
    server.start()
    server.load()
    yield World(data_dir, model_dir, engine, f"127.0.0.1:{server.port}", version, week)
    server.stop(grace=1)


@pytest.fixture(scope="module")
def scored(world: World) -> World:
    """Weeks 3..13 scored (drift stored with each), and the day after the data (immature)."""
    from pde.client.sync import RiskClient

    with RiskClient(world.address) as client:
        history = score_portfolio(
            data_dir=world.data_dir,
            client=client,
            as_of=world.week[WEEKS - 1],
            weeks=WEEKS - 3,
            engine=world.engine,
            model_dir=world.model_dir,
        )
        latest = score_portfolio(
            data_dir=world.data_dir, client=client, engine=world.engine, model_dir=world.model_dir
        )
    assert all(result.drift is not None for result in [*history, *latest])
    return world


def _psi(engine: Engine, as_of: date, feature: str) -> float:
    with engine.connect() as connection:
        return float(
            connection.execute(
                sa.text("SELECT psi FROM feature_drift WHERE as_of = :d AND feature = :f"),
                {"d": as_of, "f": feature},
            ).scalar_one()
        )


def test_monitoring_the_bundle_ships_its_reference_distributions(world: World) -> None:
    from pde.contracts.bundle import read_manifest, read_reference

    bundle = current_bundle_dir(world.model_dir)
    manifest = read_manifest(bundle, verify=True)
    reference = read_reference(bundle)
    assert manifest.reference is not None and reference is not None
    assert set(reference.features) == set(manifest.feature_names)
    assert reference.score_rows >= len(reference.score_sample) > 100
    for bins in reference.features.values():
        assert sum(bins.shares) + bins.missing == pytest.approx(1.0)


def test_monitoring_psi_catches_the_injected_drift(scored: World) -> None:
    shifted = [f for f in SHIFTED if f in _features(scored)]
    assert len(shifted) >= 2, "the bundle kept too few of the salary-amount features"
    for feature in shifted:
        for k in range(3, DRIFT_WEEK - 1):  # before the shift reaches a salary
            assert _psi(scored.engine, scored.week[k], feature) < 0.2, (feature, k)
        for k in (WEEKS - 2, WEEKS - 1):
            assert _psi(scored.engine, scored.week[k], feature) >= 0.25, (feature, k)
    from pde.db import monitoring
    from pde.db.engine import session_scope

    with session_scope(engine=scored.engine) as session:
        checks = {check.as_of: check for check in monitoring.drift_checks(session)}
    last, early = checks[scored.week[WEEKS - 1]], checks[scored.week[3]]
    assert last.level == "alert"
    assert last.features_alert > early.features_alert
    assert all(0.0 <= check.score_ks_pvalue <= 1.0 for check in checks.values())


def _features(world: World) -> list[str]:
    from pde.contracts.bundle import read_manifest

    return read_manifest(current_bundle_dir(world.model_dir), verify=False).feature_names


def test_monitoring_service_gives_the_trend_top_features_and_the_alert(scored: World) -> None:
    from pde.frontend.services import Services
    from pde.frontend.services.access import AccessDeniedError, SignedIn
    from pde.frontend.services.monitoring import drift_overview

    services = Services(settings=Settings(model_dir=scored.model_dir), engine=scored.engine)
    manager = SignedIn("sup1", "Sam Supervisor", Role.SUPERVISOR)
    overview = drift_overview(services, manager, model_version=scored.version, top=5)
    dates = [point.as_of for point in overview.trend]
    assert dates == sorted(dates) and len(dates) == WEEKS - 3 + 1
    assert overview.latest is not None and overview.latest.as_of == dates[-1]
    assert overview.alert_raised and overview.warning_raised
    assert len(overview.top_features) == 5
    psis = [row.psi for row in overview.top_features]
    assert psis == sorted(psis, reverse=True) and psis[0] >= 0.25
    assert (overview.psi_warn, overview.psi_alert) == (0.1, 0.25)
    # a new champion not checked yet: nothing of its own, or the latest checked model's drift
    assert drift_overview(services, manager, model_version="new-champion").trend == []
    fallback = drift_overview(services, manager, model_version="new-champion", or_latest=True)
    assert fallback.trend == overview.trend
    with pytest.raises(AccessDeniedError):
        drift_overview(services, SignedIn("off1", "Olivia", Role.OFFICER))


def test_monitoring_realised_and_estimated_performance_per_date(scored: World) -> None:
    from pde.frontend.services import Services
    from pde.frontend.services.access import SignedIn
    from pde.frontend.services.monitoring import performance_overview
    from pde.jobs.realised import measure_performance

    found = measure_performance(data_dir=scored.data_dir, engine=scored.engine)
    matured = [f for f in found if f.matured]
    immature = [f for f in found if not f.matured]
    assert len(matured) == WEEKS - 3 and len(immature) == 1  # the day after the data
    for item in matured:
        actual = item.realised
        assert actual is not None and actual.auc is not None and actual.ks is not None
        assert 0.5 < actual.auc <= 1.0 and 0.0 < actual.ks <= 1.0
        assert actual.observed_rate is not None and actual.labelled_rows
        assert {t["tier"] for t in actual.by_tier} <= {"low", "medium", "high", "critical"}
        assert all("observed_rate" in t for t in actual.by_tier)
    for item in found:
        guess = item.estimated
        assert guess.auc is not None and guess.auc_low is not None and guess.auc_high is not None
        assert guess.auc_low <= guess.auc <= guess.auc_high
        assert guess.predicted_rate_low is not None and guess.predicted_rate_high is not None
        assert guess.predicted_rate_low <= guess.predicted_rate <= guess.predicted_rate_high
    services = Services(settings=Settings(model_dir=scored.model_dir), engine=scored.engine)
    overview = performance_overview(services, SignedIn("admin", "Ada", Role.ADMIN))
    assert [p.as_of for p in overview.realised] == [f.as_of for f in matured]
    assert len(overview.estimated) == len(found)
    assert overview.calibration_date == matured[-1].as_of
    assert overview.calibration and all(t.observed_rate is not None for t in overview.calibration)
    with scored.engine.connect() as connection:
        outcomes = connection.execute(sa.text("SELECT count(*) FROM matured_outcomes")).scalar()
    assert outcomes == sum(f.realised.labelled_rows or 0 for f in matured if f.realised)


def test_monitoring_compare_a_copy_agrees_with_its_champion(scored: World) -> None:
    import shutil

    from pde.jobs.compare import compare_models

    source = current_bundle_dir(scored.model_dir)
    shutil.copytree(source, scored.model_dir / "copy")
    found = compare_models(
        "copy", model_dir=scored.model_dir, data_dir=scored.data_dir, engine=scored.engine
    )
    assert found.champion == scored.version
    assert found.scored_date > scored.week[WEEKS - 1]  # the latest run: after the data
    assert found.customers == 500
    assert found.score_psi == pytest.approx(0.0, abs=1e-9)
    assert found.alerts[0] == found.alerts[1] == found.alerts_both > 0
    assert found.alert_overlap == 1.0
    assert found.matured_date is not None and found.matured_rows > 0
    assert found.matured_auc[0] == found.matured_auc[1] is not None
    assert found.held_out_auc[0] == found.held_out_auc[1]
