"""The app with a real scoring server and a real (small) bundle: model page, promotion, Explain."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from selenium.webdriver.common.by import By
from sqlalchemy.engine import Engine

from pde.core.names import DEFAULT_LOOKBACK_DAYS
from pde.db.engine import session_scope
from pde.frontend.components import pct, shown_value
from pde.frontend.services import Services
from tests.frontend.browser import click, screenshot, sign_in, wait_for
from tests.frontend.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
# The server refuses ReloadModel (used by promotion) unless it has a token.
TOKEN = "live-admin-token"


@dataclass(frozen=True)
class LiveCustomer:
    version: str  # the live bundle
    customer_id: str  # in the data and in the database
    data_dir: Path
    data_end: date  # the day after the data's last transaction
    scored: date  # the customer's stored score, later than the data


@pytest.fixture(scope="module")
def live_scoring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path, str]]:
    """Simulated canonical data, a quick bundle trained on it by the real pipeline, and the
    real gRPC server serving it: (address, data dir, model dir, version)."""
    from pde.contracts.bundle import current_bundle_dir, set_current
    from pde.server.transport.app import ScoringServer
    from pde.server.transport.options import ServerOptions
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    root = tmp_path_factory.mktemp("live")
    data_dir, model_dir = root / "data", root / "models"
    subprocess.run(
        [sys.executable, "-m", "pde.cli.main", "simulate", "-n", "300", "-o", str(data_dir)],
        check=True,
        capture_output=True,
    )
    frame = load_canonical_frame(data_dir)
    for seed in (42, 7, 2026):  # tiny data can fail the trainer's parity check: another seed
        try:
            result = train_frame(
                frame, config=TrainConfig.quick_run(threads=1, seed=seed), model_dir=model_dir
            )
            set_current(model_dir, result.bundle_dir.name)  # training leaves it to promotion
            break
        except ParityError:
            continue
    else:
        pytest.fail("the quick training run failed its parity check with every seed")
    version = current_bundle_dir(model_dir).name
    server = ScoringServer(
        ServerOptions(
            address="127.0.0.1:0",
            model_dir=model_dir,
            drain_seconds=0.0,
            grace_seconds=2.0,
            token=TOKEN,
        )
    )
    port = server.start()
    server.load()
    yield f"127.0.0.1:{port}", data_dir, model_dir, version
    server.stop(grace=1)


def _busiest_recent_customer(data_dir: Path) -> tuple[str, date]:
    """The customer with most transactions in the look-back window before the end of the
    data, and that end (the day after the last transaction)."""
    transactions = pl.read_parquet(data_dir / "transactions.parquet")
    end = transactions["timestamp"].max().date() + timedelta(days=1)  # type: ignore[union-attr]
    start = datetime.combine(end - timedelta(days=DEFAULT_LOOKBACK_DAYS), time())
    busiest = (
        transactions.filter(pl.col("timestamp") >= start)
        .group_by("customer_id")
        .len()
        .sort(["len", "customer_id"], descending=[True, False])
    )
    return str(busiest["customer_id"][0]), end


@pytest.fixture
def live_app(
    dash_app: Any, live_scoring: tuple[str, Path, Path, str], portfolio: tuple[str, Engine]
) -> Iterator[LiveCustomer]:
    """The shared app pointed at the live server, bundle and data for one test. The busiest
    recent customer of the simulated data is added to the database with a stored score dated
    like the seeded portfolio's (today, months after the simulated data ends)."""
    from pde.db.customers import upsert_customers
    from pde.db.engine import session_scope
    from pde.db.scores import ScoreRow, write_scores
    from pde.frontend.app import _risk_client_factory
    from pde.frontend.seed import MODEL_VERSION
    from pde.jobs.customers import read_customer_records

    address, data_dir, model_dir, version = live_scoring
    customer_id, data_end = _busiest_recent_customer(data_dir)
    record = next(r for r in read_customer_records(data_dir) if r["customer_id"] == customer_id)
    engine = portfolio[1]
    with session_scope(engine=engine) as session:
        upsert_customers(session=session, records=[record], actor="system:test")
        scored = session.execute(sa.text("SELECT max(as_of) FROM risk_scores")).scalar_one()
    scored = date.fromisoformat(str(scored))
    assert scored > data_end  # the situation the Deep Dive must handle
    write_scores(
        rows=[ScoreRow(customer_id, scored, 0.2, "medium", False, MODEL_VERSION)],
        run_id=f"live-{customer_id}",
        as_of=scored,
        model_version=MODEL_VERSION,
        engine=engine,
    )
    with dash_app.server.app_context():
        services: Services = dash_app.server.extensions["pde_services"]
    saved = (services.settings, services.client_factory, services._client)
    services.settings = saved[0].model_copy(
        update={
            "grpc_address": address,
            "grpc_token": SecretStr(TOKEN),
            "model_dir": model_dir,
            "data_dir": data_dir,
        }
    )
    services.client_factory = _risk_client_factory(services.settings)
    services._client = None
    services.status(fresh=True)
    yield LiveCustomer(version, customer_id, data_dir, data_end, scored)
    services.settings, services.client_factory, services._client = saved
    services.status(fresh=True)


