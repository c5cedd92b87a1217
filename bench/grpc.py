"""`pde bench grpc`: latency and throughput of the scoring server on loopback, against the floor.

Starts `pde serve` on the bundle and, beside it, two floors (`pde.bench.floor`): the floor, a
do-nothing RiskScoring server (a synchronous grpc.server with the handler threads of `pde
serve`) answering a constant reply, and the model floor, the same server on as many threads
as `pde serve` answers Score with, running the bundle's merged graph on each row and nothing
else. Each is a separate process (so clients and servers do not share a GIL); all three are
measured in one run, alternately: unary `Score` latency with one client and requests per
second with 8 concurrent callers (one asyncio client process sharing one channel, as an
internal async service would call it). Beside
them, in process: a one-row score back to back, after a busy gap and after an idle gap (what
waking an idle core costs on this machine, see `pde.bench.idle`). Then, of `pde serve` alone:
`ScoreStream` throughput against the in-process ensemble of the same bundle, a
30,000-customer portfolio end to end, and its resident memory with the bundle loaded (and its
explainer process's, which holds the native models for SHAP, see `pde.server.explainer`).
`--metrics` serves Prometheus metrics from the server (PDE_METRICS_PORT) to compare the
per-call cost with them on and off. Bars: req/s >= 0.75 x the floor's, p50 <= 1.2 x the
floor's, stream >= 0.9 x in-process, server memory <= 300 MB.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from pde.bench import grpc_calls
from pde.bench.common import peak_rss_mb, time_repeated
from pde.bench.idle import after_gaps
from pde.contracts.bundle import read_manifest

# The gap before each call of the in-process wake-up figure: about one call's round trip.
IDLE_GAP_SECONDS = 0.0005
BARS = {"rps_ratio": 0.75, "p50_ratio": 1.2, "stream_ratio": 0.9, "rss_mb": 300.0}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(
    model_dir: Path, address: str, workers: int, *, metrics_port: int = 0
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PDE_MODEL_DIR": str(model_dir),
        "PDE_GRPC_ADDRESS": address,
        "PDE_GRPC_WORKERS": str(workers),
        "PDE_LOG_LEVEL": "WARNING",
        "PDE_METRICS_PORT": str(metrics_port),
    }
    env.pop("PDE_GRPC_TOKEN", None)
    command = [sys.executable, "-m", "pde.cli.main", "serve", "--drain", "0"]
    return subprocess.Popen(command, env=env)


def _start_floor(
    address: str, threads: int, bundle_dir: Path | None = None
) -> subprocess.Popen[bytes]:
    """The floor, or with `bundle_dir` the model floor (see `pde.bench.floor`)."""
    command = [sys.executable, "-m", "pde.bench.floor", address, str(threads)]
    command += [str(bundle_dir)] if bundle_dir is not None else []
    return subprocess.Popen(command, env={**os.environ, "PDE_LOG_LEVEL": "WARNING"})


def _wait_serving(address: str, process: subprocess.Popen[bytes]) -> None:
    from pde.client.probe import probe

    deadline = time.monotonic() + 120
    while not probe(address, timeout=1):
        if process.poll() is not None:
            raise typer.Exit(1)
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not become SERVING in 120 s")
        time.sleep(0.2)


def _children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux): the server's explainer process."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _scrape(port: int) -> int:
    """Scrapes the server's metrics once; returns the number of samples."""
    from urllib.request import urlopen

    with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


@dataclass(frozen=True)
class Unary:
    """One server's unary figures: latency with one client, rate with concurrent callers."""

    p50_ms: float
    p99_ms: float
    rps: float


