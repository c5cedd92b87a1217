"""Model monitoring in the app, in a real headless Chromium: the Model page's drift trend and
most drifted features, realised and estimated performance, calibration by tier and the
shadow challenger's comparison, the Monitor page's drift banner, each checked against the
database; officers see none of it.

The monitoring rows are computed by the real jobs' code over the seeded portfolio's stored
scores: outcomes drawn from the scores, drift against a reference of the scores' own
features, a challenger's scores stored as a shadow run would store them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from sqlalchemy.engine import Engine

from pde.frontend.components import pct
from tests.frontend.browser import screenshot, sign_in, wait_for
from tests.frontend.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHALLENGER = "demo-challenger"
FEATURES = ("utilisation", "spend_trend", "salary_amount_change", "salary_days_since_last")
TABLES = ("challenger_scores", "feature_drift", "drift_checks", "performance_by_date")


@dataclass(frozen=True)
class History:
    engine: Engine
    champion: str
    dates: list[date]  # the seeded scoring dates, oldest first


def _scores(engine: Engine, as_of: date, version: str) -> tuple[list[str], np.ndarray]:
    from pde.db import monitoring
    from pde.db.engine import session_scope

    with session_scope(engine=engine) as session:
        ids, p, _ = monitoring.scores_of(session, as_of=as_of, model_version=version)
    return ids, p


def _record_drift(engine: Engine, version: str, dates: list[date]) -> None:
    """Drift of each date against a reference of the first date, its features shifting more
    with each later date (the calendar feature most of all)."""
    from pde.contracts.reference import Bins, ReferenceDistributions
    from pde.db import monitoring
    from pde.db.engine import session_scope
    from pde.jobs.drift import Thresholds, measure_drift

    rng = np.random.default_rng(5)
    n = len(_scores(engine, dates[0], version)[0])
    base = {name: rng.normal(size=n) for name in FEATURES}
    _, p0 = _scores(engine, dates[0], version)
    reference = ReferenceDistributions(
        feature_rows=n,
        score_rows=n,
        features={name: Bins.of(values) for name, values in base.items()},
        score=Bins.of(p0),
        score_sample=p0.tolist(),
    )
    for step, when in enumerate(dates):
        shift = {"utilisation": 0.05, "spend_trend": 0.35, "salary_amount_change": 0.9}
        frame = pl.DataFrame(
            {
                name: base[name] + step * shift.get(name, 1.5) + rng.normal(0, 0.05, n)
                for name in FEATURES
            }
        )
        check, rows = measure_drift(
            reference,
            features=frame,
            probabilities=_scores(engine, when, version)[1],
            as_of=when,
            model_version=version,
            thresholds=Thresholds(0.1, 0.25),
        )
        with session_scope(engine=engine) as session:
            monitoring.record_drift(session=session, check=check, features=rows)


@pytest.fixture(scope="module")
def history(portfolio: tuple[str, Engine]) -> Iterator[History]:
    from pde.db import challenger, monitoring
    from pde.db.engine import session_scope
    from pde.frontend.seed import MODEL_VERSION
    from pde.jobs.realised import measure_stored

    engine = portfolio[1]
    with session_scope(engine=engine) as session:
        dates = sorted({d for d, v in monitoring.scored_dates(session) if v == MODEL_VERSION})
    assert len(dates) >= 3
    rng = np.random.default_rng(11)
    oldest_ids, oldest_p = _scores(engine, dates[0], MODEL_VERSION)
    labels = (rng.random(oldest_p.shape[0]) < oldest_p).astype(int)
    with session_scope(engine=engine) as session:
        monitoring.record_outcomes(
            session=session, as_of=dates[0], labels=dict(zip(oldest_ids, labels, strict=True))
        )
    measure_stored(engine=engine)
    _record_drift(engine, MODEL_VERSION, dates)
    for when in dates:
        ids, p = _scores(engine, when, MODEL_VERSION)
        shadow = np.clip(p + rng.normal(0, 0.08, p.shape[0]), 0.001, 0.999)
        cut = np.quantile(shadow, 0.9)
        with session_scope(engine=engine) as session:
            challenger.replace_scores(
                session=session,
                as_of=when,
                challenger_version=CHALLENGER,
                champion_version=MODEL_VERSION,
                customer_ids=ids,
                probability=shadow.tolist(),
                threshold_alert=(shadow >= 0.5).tolist(),
                alert=(shadow >= cut).tolist(),
            )
    yield History(engine, MODEL_VERSION, dates)
    with engine.begin() as connection:
        for table in (*TABLES, "matured_outcomes"):
            connection.execute(sa.text(f"DELETE FROM {table}"))


def _query(engine: Engine, sql: str, **params: object) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]


def _cells(driver: Any, css: str) -> list[list[str]]:
    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in driver.find_elements(By.CSS_SELECTOR, css)
    ]


def _plot(driver: Any, graph_id: str) -> dict[str, Any]:
    script = (
        "const el = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return JSON.stringify({data: el.data, shapes: el.layout.shapes || []});"
    )
    return dict(json.loads(driver.execute_script(script, f"#{graph_id}")))


def test_app_monitoring_model_page_shows_the_stored_figures(
    browser: Any, app_url: str, history: History
) -> None:
    engine = history.engine
    sign_in(browser, app_url, "sup1")
    browser.get(app_url + "/model")
    wait_for(browser, "#mp-drift-features .drift-row")
    # the drift trend: score PSI per date, with the warning and alert lines
    checks = _query(
        engine,
        "SELECT as_of, score_psi, score_ks_statistic, level FROM drift_checks "
        "WHERE model_version = :v ORDER BY as_of",
        v=history.champion,
    )
    plot = _plot(browser, "mp-drift-trend")
    assert plot["data"][0]["y"] == pytest.approx([row[1] for row in checks])
    assert [s["y0"] for s in plot["shapes"]] == [0.1, 0.25]
    latest = browser.find_element(By.ID, "mp-drift-latest").text
    assert latest == (
        f"{checks[-1][0]} · model {history.champion} · score PSI {checks[-1][1]:.3f}"
        f" · KS {checks[-1][2]:.3f} · {checks[-1][3]}"
    )
    features = _query(
        engine,
        "SELECT feature, psi, missing_share, level, calendar FROM feature_drift "
        "WHERE as_of = :d AND model_version = :v ORDER BY psi DESC",
        d=checks[-1][0],
        v=history.champion,
    )
    counted = [f for f in features if not f[4]]
    assert _cells(browser, "#mp-drift-features .drift-row") == [
        [f[0], f"{f[1]:.3f}", pct(f[2]), f[3]] for f in counted
    ]
    assert counted[0][0] == "salary_amount_change" and counted[0][3] == "alert"
    calendar = _cells(browser, ".calendar-row")
    assert calendar == [[f[0], f"{f[1]:.3f}", pct(f[2]), f[3]] for f in features if f[4]]
    assert calendar[0][0] == "salary_days_since_last"
    # realised performance on the matured date, estimates with intervals for the others
    performance = _query(
        engine,
        "SELECT as_of, kind, labelled_rows, auc, ks, predicted_rate, observed_rate, auc_low,"
        " auc_high, predicted_rate_low, predicted_rate_high, by_tier FROM performance_by_date"
        " WHERE model_version = :v ORDER BY as_of",
        v=history.champion,
    )
    realised = [r for r in performance if r[1] == "realised"]
    assert [str(r[0]) for r in realised] == [str(history.dates[0])]
    assert _cells(browser, "#mp-realised .realised-row") == [
        [str(r[0]), f"{r[2]:,}", f"{r[3]:.3f}", f"{r[4]:.3f}", pct(r[5]), pct(r[6])]
        for r in realised
    ]
    pending = [r for r in performance if r[1] == "estimated" and r[0] != realised[0][0]]
    assert len(pending) == len(history.dates) - 1
    assert _cells(browser, "#mp-estimates .estimate-row") == [
        [
            str(r[0]),
            f"{r[3]:.3f}",
            f"{r[7]:.3f}–{r[8]:.3f}",
            pct(r[5]),
            f"{pct(r[9])}–{pct(r[10])}",
        ]
        for r in pending
    ]
    tiers = realised[0][11]
    tiers = json.loads(tiers) if isinstance(tiers, str) else tiers
    assert _cells(browser, "#mp-calibration .calibration-row") == [
        [t["tier"], f"{t['rows']:,}", pct(t["predicted_rate"]), pct(t["observed_rate"])]
        for t in tiers
    ]
    quality = _plot(browser, "mp-perf-trend")
    auc = next(trace for trace in quality["data"] if trace.get("name") == "AUC")
    assert auc["y"] == pytest.approx([r[3] for r in realised])
    # the shadow challenger against the champion, from the stored scores
    from pde.jobs.shadow import shadow_comparison

    found = shadow_comparison(engine=engine)
    assert found is not None and found.challenger == CHALLENGER
    terms = browser.find_elements(By.CSS_SELECTOR, "#mp-shadow dt")
    values = browser.find_elements(By.CSS_SELECTOR, "#mp-shadow dd")
    shown = {t.text: v.text for t, v in zip(terms, values, strict=True)}
    both = _query(
        engine,
        "SELECT sum(CASE WHEN c.alert THEN 1 ELSE 0 END), sum(CASE WHEN r.alert THEN 1 ELSE 0"
        " END), sum(CASE WHEN c.alert AND r.alert THEN 1 ELSE 0 END) FROM challenger_scores c"
        " JOIN risk_scores r ON r.customer_id = c.customer_id AND r.as_of = c.as_of"
        " AND r.model_version = c.champion_version WHERE c.as_of = :d",
        d=history.dates[-1],
    )[0]
    assert shown["Alerts"] == f"{both[0]:,} against {both[1]:,} on {history.dates[-1]}"
    assert shown["In both"].startswith(f"{both[2]:,}")
    assert shown["Challenger"] == CHALLENGER and shown["Champion"] == history.champion
    matured = _query(engine, "SELECT count(*) FROM matured_outcomes")[0][0]
    assert shown["Matured rows"] == f"{matured:,}"
    assert shown["AUC challenger"] == f"{found.matured_auc[0]:.4f}"
    assert shown["AUC champion"] == f"{found.matured_auc[1]:.4f}"
    assert shown["Score PSI"] == f"{found.score_psi:.3f}"
    screenshot(browser, ARTIFACTS, "model-monitoring")

    browser.get(app_url + "/monitor")
    banner = wait_for(browser, "#mo-drift")
    top = ", ".join(f"{f[0]} ({f[1]:.2f})" for f in counted[:3])
    assert banner.text.startswith(f"Drift alert on {checks[-1][0]} (model {history.champion})")
    assert f"most drifted: {top}" in banner.text
    assert "salary_days_since_last" not in banner.text  # calendar: never raises the alarm


def test_app_monitoring_is_hidden_from_officers(
    browser: Any, app_url: str, history: History
) -> None:
    sign_in(browser, app_url, "off1")
    browser.get(app_url + "/model")
    wait_for(browser, "#mp-monitoring", text="supervisors and administrators")
    assert not browser.find_elements(By.CSS_SELECTOR, ".drift-row, #mp-shadow")
    browser.get(app_url + "/monitor")
    wait_for(browser, "#mo-body .card")
    assert not browser.find_elements(By.ID, "mo-drift")
