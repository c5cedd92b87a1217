"""The nightly schedule inside a long-running worker (`pde jobs worker --nightly-at HH:MM`).

Where no cron runs (a container), the worker queues the nightly job itself once a day at
HH:MM UTC; Kubernetes uses a CronJob running `pde jobs enqueue nightly` instead (deploy/k8s).
Run one scheduling worker: each one queues its own nightly job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from pde.core.errors import PdeError

log = logging.getLogger(__name__)

SCHEDULE_ACTOR = "system:schedule"


def parse_time(value: str) -> time:
    """HH:MM as a time of day (UTC)."""
    hour, sep, minute = value.partition(":")
    if not (sep and hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise PdeError(f"{value!r}: expected HH:MM")
    return time(int(hour), int(minute), tzinfo=UTC)


def next_run(at: time, now: datetime) -> datetime:
    """The first moment at `at` strictly after `now`."""
    today = datetime.combine(now.astimezone(UTC).date(), at)
    return today if today > now else today + timedelta(days=1)


def run_schedule(
    stop: threading.Event,
    at: time,
    enqueue: Callable[[], object],
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    wait: Callable[[float], bool] | None = None,
) -> int:
    """Calls `enqueue` at every `at` until `stop` is set; returns how many times it did.
    `wait(seconds)` sleeps, returning True when stopped (default: `stop.wait`)."""
    wait = wait or stop.wait
    queued = 0
    due = next_run(at, now())
    while True:
        left = (due - now()).total_seconds()
        if left > 0:
            if wait(min(left, 60.0)):  # re-read the clock at least every minute
                return queued
            continue
        if stop.is_set():
            return queued
        try:
            enqueue()
            queued += 1
            log.info("nightly job queued (%s UTC)", at.strftime("%H:%M"))
        except Exception:
            log.exception("could not queue the nightly job; next try tomorrow")
        due = next_run(at, max(now(), due))
