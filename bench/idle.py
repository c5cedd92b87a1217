"""What a one-row score costs in process after its core has idled, beside back to back.

One client's unary calls leave the server idle for a round trip between calls. Where an
idle core loses its caches (a virtual machine whose idle vCPU halts and whose host runs
other work on it), the next call runs cold: `pde bench grpc` prints this beside the floors,
so that a latency figure can be told apart from the machine's wake-up cost.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AfterGaps:
    """Median microseconds of one call: back to back, after a busy gap, after an idle gap."""

    back_to_back_us: float
    busy_us: float
    idle_us: float


def _median_us(call: Callable[[Any], object], rows: Any, gap: Callable[[], None]) -> float:
    spent = []
    for index in range(len(rows)):
        gap()
        started = time.perf_counter()
        call(rows[index : index + 1])
        spent.append(time.perf_counter() - started)
    return statistics.median(spent) * 1e6


def after_gaps(call: Callable[[Any], object], rows: Any, *, gap_seconds: float) -> AfterGaps:
    """Times `call` on each row (a [1, features] slice) three ways; the gap is spent
    spinning (the core stays busy) or sleeping (the core may idle)."""

    def spin() -> None:
        until = time.perf_counter() + gap_seconds
        while time.perf_counter() < until:
            pass

    def nothing() -> None:
        return None

    _median_us(call, rows, nothing)  # warm up
    return AfterGaps(
        back_to_back_us=_median_us(call, rows, nothing),
        busy_us=_median_us(call, rows, spin),
        idle_us=_median_us(call, rows, lambda: time.sleep(gap_seconds)),
    )
