"""`pde bench soak`: a live scoring server under steady load for minutes, in windows.

Starts `pde serve` as a separate process and sends it a steady mix from one asyncio client
process: `--rate` single-row Score calls per second (paced, so latency is service time, not
queueing), plus an Explain every second and a 1,000-row ScoreStream batch every 2 seconds.
After a warm-up, each window prints its Score calls per second, p50 and p99, and the server's
resident memory at its end. Verdict: the p99 of the later windows within +-20 % of the earlier
ones' (medians of each half: over the 10 windows of a 10-minute soak, one window disturbed by
another process on the machine does not decide), the server's memory grown by less than 5 %
from the end of the first window to the end of the last, and no failed call.
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import typer

P99_DRIFT = 0.20
RSS_GROWTH = 0.05
WARM_UP_SECONDS = 10.0
EXPLAIN_EVERY = 1.0
STREAM_EVERY = 2.0
STREAM_ROWS = 1_000
# Windows of at least this long (up to 10 of them): a p99 needs thousands of calls to settle.
MIN_WINDOW_SECONDS = 30.0


@dataclass
class Window:
    """One window of the soak: Score latencies, failures and the server's memory at its end."""

    started: float
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    rss_mb: float = float("nan")
    cpu_seconds: float = float("nan")  # the server's CPU time in the window
    load: float = float("nan")  # the machine's 1-minute load average at the window's end

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds

    @property
    def cpu_us_per_call(self) -> float:
        """Server CPU per Score call (background calls included): unlike latency, it does not
        grow when other processes take the machine's cores."""
        return 1e6 * self.cpu_seconds / max(1, len(self.latencies_ms))

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclass(frozen=True)
class Verdict:
    p99_drift: float  # median p99 of the later half of the windows / of the earlier half - 1
    rss_growth: float  # server memory, end of the last window / end of the first - 1
    errors: int

    @property
    def ok(self) -> bool:
        return abs(self.p99_drift) <= P99_DRIFT and self.rss_growth < RSS_GROWTH and not self.errors

    def describe(self) -> str:
        return (
            f"{'ok' if self.ok else 'FAILED'} (p99 later/earlier {self.p99_drift:+.1%}, within "
            f"+-{P99_DRIFT:.0%}; server memory {self.rss_growth:+.1%}, under +{RSS_GROWTH:.0%}; "
            f"{self.errors} failed calls)"
        )


def verdict(windows: list[Window]) -> Verdict:
    half = len(windows) // 2
    earlier = statistics.median(w.percentile(0.99) for w in windows[:half])
    later = statistics.median(w.percentile(0.99) for w in windows[len(windows) - half :])
    return Verdict(
        p99_drift=later / earlier - 1,
        rss_growth=windows[-1].rss_mb / windows[0].rss_mb - 1,
        errors=sum(w.errors for w in windows),
    )


async def _soak(
    address: str,
    *,
    token: str | None,
    seconds: float,
    windows: int,
    rate: float,
    callers: int,
    rss: Callable[[], float],
    cpu: Callable[[], float],
    on_window: Callable[[int, Window], None],
    warm_up: float,
) -> list[Window]:
    import grpc
    import numpy as np

    from pde.risk.v1 import risk_pb2, risk_pb2_grpc

    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    async with grpc.aio.insecure_channel(address) as channel:
        stub = risk_pb2_grpc.RiskScoringStub(channel)
        info = await stub.GetModelInfo(risk_pb2.ModelInfoRequest(), metadata=metadata, timeout=10)
        x = np.random.default_rng(5).normal(size=(STREAM_ROWS, len(info.feature_names)))
        rows = [risk_pb2.PackedFeatures(values=row) for row in x[:500].tolist()]
        batch = risk_pb2.ScoreBatch(
            row_ids=[f"r{i}" for i in range(STREAM_ROWS)], features=x.astype("<f4").tobytes()
        )
        started = time.perf_counter()
        measure_from = started + warm_up
        length = seconds / windows
        done: list[Window] = []
        current: list[Window] = []
        end = measure_from + seconds

        def window_now() -> Window | None:
            return current[0] if current else None

        async def caller(index: int) -> None:
            period = callers / rate
            next_at = time.perf_counter() + index * period / callers
            i = index
            while (now := time.perf_counter()) < end:
                if now < next_at:
                    await asyncio.sleep(next_at - now)
                # Late (the machine stalled us): no burst to catch up, the pace resumes.
                next_at = max(next_at, now) + period
                request = risk_pb2.ScoreRequest(customer_id=str(i), packed=rows[i % len(rows)])
                i += callers
                sent = time.perf_counter()
                try:
                    await stub.Score(request, metadata=metadata, timeout=10)
                except grpc.RpcError:
                    if (w := window_now()) is not None:
                        w.errors += 1
                    continue
                if (w := window_now()) is not None:
                    w.latencies_ms.append((time.perf_counter() - sent) * 1000)

        async def background() -> None:
            last_stream = time.perf_counter()
            while (now := time.perf_counter()) < end:
                await asyncio.sleep(min(EXPLAIN_EVERY, end - now))
                try:
                    explain = risk_pb2.ExplainRequest(customer_id="e", packed=rows[0], top_k=3)
                    await stub.Explain(explain, metadata=metadata, timeout=10)
                    if time.perf_counter() - last_stream >= STREAM_EVERY:
                        last_stream = time.perf_counter()
                        call = stub.ScoreStream(iter([batch]), metadata=metadata, timeout=30)
                        async for _ in call:
                            pass
                except grpc.RpcError:
                    if (w := window_now()) is not None:
                        w.errors += 1

        async def clock() -> None:
            await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
            for index in range(windows):
                window = Window(started=time.perf_counter() - measure_from, seconds=length)
                cpu_at_start = cpu()
                current[:] = [window]
                await asyncio.sleep(
                    max(0.0, measure_from + (index + 1) * length - time.perf_counter())
                )
                window.seconds = time.perf_counter() - measure_from - window.started
                window.rss_mb = rss()
                window.cpu_seconds = cpu() - cpu_at_start
                window.load = os.getloadavg()[0]
                done.append(window)
                on_window(index, window)
            current.clear()

        await asyncio.gather(clock(), background(), *(caller(c) for c in range(callers)))
    return done