def _shown_reasons(driver: Any, rows: str = "reason-row") -> list[tuple[str, str]]:
    """(feature, value as shown) of each live reason row (or protective row); each also
    shows its standard code and a text with what is usual."""
    found = []
    for row in driver.find_elements(By.CSS_SELECTOR, f"#dd-explain .{rows}"):
        code, text = row.text.splitlines()[:2]
        assert re.fullmatch(r"R\d\d ?[A-Z].+", code), code  # badge, then its text
        assert "; usually " in text or "; seen in " in text, text
        line = row.text.splitlines()[-1]  # "<feature> = <value> · <contribution> log-odds"
        match = re.fullmatch(r"(\w+) = (.+) · [+-][\d.]+ log-odds", line)
        assert match is not None, line
        found.append((match.group(1), match.group(2)))
    return found


def _assert_policy_figures(driver: Any, metrics_path: Path) -> None:
    """The Model page shows the bundle's alert policy figures, ECE and tier table."""
    metrics = json.loads(metrics_path.read_text())
    alerts, tiers = metrics["alerts"], metrics["tiers"]
    terms = driver.find_elements(By.CSS_SELECTOR, "#mp-policy dt")
    values = driver.find_elements(By.CSS_SELECTOR, "#mp-policy dd")
    shown = {t.text: v.text for t, v in zip(terms, values, strict=True)}
    assert shown["Share alerted"] == pct(alerts["share_alerted"])
    assert shown["Capacity used"] == (
        f"{pct(alerts['capacity_used'])} ({alerts['alerts']:,} of {alerts['capacity']:,})"
    )
    assert shown["Precision"] == pct(alerts["precision"])
    assert shown["Recall"] == pct(alerts["recall"])
    assert shown["Lift"] == f"{alerts['lift']:.2f}×"
    assert shown["ECE"] == f"{metrics['metrics']['ensemble']['ece']:.4f}"
    rows = driver.find_elements(By.CSS_SELECTOR, "#mp-tiers tr.tier-row")
    assert [r.text.split() for r in rows] == [
        [t["tier"].capitalize(), f"{t['lower']:.3f}", pct(t["share"]), pct(t["default_rate"])]
        for t in tiers
    ]
    assert len(rows) == 4
    # where the actions' effects come from, and the fairness flags per protected attribute
    fairness = driver.find_element(By.ID, "mp-fairness").text
    report = (metrics.get("uplift") or {}).get("fairness")
    if report is None:
        assert "prior: PDE_ACTION_EFFECT" in fairness and "No fairness report" in fairness
        return
    assert "learned: uplift models" in fairness
    for name, section in report["attributes"].items():
        assert f"{name.replace('_', ' ')}: {', '.join(sorted(section['groups']))}" in fairness
        for flag in section["flags"]:
            assert flag in fairness
        if not section["flags"]:
            assert "no group flagged" in fairness


def test_app_live_model_page_promotion_and_explain(
    browser: Any,
    app_url: str,
    live_app: LiveCustomer,
    live_scoring: tuple[str, Path, Path, str],
    portfolio: tuple[str, Engine],
) -> None:
    from pde.contracts.data.io import load_dataset
    from pde.training.features import compute_features

    live = live_app
    sign_in(browser, app_url, "admin")
    browser.get(app_url + "/model")
    wait_for(browser, "#mp-body .js-plotly-plot")
    body = browser.find_element(By.ID, "mp-body").text
    assert live.version in body and "AUC" in body
    _assert_policy_figures(browser, live_scoring[2] / live.version / "metrics.json")
    # The scoring service is up: no scoring banner.
    assert "scoring service" not in browser.find_element(By.ID, "status-banner").text
    screenshot(browser, ARTIFACTS, "model-performance-live")

    browser.get(app_url + "/admin/data")
    wait_for(browser, "#dm-users table")
    browser.find_element(By.CSS_SELECTOR, f"#dm-bundle option[value='{live.version}']").click()
    click(browser, "#dm-promote")
    promoted = wait_for(browser, "#dm-result .alert")
    assert f"{live.version} is the champion" in promoted.text
    assert f"now serves {live.version}" in promoted.text
    with session_scope(engine=portfolio[1]) as session:
        status = session.execute(
            sa.text("SELECT status FROM model_versions WHERE version = :v"), {"v": live.version}
        ).scalar_one()
        promotion = session.execute(
            sa.text(
                "SELECT actor, after FROM action_audit_log"
                " WHERE action = 'model_version.promote' AND entity_id = :v"
            ),
            {"v": live.version},
        ).one()
    assert status == "champion"
    assert promotion[0] == "admin"

    # Explain from the customer's raw activity in the canonical data (a live gRPC call). The
    # stored score is dated after the data ends: the app explains as of the end of the data.
    browser.get(f"{app_url}/customer?id={live.customer_id}")
    wait_for(browser, "#dd-customer", text=live.customer_id)
    click(browser, "#dd-explain-btn")
    head = wait_for(browser, "#dd-explain-head", text="as of")
    assert head.text.endswith(f"model {live.version} · as of {live.data_end:%Y-%m-%d}")
    note = browser.find_element(By.ID, "dd-explain-note").text
    assert note.startswith(f"explained as of {live.data_end:%Y-%m-%d}, the end of the data")
    assert f"the stored score is dated {live.scored:%Y-%m-%d}" in note
    shown = _shown_reasons(browser)
    assert len(shown) == 6  # TOP_K: a customer this active has that many raising reasons
    expected = compute_features(load_dataset(live.data_dir), [live.data_end]).filter(
        pl.col("customer_id") == live.customer_id
    )
    values = {name: expected[name][0] for name, _ in shown}
    assert [text for _, text in shown] == [shown_value(values[name]) for name, _ in shown]
    assert sum(not math.isnan(v) for v in values.values()) >= 4  # real values, not "missing"
    protective = _shown_reasons(browser, "protective-row")
    assert len(protective) == 2  # the two factors lowering the risk most
    assert "age_years" not in {name for name, _ in [*shown, *protective]}  # protected
    screenshot(browser, ARTIFACTS, "explain-live")

    # A customer who is not in the data at all: a clear refusal, not a score of nothing.
    absent = "C000001"
    browser.get(f"{app_url}/customer?id={absent}")
    wait_for(browser, "#dd-customer", text=absent)
    click(browser, "#dd-explain-btn")
    refused = wait_for(browser, "#dd-explain .unavailable", text="not in the data")
    assert refused.text == (
        f"Explain failed: customer {absent} is not in the data at {live.data_dir}: there is no"
        " activity to explain from"
    )
    assert not browser.find_elements(By.CSS_SELECTOR, "#dd-explain .reason-row")


