"""The scoring server's Prometheus metrics: the in-memory `Metrics` and the served model, read
when Prometheus scrapes, on an HTTP port of their own (PDE_METRICS_PORT; 0 = off).

Nothing is counted twice and nothing is added to a call: the handlers already record every
call in `pde.server.metrics.Metrics` (for the logs); this collector turns a snapshot of it
into Prometheus families at scrape time. Exported (see docs/operations.md, "Metrics"):

- `pde_grpc_requests_total{method, code}`: calls by RPC method and gRPC status code;
- `pde_grpc_errors_total{method, code}`: the same, for every code but OK;
- `pde_grpc_request_duration_seconds{method}`: call latency histogram;
- `pde_rows_scored_total{method}`: rows scored (one per unary call, each row of a stream);
- `pde_model_info{version, catalogue_version}` = 1 for the served bundle, and
  `pde_model_loaded_timestamp_seconds`;
- `pde_model_reloads_total{result}`: reloads, `ok` or `refused`;
- `process_*`: the process's memory, CPU and open files (prometheus_client's own).

`pde serve --processes N` runs N processes, each with its own registry on its own port
(PDE_METRICS_PORT + i): Prometheus scrapes them as N targets and sums across them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from pde.server.metrics import BUCKETS_MS, Metrics

PREFIX = "pde"


class ModelSource(Protocol):
    """What the collector reads of the scorer."""

    def model_state(self) -> tuple[str, str, float] | None: ...

    def reload_counts(self) -> dict[str, int]: ...


class ServerCollector:
    """A prometheus_client collector over the server's Metrics and its scorer."""

    def __init__(self, metrics: Metrics, model: ModelSource) -> None:
        self._metrics = metrics
        self._model = model

    def describe(self) -> list[Any]:
        return []  # the families are known at scrape time only (methods seen so far)

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        requests = CounterMetricFamily(
            f"{PREFIX}_grpc_requests",
            "RPC calls by method and gRPC status code.",
            labels=["method", "code"],
        )
        errors = CounterMetricFamily(
            f"{PREFIX}_grpc_errors",
            "RPC calls that ended with a status other than OK.",
            labels=["method", "code"],
        )
        rows = CounterMetricFamily(
            f"{PREFIX}_rows_scored", "Rows scored or explained, by method.", labels=["method"]
        )
        latency = HistogramMetricFamily(
            f"{PREFIX}_grpc_request_duration_seconds",
            "RPC call latency in the server, by method.",
            labels=["method"],
        )
        bounds = [f"{ms / 1000:g}" for ms in BUCKETS_MS] + ["+Inf"]
        for method, entry in sorted(self._metrics.snapshot().items()):
            for code, count in sorted(entry["calls"].items()):
                requests.add_metric([method, code], count)
                if code != "OK":
                    errors.add_metric([method, code], count)
            rows.add_metric([method], entry["rows"])
            cumulative, buckets = 0, []
            for bound, count in zip(bounds, entry["buckets_ms"].values(), strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric([method], buckets, entry["total_ms"] / 1000)
        yield from (requests, errors, rows, latency)

        info = GaugeMetricFamily(
            f"{PREFIX}_model_info",
            "The served model bundle (value 1); absent before one is loaded.",
            labels=["version", "catalogue_version"],
        )
        loaded = GaugeMetricFamily(
            f"{PREFIX}_model_loaded_timestamp_seconds",
            "When the served bundle was loaded (Unix time).",
        )
        state = self._model.model_state()
        if state is not None:
            version, catalogue, at = state
            info.add_metric([version, catalogue], 1)
            loaded.add_metric([], at)
        reloads = CounterMetricFamily(
            f"{PREFIX}_model_reloads",
            "Hot reloads (ReloadModel, SIGHUP) by result: ok or refused.",
            labels=["result"],
        )
        for result, count in sorted(self._model.reload_counts().items()):
            reloads.add_metric([result], count)
        yield from (info, loaded, reloads)


def registry_for(metrics: Metrics, model: ModelSource) -> Any:
    """A registry of the server's metrics and its process's (memory, CPU, open files)."""
    from prometheus_client import CollectorRegistry, ProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServerCollector(metrics, model))  # type: ignore[arg-type]
    ProcessCollector(registry=registry)
    return registry
