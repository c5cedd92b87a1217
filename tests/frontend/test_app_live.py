"""The app with a real scoring server and a real (small) bundle: model page, promotion, Explain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from selenium.webdriver.common.by import By

from frontend.services import Services
from tests.frontend.browser import click, screenshot, sign_in, wait_for
from tests.frontend.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _table(rows: int = 2500) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(rows, 6))
    y = (rng.random(rows) < 1 / (1 + np.exp(-(1.5 * x[:, 0] - x[:, 1] - 1.5)))).astype(np.int32)
    return pl.DataFrame(
        {"id": [f"r{i}" for i in range(rows)], **{f"f{i}": x[:, i] for i in range(6)}, "y": y}
    )


@pytest.fixture(scope="module")
def live_scoring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    """A quick bundle trained by the real pipeline, served by the real gRPC server."""
    from server.transport.app import ScoringServer, ServerOptions
    from training.bundle import current_bundle_dir
    from training.models import TrainConfig, frame_from_table, train_frame

    model_dir = tmp_path_factory.mktemp("live-models")
    frame = frame_from_table(_table(), label="y", id_column="id")
    train_frame(frame, config=TrainConfig.quick_run(threads=1), model_dir=model_dir)
    version = current_bundle_dir(model_dir).name
    server = ScoringServer(
        ServerOptions(
            address="127.0.0.1:0", model_dir=model_dir, drain_seconds=0.0, grace_seconds=2.0
        )
    )
    port = server.start()
    server.load()
    yield f"127.0.0.1:{port}", model_dir, version
    server.stop(grace=1)


@pytest.fixture
def live_app(dash_app: Any, live_scoring: tuple[str, Path, str]) -> Iterator[str]:
    """The shared app pointed at the live scoring server and bundle for one test."""
    from frontend.app import _risk_client_factory

    address, model_dir, version = live_scoring
    with dash_app.server.app_context():
        services: Services = dash_app.server.extensions["pde_services"]
    saved = (services.settings, services.client_factory, services._client)
    services.settings = saved[0].model_copy(
        update={"grpc_address": address, "model_dir": model_dir}
    )
    services.client_factory = _risk_client_factory(services.settings)
    services._client = None
    services.status(fresh=True)
    yield version
    services.settings, services.client_factory, services._client = saved
    services.status(fresh=True)


def test_app_live_model_page_promotion_and_explain(
    browser: Any, app_url: str, live_app: str
) -> None:
    version = live_app
    sign_in(browser, app_url, "admin")
    browser.get(app_url + "/model")
    wait_for(browser, "#mp-body .js-plotly-plot")
    body = browser.find_element(By.ID, "mp-body").text
    assert version in body and "AUC" in body
    # The scoring service is up: no scoring banner.
    assert "scoring service" not in browser.find_element(By.ID, "status-banner").text
    screenshot(browser, ARTIFACTS, "model-performance-live")

    browser.get(app_url + "/admin/data")
    wait_for(browser, "#dm-users table")
    browser.find_element(By.CSS_SELECTOR, f"#dm-bundle option[value='{version}']").click()
    click(browser, "#dm-promote")
    promoted = wait_for(browser, "#dm-result .alert")
    assert f"{version} is the champion" in promoted.text
    assert f"now serves {version}" in promoted.text

    browser.get(app_url + "/customer")
    wait_for(browser, "#dd-customer")
    click(browser, "#dd-explain-btn")
    # This bundle was trained on a plain table, and the test has no canonical data: the app
    # says why Explain cannot run, in the page, instead of failing.
    answer = wait_for(browser, "#dd-explain .unavailable")
    assert "Explain failed" in answer.text
