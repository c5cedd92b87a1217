"""`pde demo`'s secret: made once at random, owner-only, and development mode said explicitly."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pde.cli.cmd_demo import GRPC_TOKEN_FILE, SECRET_FILE, demo_environment, demo_secret
from pde.core.settings import Settings, get_settings


def test_cmd_demo_secret_is_random_kept_and_owner_only(tmp_path: Path) -> None:
    first = demo_secret(tmp_path / "var")
    path = tmp_path / "var" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and demo_secret(tmp_path / "var") == first
    assert demo_secret(tmp_path / "other") != first
    path.chmod(0o644)
    assert demo_secret(tmp_path / "var") == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_cmd_demo_runs_in_development_with_its_own_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PDE_SECRET_KEY", "PDE_ENV", "PDE_GRPC_TOKEN"):  # recorded, so undone after
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("PDE_DATA_DIR", str(tmp_path / "var" / "data"))
    get_settings.cache_clear()
    try:
        demo_environment(get_settings())
        settings = get_settings()
        assert os.environ["PDE_ENV"] == "development" and settings.is_development
        assert settings.app_secret() == (tmp_path / "var" / SECRET_FILE).read_text().strip()
        # the scoring server's token (promotion reloads need one), kept owner-only too
        token_file = tmp_path / "var" / GRPC_TOKEN_FILE
        assert settings.grpc_token is not None
        assert settings.grpc_token.get_secret_value() == token_file.read_text().strip()
        assert token_file.stat().st_mode & 0o777 == 0o600
        assert settings.grpc_token.get_secret_value() != settings.app_secret()
    finally:
        get_settings.cache_clear()
    assert Settings(env="production", secret_key=settings.secret_key).app_secret()
