"""Data Management's promotion in a real headless Chromium: the gate refuses a weaker bundle,
forcing it past the gate needs a reason (a form error without one, nothing changed), and
with one the promotion is made and audited with the reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from sqlalchemy.engine import Engine

from pde.frontend.services import Services
from tests.frontend.browser import click, screenshot, sign_in, wait_for
from tests.frontend.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def two_bundles(
    dash_app: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str]]:
    """The app's model dir swapped for one with v1 (current) and v2, a copy whose held-out
    AUC is lower: the gate refuses v2 unless forced."""
    import importlib.util
    import sys

    from pde.contracts.bundle import MANIFEST, set_current

    key = "pde_test_bundles"
    if key not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "server" / "bundles.py"
        spec = importlib.util.spec_from_file_location(key, path)
        assert spec and spec.loader
        sys.modules[key] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[key])
    tools = sys.modules[key]
    root = tmp_path_factory.mktemp("force")
    built = tools.build(root / "built")
    for version in ("v1", "v2"):
        tools.copy_as(built, root / "models", version)
    set_current(root / "models", "v1")
    weak = root / "models" / "v2" / MANIFEST
    manifest = json.loads(weak.read_text())
    manifest["metrics"]["ensemble"]["auc"] -= 0.05
    weak.write_text(json.dumps(manifest))
    with dash_app.server.app_context():
        services: Services = dash_app.server.extensions["pde_services"]
    saved = services.settings
    services.settings = saved.model_copy(update={"model_dir": root / "models"})
    yield root / "models", "v2"
    services.settings = saved


def test_app_promote_forcing_past_the_gate_needs_a_reason(
    browser: Any,
    app_url: str,
    two_bundles: tuple[Path, str],
    portfolio: tuple[str, Engine],
) -> None:
    from pde.contracts.bundle import current_bundle_dir

    model_dir, weak = two_bundles
    engine = portfolio[1]
    sign_in(browser, app_url, "admin")
    browser.get(app_url + "/admin/data")
    wait_for(browser, "#dm-users table")
    browser.find_element(By.CSS_SELECTOR, f"#dm-bundle option[value='{weak}']").click()
    click(browser, "#dm-promote")
    refused = wait_for(browser, "#dm-result .alert", text="worse than the champion")
    assert "held_out_auc" in refused.text
    click(browser, "#dm-force")
    click(browser, "#dm-promote")
    wait_for(browser, "#dm-result .alert", text="Give a reason")
    wait_for(browser, "#dm-force-reason.is-invalid")
    assert current_bundle_dir(model_dir).name == "v1"
    browser.find_element(By.ID, "dm-force-reason").send_keys("browser audit test")
    click(browser, "#dm-promote")
    wait_for(browser, "#dm-result .alert", text=f"{weak} is the champion")
    assert not browser.find_elements(By.CSS_SELECTOR, "#dm-force-reason.is-invalid")
    assert current_bundle_dir(model_dir).name == weak
    with engine.connect() as connection:
        audit = connection.execute(
            sa.text(
                "SELECT actor, after FROM action_audit_log"
                " WHERE action = 'model_version.promote_forced' AND entity_id = :v"
            ),
            {"v": weak},
        ).all()
    assert len(audit) == 1 and audit[0][0] == "admin"
    assert "browser audit test" in str(audit[0][1])
    screenshot(browser, ARTIFACTS, "promote-forced")
