from pathlib import Path

import pytest

from pde.core.settings import Settings, SettingsError, load_settings


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "PDE_DATA_DIR",
        "PDE_MODEL_DIR",
        "PDE_DATABASE_URL",
        "PDE_GRPC_ADDRESS",
        "PDE_GRPC_TOKEN",
        "PDE_LOG_LEVEL",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.data_dir == Path("var/data")
    assert settings.model_dir == Path("var/models")
    assert settings.database_url == "sqlite:///./var/pde.db"
    assert settings.grpc_address == "127.0.0.1:50051"
    assert settings.grpc_token is None
    assert settings.log_level == "INFO"


def test_settings_read_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PDE_GRPC_TOKEN", "s3cret")
    monkeypatch.setenv("PDE_LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.grpc_token is not None
    assert settings.grpc_token.get_secret_value() == "s3cret"
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [("PDE_LOG_LEVEL", "LOUD"), ("PDE_GRPC_ADDRESS", "nohostport"), ("PDE_FRONTEND_PORT", "x")],
)
def test_settings_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_settings_is_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.log_level = "DEBUG"  # type: ignore[misc]


@pytest.mark.parametrize(
    "address", ["10.0.0.5:50051,10.0.0.6:50051", "dns:///scoring:50051", "scoring:50051"]
)
def test_settings_grpc_address_takes_replicas(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    monkeypatch.setenv("PDE_GRPC_ADDRESS", address)
    assert load_settings().grpc_address == address


@pytest.mark.parametrize("address", ["scoring-1:50051,scoring-2:50051", "scoring", "a:0"])
def test_settings_grpc_address_refuses_what_grpc_cannot_dial(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    monkeypatch.setenv("PDE_GRPC_ADDRESS", address)
    with pytest.raises(SettingsError, match="PDE_GRPC_ADDRESS"):
        load_settings()
