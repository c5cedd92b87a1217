"""Request counters and latency histograms of the server, kept in memory and logged.

Thread-safe; `snapshot()` returns plain data (per method: calls by status code, rows, latency
bucket counts, total and estimated p50 / p99 in milliseconds). `pde.server.prometheus` exports
the same figures to Prometheus when it scrapes.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Upper bounds of the latency buckets, in milliseconds; the last bucket is open.
BUCKETS_MS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0)


@dataclass
class _Method:
    codes: Counter[str] = field(default_factory=Counter)
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS_MS) + 1))
    rows: int = 0
    total_ms: float = 0.0

    def quantile(self, q: float) -> float | None:
        count = sum(self.buckets)
        if not count:
            return None
        rank = q * count
        seen = 0
        for index, n in enumerate(self.buckets):
            seen += n
            if seen >= rank:
                return BUCKETS_MS[index] if index < len(BUCKETS_MS) else float("inf")
        return float("inf")


class Metrics:
    """Counts calls per method and status code, rows scored, and call latencies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._methods: dict[str, _Method] = {}

    def record(self, method: str, *, code: str, seconds: float, rows: int = 0) -> None:
        ms = seconds * 1000.0
        with self._lock:
            entry = self._methods.get(method)
            if entry is None:  # not setdefault: that would build a _Method on every call
                entry = self._methods[method] = _Method()
            entry.codes[code] += 1
            entry.buckets[bisect.bisect_left(BUCKETS_MS, ms)] += 1
            entry.rows += rows
            entry.total_ms += ms

    def snapshot(self) -> dict[str, Any]:
        """Per method: calls by code, rows, mean and bucket-estimated p50 / p99 (ms)."""
        with self._lock:
            out: dict[str, Any] = {}
            for name, entry in self._methods.items():
                calls = sum(entry.codes.values())
                out[name] = {
                    "calls": dict(entry.codes),
                    "rows": entry.rows,
                    "mean_ms": entry.total_ms / calls if calls else 0.0,
                    "total_ms": entry.total_ms,
                    "p50_ms_le": entry.quantile(0.5),
                    "p99_ms_le": entry.quantile(0.99),
                    "buckets_ms": dict(
                        zip([*map(str, BUCKETS_MS), "inf"], entry.buckets, strict=True)
                    ),
                }
            return out
