"""The soak benchmark's windows and verdict, run briefly against a live server."""

from __future__ import annotations

import os
from typing import Any

import pytest

from pde.bench.serving import cpu_seconds, rss_mb
from pde.bench.soak import Window, run_soak, verdict


def test_soak_windows_give_rate_latency_and_memory(served: Any) -> None:
    windows = run_soak(
        f"127.0.0.1:{served.port}",
        seconds=3.0,
        windows=3,
        rate=200.0,
        callers=4,
        rss=lambda: rss_mb(os.getpid()),
        cpu=lambda: cpu_seconds(os.getpid()),
        warm_up=0.5,
    )
    assert len(windows) == 3
    # paced: never above the rate asked for; below it only when the machine is very busy
    assert sum(len(w.latencies_ms) for w in windows) > 0.25 * 200 * 3
    for window in windows:
        assert window.errors == 0
        assert 0 < window.rate < 1.25 * 200
        assert 0 < window.percentile(0.5) <= window.percentile(0.99) < 1000
        assert window.rss_mb > 50
        assert 0 < window.cpu_us_per_call < 1_000_000


def _window(p99_ms: float, rss: float, errors: int = 0) -> Window:
    return Window(started=0.0, seconds=1.0, latencies_ms=[p99_ms] * 100, errors=errors, rss_mb=rss)


@pytest.mark.parametrize(
    ("last", "ok"),
    [
        (_window(1.19, 104.9), True),
        (_window(0.81, 100.0), True),
        (_window(1.25, 100.0), False),  # p99 up 25 %
        (_window(0.75, 100.0), False),  # down 25 %: also a change to explain
        (_window(1.0, 105.5), False),  # memory up 5.5 %
        (_window(1.0, 100.0, errors=1), False),
    ],
)
def test_soak_verdict_bars(last: Window, ok: bool) -> None:
    result = verdict([_window(1.0, 100.0), _window(3.0, 300.0), last])
    assert result.ok is ok
    assert result.describe().startswith("ok" if ok else "FAILED")