def test_app_live_replay_shows_differences_then_a_match(
    browser: Any, app_url: str, live_app: LiveCustomer, portfolio: tuple[str, Engine]
) -> None:
    """Replay recomputes the shown stored decision with its bundle: a stored score unlike
    the bundle's is reported with its differences; stored as recomputed, it matches. An
    officer may not replay another officer's customer."""
    from pde.db.model_registry import ensure_model_version
    from pde.db.scores import ScoreRow, write_scores

    live, engine = live_app, portfolio[1]
    newest = live.scored + timedelta(days=1)  # the newest snapshot: the one the page shows
    run_id = f"replay-{live.customer_id}"
    with session_scope(engine=engine) as session:
        ensure_model_version(session=session, version=live.version, actor="system:test")
    write_scores(
        rows=[ScoreRow(live.customer_id, newest, 0.5, "medium", False, live.version)],
        run_id=run_id,
        as_of=newest,
        model_version=live.version,
        engine=engine,
    )
    try:
        sign_in(browser, app_url, "off1")  # not the customer's officer
        browser.get(f"{app_url}/customer?id={live.customer_id}")
        wait_for(browser, "#dd-forbidden")
        click(browser, "#dd-replay-btn")
        wait_for(browser, "#dd-replay .replay-forbidden", text="Not allowed")

        sign_in(browser, app_url, "admin")
        browser.get(f"{app_url}/customer?id={live.customer_id}")
        wait_for(browser, "#dd-customer", text=live.customer_id)
        click(browser, "#dd-replay-btn")
        result = wait_for(browser, "#dd-replay-result", text="differs")
        assert result.text.startswith(
            f"Decision of {newest:%Y-%m-%d} by model {live.version} differs from the stored"
        )
        differences = [e.text for e in result.find_elements(By.CSS_SELECTOR, ".replay-difference")]
        found = re.fullmatch(r"probability ([\d.]+), stored 0\.50000000", differences[0])
        assert found is not None, differences
        tier = next(
            (d.split(",")[0].removeprefix("tier ") for d in differences if d.startswith("tier ")),
            "medium",
        )
        with session_scope(engine=engine) as session:
            session.execute(
                sa.text(
                    "UPDATE risk_scores SET probability = :p, tier = :t"
                    " WHERE customer_id = :c AND as_of = :d AND model_version = :v"
                ),
                {
                    "p": float(found.group(1)),
                    "t": tier,
                    "c": live.customer_id,
                    "d": newest,
                    "v": live.version,
                },
            )
        browser.get(f"{app_url}/customer?id={live.customer_id}")
        wait_for(browser, "#dd-customer", text=live.customer_id)
        click(browser, "#dd-replay-btn")
        matched = wait_for(browser, "#dd-replay-result", text="matches")
        assert matched.text == (
            f"Decision of {newest:%Y-%m-%d} by model {live.version} matches the stored decision:"
            f" {float(found.group(1)) * 100:.2f}%, tier {tier}."
        )
    finally:
        with session_scope(engine=engine) as session:
            session.execute(sa.text("DELETE FROM risk_scores WHERE run_id = :r"), {"r": run_id})
            session.execute(sa.text("DELETE FROM scoring_runs WHERE run_id = :r"), {"r": run_id})
