"""Helpers shared by the benchmarks: repeated timing, medians and peak memory."""

from __future__ import annotations

import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def time_repeated(func: Callable[[], T], *, repeat: int) -> tuple[Timing, T]:
    """Runs func `repeat` times; returns the timings and the last result."""
    seconds = []
    result: T
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        seconds.append(time.perf_counter() - start)
    return Timing(seconds), result


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024


def peak_rss_children_mb() -> float:
    """Peak resident memory of the largest finished child process, in MiB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_json_worker(code: str, *args: str) -> dict[str, object]:
    """Runs `code` in a fresh Python process (so its peak memory is its own) and returns the
    JSON object it prints on its last line of output."""
    import json
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker failed:\n{done.stderr.strip()}")
    figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures
