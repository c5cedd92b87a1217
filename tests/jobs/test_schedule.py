"""The worker's nightly schedule: when it queues, and that it queues once per day."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from pde.core.errors import PdeError
from pde.jobs.schedule import next_run, parse_time, run_schedule


def test_schedule_next_run_is_today_or_tomorrow() -> None:
    at = parse_time("02:30")
    assert next_run(at, datetime(2026, 3, 1, 1, 0, tzinfo=UTC)) == datetime(
        2026, 3, 1, 2, 30, tzinfo=UTC
    )
    assert next_run(at, datetime(2026, 3, 1, 2, 30, tzinfo=UTC)) == datetime(
        2026, 3, 2, 2, 30, tzinfo=UTC
    )
    for bad in ("2:3x", "24:00", "12", "07:60"):
        with pytest.raises(PdeError, match="HH:MM"):
            parse_time(bad)


def test_schedule_queues_once_a_day_until_stopped() -> None:
    """A fake clock that moves as the schedule waits: one job a day at 02:30, then stop."""
    clock = [datetime(2026, 3, 1, 1, 0, tzinfo=UTC)]
    stop = threading.Event()
    queued: list[datetime] = []

    def wait(seconds: float) -> bool:
        clock[0] += timedelta(seconds=seconds)
        return stop.is_set()

    def enqueue() -> None:
        queued.append(clock[0])
        if len(queued) == 3:
            stop.set()

    assert run_schedule(stop, parse_time("02:30"), enqueue, now=lambda: clock[0], wait=wait) == 3
    assert queued == [datetime(2026, 3, day, 2, 30, tzinfo=UTC) for day in (1, 2, 3)]
