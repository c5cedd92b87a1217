"""The `Services` object of one app process: engine, scoring client, status and background jobs."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from pde.core.errors import PdeError
from pde.core.settings import Settings
from pde.db.engine import session_scope
from pde.db.policy import WorkflowPolicy, policy_from_settings
from pde.frontend.services.cache import Cache, make_cache

if TYPE_CHECKING:
    from pde.client.sync import RiskClient
    from pde.frontend.services.jobs import JobRunner

log = logging.getLogger(__name__)

EXTENSION = "pde_services"
STATUS_TTL_S = 5.0
HEALTH_TIMEOUT_S = 0.7


class ServiceUnavailableError(PdeError):
    """The database or the scoring service cannot be reached; the page shows a banner."""


@dataclass(frozen=True)
class Status:
    database_ok: bool
    database_error: str | None
    scoring_ok: bool
    scoring_error: str | None


@dataclass
class Services:
    """Everything a page needs, built once per app by `create_app`."""

    settings: Settings
    engine: Engine
    client_factory: Callable[[], RiskClient] | None = None
    jobs: JobRunner | None = None
    policy: WorkflowPolicy = field(default_factory=WorkflowPolicy)
    _client: RiskClient | None = field(default=None, repr=False)
    _status: tuple[float, Status] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _checking: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _cache: Cache | None = field(default=None, repr=False)

    warmed: threading.Event = field(default_factory=threading.Event, repr=False)

    def __post_init__(self) -> None:
        self.policy = policy_from_settings(self.settings)

    def start_warm_up(self, *steps: Callable[[Services], None]) -> None:
        """Runs the steps in a background thread (pre-computing cached figures); `warmed` is
        set when they are done."""

        def run() -> None:
            try:
                for step in steps:
                    step(self)
            finally:
                self.warmed.set()

        threading.Thread(target=run, daemon=True, name="pde-warm-up").start()

    def cached(self, key: Any, compute: Callable[[], Any], *, ttl: float) -> Any:
        """`compute()`, remembered for `ttl` seconds under `key` (for portfolio aggregates that
        change only when a scoring run lands; the key includes the snapshot), in this process
        or, with PDE_REDIS_URL, shared by the app's processes (see `cache`)."""
        if self._cache is None:
            with self._lock:
                if self._cache is None:
                    self._cache = make_cache(
                        self.settings.redis_url, namespace=str(self.engine.url)
                    )
        return self._cache.get_or_compute(key, compute, ttl=ttl)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work; an unreachable database becomes ServiceUnavailableError."""
        with database_errors(), session_scope(engine=self.engine) as session:
            yield session

    def client(self) -> RiskClient:
        with self._lock:
            if self._client is None:
                if self.client_factory is None:
                    raise ServiceUnavailableError("no scoring service is configured")
                self._client = self.client_factory()
            return self._client

    def status(self, *, fresh: bool = False) -> Status:
        """Database and scoring reachability. Pages call this often: after the first check,
        a stale answer is returned at once while a background thread refreshes it, so a
        slow or unreachable server never delays a page."""
        cached = self._status
        if cached is None or fresh:
            return self._refresh_status()
        if time.monotonic() - cached[0] >= STATUS_TTL_S and self._checking.acquire(blocking=False):
            threading.Thread(target=self._background_check, daemon=True).start()
        return cached[1]

    def _background_check(self) -> None:
        try:
            self._refresh_status()
        finally:
            self._checking.release()

    def _refresh_status(self) -> Status:
        started = time.monotonic()
        db_ok, db_error = self._check_database()
        scoring_ok, scoring_error = self._check_scoring()
        status = Status(db_ok, db_error, scoring_ok, scoring_error)
        # A slow background check that began before a newer one (say, before the settings
        # changed) must not overwrite the newer answer when it finally returns.
        cached = self._status
        if cached is None or started >= cached[0]:
            self._status = (started, status)
        return status

    def _check_database(self) -> tuple[bool, str | None]:
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except Exception as exc:  # any driver error means "down" for the banner
            log.warning("database check failed: %s", exc)
            return False, "The database is unavailable: data may be missing and actions are off."
        return True, None

    def _check_scoring(self) -> tuple[bool, str | None]:
        address = self.settings.grpc_address
        try:
            state = self.client().health(timeout=HEALTH_TIMEOUT_S)
        except Exception as exc:  # unreachable, refused, misconfigured: all "down"
            log.info("scoring service check failed: %s", exc)
            return False, (
                f"The scoring service at {address} is unavailable: live scores and "
                "explanations are paused."
            )
        if state != "SERVING":
            return False, f"The scoring service at {address} is {state}: live scoring is paused."
        return True, None


@contextmanager
def database_errors() -> Iterator[None]:
    """An unreachable (or unmigrated) database inside the block becomes
    ServiceUnavailableError with a one-line message."""
    try:
        yield
    except (OperationalError, DBAPIError) as exc:
        log.warning("database error: %s", exc)
        raise ServiceUnavailableError(_database_problem(exc)) from exc


def _database_problem(exc: Exception) -> str:
    text = str(exc).lower()
    if "no such table" in text or "undefinedtable" in text or "does not exist" in text:
        return "the database has no tables yet: run `pde db upgrade` (and `pde db seed-demo`)"
    return "the database is unavailable; reads and actions are paused"


def current() -> Services:
    """The Services of the app serving this request."""
    import flask

    services: Services = flask.current_app.extensions[EXTENSION]
    return services