def _measure_unary(
    addresses: dict[str, str], matrix: Any, *, calls: int, clients: int, seconds: float, repeat: int
) -> dict[str, Unary]:
    """Each server's figures, measured alternately (so that a busier spell of the machine
    falls on both), the medians of `repeat` rounds."""
    latencies: dict[str, list[tuple[float, float]]] = {name: [] for name in addresses}
    rates: dict[str, list[float]] = {name: [] for name in addresses}
    for _ in range(repeat):
        for name, address in addresses.items():
            latencies[name].append(grpc_calls.unary_latency(address, matrix, calls=calls))
            rates[name].append(
                grpc_calls.concurrent_rps(address, matrix, clients=clients, seconds=seconds)
            )
    return {
        name: Unary(
            p50_ms=statistics.median(p50 for p50, _ in latencies[name]),
            p99_ms=statistics.median(p99 for _, p99 in latencies[name]),
            rps=statistics.median(rates[name]),
        )
        for name in addresses
    }


def register(app: typer.Typer) -> None:
    @app.command(name="grpc", help="Scoring server latency and throughput against the floor.")
    def grpc_bench(
        model_dir: Path | None = typer.Option(
            None, help="Bundles directory; uses its `current` bundle (default: PDE_MODEL_DIR)."
        ),
        calls: int = typer.Option(3000, min=100, help="Unary calls for the latency figures."),
        clients: int = typer.Option(8, min=1, help="Concurrent clients for the rate."),
        seconds: float = typer.Option(5.0, min=1, help="Duration of the rate measurement."),
        stream_rows: int = typer.Option(200_000, min=1000, help="Rows streamed."),
        repeat: int = typer.Option(3, min=1, help="Repeats of the throughput figures."),
        explain_rows: int = typer.Option(5000, min=200, help="Rows explained in one stream."),
        metrics: bool = typer.Option(
            False, "--metrics/--no-metrics", help="Serve Prometheus metrics (PDE_METRICS_PORT)."
        ),
    ) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from pde.bench.serving import rss_mb
        from pde.cli.console import console
        from pde.contracts.bundle import current_bundle_dir
        from pde.core.settings import get_settings
        from pde.server.bundle import load_bundle
        from pde.server.scorer import Scorer
        from pde.server.transport.options import HANDLER_THREADS

        settings = get_settings()
        directory = model_dir or settings.model_dir
        bundle_dir = current_bundle_dir(directory)
        out = console()
        bundle = load_bundle(bundle_dir)
        names = list(bundle.spec.feature_names)
        matrix = grpc_calls.rows(stream_rows, len(names), seed=1)
        scorer = Scorer(model_dir=directory, workers=settings.grpc_workers)

        def in_process_rate() -> float:
            timing, _ = time_repeated(lambda: scorer.score_rows(bundle, matrix), repeat=1)
            return len(matrix) / timing.median

        woken = after_gaps(bundle.score_row, matrix[:1000], gap_seconds=IDLE_GAP_SECONDS)
        trees = read_manifest(bundle_dir, verify=False).training.get("trees") or {}
        sizes = ", ".join(f"{name} {count}" for name, count in trees.items()) or "unknown"
        out.print(f"bundle {bundle_dir.name}: {len(names)} features, trees: {sizes}", markup=False)

        addresses = {name: f"127.0.0.1:{_free_port()}" for name in ("floor", "model", "serve")}
        floor = _start_floor(addresses["floor"], HANDLER_THREADS)
        model_floor = _start_floor(addresses["model"], settings.grpc_score_threads, bundle_dir)
        metrics_port = _free_port() if metrics else 0
        server = _start_server(
            directory, addresses["serve"], settings.grpc_workers, metrics_port=metrics_port
        )
        try:
            _wait_serving(addresses["floor"], floor)
            _wait_serving(addresses["model"], model_floor)
            _wait_serving(addresses["serve"], server)
            rss = rss_mb(server.pid)
            explainer = sum(rss_mb(pid) for pid in _children(server.pid))
            unary = _measure_unary(
                addresses, matrix, calls=calls, clients=clients, seconds=seconds, repeat=repeat
            )
            rss_scored = rss_mb(server.pid)
            forecast_p50, _ = grpc_calls.unary_latency(
                addresses["serve"], matrix, calls=calls, time_to_miss=True
            )
            samples = _scrape(metrics_port) if metrics else 0
            floor.terminate()
            model_floor.terminate()
            # alternately, so that a busier spell of the machine falls on both
            rates = [
                (
                    in_process_rate(),
                    grpc_calls.stream_rows_per_second(addresses["serve"], matrix, chunk=10_000),
                )
                for _ in range(repeat)
            ]
            in_process = statistics.median(rate for rate, _ in rates)
            stream = statistics.median(rate for _, rate in rates)
            explained, explained_singly = grpc_calls.explanations_per_second(
                addresses["serve"], matrix[:explain_rows], single=200
            )
            portfolio = statistics.median(
                grpc_calls.portfolio_seconds(addresses["serve"], matrix[:30_000], names)
                for _ in range(repeat)
            )
        finally:
            for process in (floor, model_floor, server):
                if process.poll() is None:
                    process.terminate()
                process.wait(30)
            scorer.close()
            bundle.close()
        base, model, ours = unary["floor"], unary["model"], unary["serve"]
        rps_ratio, p50_ratio, ratio = (
            ours.rps / base.rps,
            ours.p50_ms / base.p50_ms,
            stream / in_process,
        )
        out.print(
            f"floor (do-nothing server, {HANDLER_THREADS} threads): p50 {base.p50_ms:.3f} ms, "
            f"p99 {base.p99_ms:.3f} ms, {base.rps:,.0f} req/s with {clients} clients",
            markup=False,
        )
        out.print(
            f"model floor (the merged graph run, nothing else, on {settings.grpc_score_threads} "
            f"threads as pde serve's Score): p50 "
            f"{model.p50_ms:.3f} ms = {model.p50_ms / base.p50_ms:.2f} x floor, "
            f"{model.rps:,.0f} req/s = {model.rps / base.rps:.2f} x floor",
            markup=False,
        )
        out.print(
            f"one-row score in process: {woken.back_to_back_us:.0f} us back to back, "
            f"{woken.busy_us:.0f} us after {IDLE_GAP_SECONDS * 1e3:.1f} ms busy, "
            f"{woken.idle_us:.0f} us after {IDLE_GAP_SECONDS * 1e3:.1f} ms idle",
            markup=False,
        )
        out.print(
            f"pde serve:  p50 {ours.p50_ms:.3f} ms = {p50_ratio:.2f} x floor "
            f"[{_verdict(p50_ratio <= BARS['p50_ratio'])} <= 1.2], "
            f"{ours.p50_ms / model.p50_ms:.2f} x model floor; p99 {ours.p99_ms:.3f} ms",
            markup=False,
        )
        out.print(
            f"pde serve:  {ours.rps:,.0f} req/s with {clients} clients = {rps_ratio:.2f} x floor "
            f"[{_verdict(rps_ratio >= BARS['rps_ratio'])} >= 0.75], "
            f"{ours.rps / model.rps:.2f} x model floor",
            markup=False,
        )
        out.print(
            f"pde serve:  p50 {forecast_p50:.3f} ms with the time-to-miss forecast asked for "
            f"(time_to_miss; no bar)",
            markup=False,
        )
        out.print(
            f"ScoreStream: {stream:,.0f} rows/s = {ratio:.2f} x in-process ({in_process:,.0f} "
            f"rows/s, {settings.grpc_workers} threads, measured alternately) "
            f"[{_verdict(ratio >= BARS['stream_ratio'])} >= 0.9]",
            markup=False,
        )
        out.print(f"30,000-row portfolio: {portfolio:.2f} s end to end", markup=False)
        out.print(
            f"explanations: {explained:,.0f} rows/s batched (ExplainStream, "
            f"{explain_rows:,} rows), {explained_singly:,.0f} rows/s with one Explain per row",
            markup=False,
        )
        out.print(
            f"server memory with the bundle loaded: {rss:.0f} MiB "
            f"[{_verdict(rss <= BARS['rss_mb'])} <= 300], {rss_scored:.0f} MiB after the unary "
            f"runs; its explainer process (native models, SHAP) {explainer:.0f} MiB; bench "
            f"process peak {peak_rss_mb():.0f} MiB",
            markup=False,
        )
        if metrics:
            out.print(f"metrics on: {samples} samples scraped after the unary runs", markup=False)
