"""Fixtures of the app tests: a small seeded SQLite portfolio, the app on a local port, and a
headless Chromium (Debian's chromium + chromium-driver, installed by `python3 dev.py test`)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from pde.core.settings import Settings
from pde.db.engine import make_engine
from pde.frontend.seed import USERS, seed_portfolio
from pde.frontend.services import Services
from pde.frontend.services.access import SignedIn

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1600,1000",
)
CUSTOMERS = 300
TEST_SECRET = "a test secret key of more than thirty-two characters"


def pytest_configure(config: pytest.Config) -> None:
    # selenium 4.2 calls urllib3 APIs deprecated since; nothing the app can act on.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:selenium.*")
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:requests.*")


@pytest.fixture(scope="session")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Engine]:
    """A migrated SQLite database with 300 scored customers, users and some interventions."""
    path = tmp_path_factory.mktemp("frontend") / "pde.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    seed_portfolio(engine, customers=CUSTOMERS, days=3, interventions=30)
    return url, engine


@pytest.fixture(scope="session")
def app_settings(
    portfolio: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    models = tmp_path_factory.mktemp("models")
    # Nothing listens on port 9: the scoring service is "down", as the tests expect.
    return Settings(
        database_url=portfolio[0],
        model_dir=models,
        grpc_address="127.0.0.1:9",
        secret_key=SecretStr(TEST_SECRET),
    )


@pytest.fixture(scope="session")
def services(app_settings: Settings, portfolio: tuple[str, Engine]) -> Services:
    """The services layer over the seeded portfolio, without a scoring client."""
    return Services(settings=app_settings, engine=portfolio[1])


def signed_in(username: str) -> SignedIn:
    """A seeded user as the app's sign-in records them."""
    user = next(u for u in USERS if u.username == username)
    return SignedIn(user.username, user.full_name, user.role)


@pytest.fixture(scope="session")
def dash_app(app_settings: Settings, portfolio: tuple[str, Engine]) -> Any:
    from pde.frontend.app import create_app

    return create_app(app_settings, engine=portfolio[1], session_minutes=30)


@pytest.fixture(scope="session")
def app_url(dash_app: Any) -> Iterator[str]:
    """The app served by a threaded WSGI server on a free local port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, dash_app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        reason = (
            "chromium and chromium-driver are not installed (python3 dev.py test installs them)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.binary_location = chromium
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()
