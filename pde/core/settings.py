"""Settings of a `pde` process, read once from `PDE_*` environment variables."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pde.core.addresses import check_address

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
PLACEHOLDER_SECRET = "dev-only-change-me"
MIN_SECRET_LENGTH = 32
# Operating cost of one action, in currency (the same figures the app's catalogue shows).
DEFAULT_ACTION_COSTS: dict[str, float] = {
    "soft_reminder": 2.0,
    "agent_call": 15.0,
    "payment_plan": 60.0,
    "restructuring": 250.0,
    "payment_holiday": 90.0,
    "financial_counselling": 120.0,
}


class SettingsError(ValueError):
    """A `PDE_*` variable has a value the engine cannot use."""


class Settings(BaseSettings):
    """Configuration of the engine; every field is read from `PDE_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="PDE_", extra="ignore", frozen=True)

    data_dir: Path = Field(Path("./var/data"), description="Canonical data directory.")
    model_dir: Path = Field(
        Path("./var/models"), description="Model bundles; `current` points to the one served."
    )
    database_url: str = Field(
        "sqlite:///./var/pde.db", description="SQLAlchemy URL of the operational database."
    )
    grpc_address: str = Field(
        "127.0.0.1:50051",
        description="host:port the scoring server binds and clients dial; clients also take "
        "several replicas (a,b) or one DNS name of them all, balanced round robin.",
    )
    grpc_token: SecretStr | None = Field(
        None, description="Bearer token required by the scoring server; unset means no auth."
    )
    grpc_tls_cert: Path | None = Field(None, description="PEM certificate; enables TLS.")
    grpc_tls_key: Path | None = Field(None, description="PEM private key for the certificate.")
    grpc_workers: int = Field(2, ge=1, le=64, description="Scoring threads of the server.")
    grpc_score_threads: int = Field(
        2,
        ge=1,
        le=64,
        description="Threads answering Score calls (the other calls have handler threads of"
        " their own). Few: each call holds the GIL briefly, more threads queue for it.",
    )
    metrics_host: str = Field(
        "127.0.0.1",
        description="Interface of the Prometheus metrics endpoints (server and jobs worker);"
        " 0.0.0.0 in a container that Prometheus scrapes from outside.",
    )
    metrics_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="HTTP port of the scoring server's Prometheus metrics (/metrics); 0 = off."
        " With `pde serve --processes N`, process i serves on PDE_METRICS_PORT + i.",
    )
    worker_metrics_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="HTTP port of the jobs worker's Prometheus metrics (/metrics); 0 = off.",
    )
    grpc_max_message_mb: int = Field(
        64, ge=1, le=1024, description="Largest gRPC message accepted or sent, in MiB."
    )
    challenger_version: str | None = Field(
        None,
        max_length=64,
        description="A bundle version under the model dir that the server scores in the "
        "champion's shadow on ScoreStream (stored apart by score-portfolio); unset: none.",
    )
    frontend_host: str = Field("127.0.0.1", description="Interface the Dash app binds.")
    frontend_port: int = Field(8050, ge=1, le=65535, description="Port of the Dash app.")
    env: Literal["development", "production"] = Field(
        "production",
        description="development allows the placeholder secret key; anything else refuses it.",
    )
    secret_key: SecretStr = Field(
        SecretStr(PLACEHOLDER_SECRET),
        description="Keys the app's session ids and sign-in form tokens; a random value of at"
        " least 32 characters (the app refuses the placeholder outside development).",
    )
    cookie_secure: bool | None = Field(
        None,
        description="Secure cookies (and HSTS): true always, false never, unset when the"
        " request came over HTTPS.",
    )
    trusted_proxies: int = Field(
        0,
        ge=0,
        le=5,
        description="Reverse proxies in front of the app whose X-Forwarded-For/-Proto are"
        " believed (the client address and HTTPS).",
    )
    login_attempts: int = Field(
        5, ge=1, le=100, description="Wrong passwords for one username before a lockout."
    )
    login_attempts_per_address: int = Field(
        20, ge=1, le=1000, description="Wrong passwords from one client address before a lockout."
    )
    login_lockout_minutes: int = Field(
        15, ge=1, le=24 * 60, description="Minutes a locked username or address must wait."
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    cool_down_days: int = Field(
        7, ge=0, le=365, description="Days before the same intervention type may be repeated."
    )
    sla_hours_critical: int = Field(8, ge=1, description="Time to act on a critical case.")
    sla_hours_high: int = Field(24, ge=1, description="Time to act on a high-priority case.")
    sla_hours_medium: int = Field(72, ge=1, description="Time to act on a medium case.")
    sla_hours_low: int = Field(168, ge=1, description="Time to act on a low-priority case.")
    session_minutes: int = Field(
        30, ge=1, le=24 * 60, description="Idle minutes before an app session expires."
    )
    redis_url: str | None = Field(
        None,
        description="Redis the app's worker processes share their portfolio figures through"
        " (redis://host:port/db); unset keeps them in each process.",
    )
    currency: str = Field(
        "€",
        min_length=1,
        max_length=4,
        description="Currency sign or code the app shows amounts in.",
    )

    # The alert policy (pde.decision): the team's capacity and the economics of an action.
    officers: int = Field(7, ge=1, le=10_000, description="Collections officers on alerts.")
    contacts_per_officer: int = Field(
        100, ge=1, le=10_000, description="Customers one officer can work in a week."
    )
    loss_given_default: float = Field(
        0.5, gt=0.0, le=1.0, description="Share of the exposure lost when a customer defaults."
    )
    exposure_source: Literal["fixed", "outstanding_balance", "credit_limit"] = Field(
        "fixed",
        description="A customer's exposure: PDE_EXPOSURE_AMOUNT for everyone (fixed), or the "
        "customer's outstanding_balance or credit_limit (the amount where it is unknown).",
    )
    exposure_amount: float = Field(
        10_000.0, gt=0.0, description="Exposure at default, in currency (see exposure_source)."
    )
    income_rate: float = Field(
        0.18,
        ge=0.0,
        le=1.0,
        description="Yearly income (interest and fees) as a share of the outstanding balance:"
        " a customer's expected income is (1 - risk) x balance x this rate.",
    )
    intervention_cost: float = Field(
        100.0, gt=0.0, description="Cost of one intervention (an officer's contact), currency."
    )
    action_effect: float = Field(
        0.25,
        gt=0.0,
        le=1.0,
        description="Share of would-be defaults the best action averts: a prior, until "
        "uplift models measure it.",
    )

    protected_features: tuple[str, ...] = Field(
        (),
        description="Features never shown as reasons, beyond those the bundle's catalogue "
        "marks protected (age); a JSON list, e.g. '[\"region_rank\"]'.",
    )

    # Model monitoring (docs/monitoring.md): drift thresholds and the promotion gate.
    psi_warn: float = Field(
        0.1, gt=0.0, description="PSI from which a feature or the score's drift warns."
    )
    psi_alert: float = Field(
        0.25, gt=0.0, description="PSI from which a feature or the score's drift alerts."
    )
    promotion_auc_tolerance: float = Field(
        0.01,
        ge=0.0,
        le=0.5,
        description="How much lower a challenger's AUC may be than the champion's (held-out, "
        "and realised on the same matured rows) before promotion is refused unless forced.",
    )
    promotion_rescore_weeks: int = Field(
        4,
        ge=0,
        le=52,
        description="Weekly dates re-scored with a newly promoted model (the newest scored "
        "dates), so trends and changes compare scores of one model; 0 re-scores none.",
    )
    app_runs_jobs: bool = Field(
        True,
        description="The app runs queued jobs in a thread of its own (one machine); false where "
        "`pde jobs worker` processes run them (the app only queues).",
    )
    job_stale_seconds: int = Field(
        120,
        ge=10,
        description="A running job whose worker has not reported for this long is failed.",
    )

    # The recommender (pde.decision.recommend): actions, contact pressure, the holdout.
    action_costs: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_ACTION_COSTS),
        description="Cost of each action in currency, as JSON, e.g. "
        '{"soft_reminder": 2, "agent_call": 15}; actions left out keep their default.',
    )
    max_contacts_per_30_days: int = Field(
        2, ge=1, le=30, description="Contacts a customer may receive in any 30 days."
    )
    holdout_share: float = Field(
        0.05,
        ge=0.0,
        le=0.5,
        description="Share of the customers the policy would contact that it holds out (no "
        "contact, chosen by customer id and week) so that effects stay measurable.",
    )
    protected_attributes: list[str] = Field(
        default_factory=list,
        description="Customer columns a bank declares protected (JSON list); the fairness "
        "report covers them beside age bands. Never inputs of the recommender.",
    )
    fairness_ratio: float = Field(
        0.8,
        gt=0.0,
        le=1.0,
        description="A group's rate below this ratio of the highest group's is flagged "
        "(0.8: the four-fifths rule).",
    )

    @field_validator("action_costs")
    @classmethod
    def _known_actions(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(DEFAULT_ACTION_COSTS))
        if unknown:
            raise ValueError(f"unknown actions {unknown}; known: {', '.join(DEFAULT_ACTION_COSTS)}")
        if any(cost < 0 for cost in value.values()):
            raise ValueError("costs must not be negative")
        return {**DEFAULT_ACTION_COSTS, **value}

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("grpc_address")
    @classmethod
    def _host_port(cls, value: str) -> str:
        return check_address(value)

    @model_validator(mode="after")
    def _psi_order(self) -> Settings:
        if self.psi_alert <= self.psi_warn:
            raise ValueError("PDE_PSI_ALERT must be above PDE_PSI_WARN")
        return self

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    def app_secret(self) -> str:
        """The secret key for the app; SettingsError when it is the placeholder or too short
        outside development (a published key would let anyone forge a session)."""
        value = self.secret_key.get_secret_value()
        if self.is_development:
            return value
        if value == PLACEHOLDER_SECRET:
            raise SettingsError(
                "PDE_SECRET_KEY is the published placeholder: set a random value (for example"
                " `python -c 'import secrets; print(secrets.token_urlsafe(48))'`), or"
                " PDE_ENV=development on a developer's machine"
            )
        if len(value) < MIN_SECRET_LENGTH:
            raise SettingsError(f"PDE_SECRET_KEY must have at least {MIN_SECRET_LENGTH} characters")
        return value

    @property
    def log_level_number(self) -> int:
        return logging.getLevelName(self.log_level)  # type: ignore[no-any-return]


def load_settings() -> Settings:
    """Reads the environment; a bad value raises SettingsError naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            problems.append(f"PDE_{field.upper()}: {error['msg']}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read on first use and cached."""
    return load_settings()
