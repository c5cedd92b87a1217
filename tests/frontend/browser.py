"""Small helpers to drive the app in Chromium: sign in/out, wait for text, screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from pde.frontend.seed import DEFAULT_PASSWORD

WAIT_S = 20


def wait_for(driver: Any, css: str, *, text: str | None = None, timeout: float = WAIT_S) -> Any:
    """The first element matching `css` (containing `text`, when given), once it is visible."""
    locator = (By.CSS_SELECTOR, css)
    if text is None:
        return WebDriverWait(driver, timeout).until(ec.visibility_of_element_located(locator))
    WebDriverWait(driver, timeout).until(ec.text_to_be_present_in_element(locator, text))
    return driver.find_element(*locator)


def sign_in(
    driver: Any, base: str, username: str, password: str = DEFAULT_PASSWORD, *, ok: bool = True
) -> None:
    """Signs in through the form; waits for the app (or, when `ok` is False, the error)."""
    driver.delete_all_cookies()
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "sign-in").click()
    wait_for(driver, "#nav-action_center" if ok else "#login-error")


def sign_out(driver: Any) -> None:
    click(driver, "#sign-out")
    wait_for(driver, "#sign-in")


def click(driver: Any, css: str, *, timeout: float = WAIT_S) -> None:
    """Clicks `css` once it is enabled (buttons are enabled by callbacks)."""
    element = WebDriverWait(driver, timeout).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, css))
    )
    # A DOM click: charts still laying out may move the button under a pointer click.
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element
    )


def screenshot(driver: Any, directory: Path, name: str) -> Path:
    path = directory / f"frontend-{name}.png"
    driver.save_screenshot(str(path))
    return path


def severe_console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def table_cells(driver: Any, rows_css: str) -> list[tuple[Any, dict[str, str]]]:
    """Each row of a Dash table matching `rows_css` with {column id: shown text}."""
    found = []
    for row in driver.find_elements(By.CSS_SELECTOR, rows_css):
        cells = {
            str(cell.get_attribute("data-dash-column")): cell.text
            for cell in row.find_elements(By.CSS_SELECTOR, "td[data-dash-column]")
        }
        if cells:
            found.append((row, cells))
    return found