def run_soak(
    address: str,
    *,
    seconds: float,
    rss: Callable[[], float],
    cpu: Callable[[], float] = lambda: math.nan,
    token: str | None = None,
    windows: int = 10,
    rate: float = 800.0,
    callers: int = 8,
    on_window: Callable[[int, Window], None] = lambda index, window: None,
    warm_up: float = WARM_UP_SECONDS,
) -> list[Window]:
    """Runs the load for a warm-up then `seconds` in `windows` windows; `rss` gives the
    server's resident memory in MiB, `cpu` its CPU seconds so far."""
    return asyncio.run(
        _soak(
            address,
            token=token,
            seconds=seconds,
            windows=windows,
            rate=rate,
            callers=callers,
            rss=rss,
            cpu=cpu,
            on_window=on_window,
            warm_up=warm_up,
        )
    )


def default_windows(minutes: float) -> int:
    return max(2, min(10, int(minutes * 60 // MIN_WINDOW_SECONDS)))


def describe(index: int, window: Window, count: int) -> str:
    start = int(window.started)
    return (
        f"{index + 1:>2}/{count} {start // 60:>2}:{start % 60:02d} {window.rate:6,.0f} req/s "
        f"p50 {window.percentile(0.5):5.2f} p99 {window.percentile(0.99):5.2f} ms "
        f"RSS {window.rss_mb:6.1f} MiB failed {window.errors}\n"
        f"      server CPU {window.cpu_us_per_call:4.0f} us/call, machine load {window.load:.1f}"
    )


def register(app: typer.Typer) -> None:
    @app.command(name="soak", help="A live server under steady load; figures per window.")
    def soak_bench(
        model_dir: Path | None = typer.Option(
            None, help="Bundles directory; serves its `current` bundle (default: PDE_MODEL_DIR)."
        ),
        minutes: float = typer.Option(10.0, min=0.5, help="Minutes measured (after warm-up)."),
        windows: int | None = typer.Option(
            None, min=2, help="Windows the minutes are cut into (default: 30 s+ each, up to 10)."
        ),
        rate: float = typer.Option(800.0, min=10, help="Score calls per second sent."),
    ) -> None:
        from pde.bench.serving import cpu_seconds, free_port, rss_mb, start_server, wait_serving
        from pde.cli.console import console
        from pde.core.settings import get_settings

        out = console()
        count = windows or default_windows(minutes)
        directory = model_dir or get_settings().model_dir
        address = f"127.0.0.1:{free_port()}"
        server = start_server(directory, address, log_level="WARNING")
        try:
            wait_serving(address, server)
            out.print(
                f"soak: {minutes:g} min in {count} windows, after {WARM_UP_SECONDS:.0f} s of "
                f"warm-up;\nload: {rate:,.0f} Score/s, an Explain every {EXPLAIN_EVERY:g} s, "
                f"{STREAM_ROWS:,} streamed rows every {STREAM_EVERY:g} s",
                markup=False,
            )
            results = run_soak(
                address,
                seconds=minutes * 60,
                windows=count,
                rate=rate,
                rss=lambda: rss_mb(server.pid),
                cpu=lambda: cpu_seconds(server.pid),
                on_window=lambda i, w: out.print(describe(i, w, count), markup=False),
            )
        finally:
            server.terminate()
            server.wait(30)
        p99s = [w.percentile(0.99) for w in results]
        out.print(
            f"p99 over the windows: median {statistics.median(p99s):.2f} ms, "
            f"min {min(p99s):.2f}, max {max(p99s):.2f}",
            markup=False,
        )
        result = verdict(results)
        out.print(f"verdict: {result.describe()}", markup=False)
        if not result.ok:
            raise typer.Exit(1)
