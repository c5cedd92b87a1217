"""`pde bench fuzz`: hostile and random messages to every RPC of a live scoring server.

Starts `pde serve` on the bundle as a separate process, with a token (so that ReloadModel's
checks are reached too) and its log in a file, then sends `--messages` cases drawn by
`pde.bench.fuzz_messages` (RiskScoring, health, and the Open Inference Protocol through
`pde.bench.fuzz_inference`) from several client threads. Bars: the server never dies, and no
call is answered INTERNAL or UNKNOWN (a client's input is never a server fault), nor
UNAVAILABLE or DEADLINE_EXCEEDED (the server never stops answering). It prints the status
codes per method, the server's log size and the tracebacks in it, and its memory.
"""

from __future__ import annotations

import random
import secrets
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from pde.bench.fuzz_messages import Case, MessageFuzzer

# Answers that a client's input must never cause.
UNEXPECTED = frozenset(
    {"INTERNAL", "UNKNOWN", "UNAVAILABLE", "DEADLINE_EXCEEDED", "DATA_LOSS", "UNIMPLEMENTED"}
)
CALL_SECONDS = 60.0
FAILURES_KEPT = 20


@dataclass
class FuzzReport:
    """What the server answered: status codes per case label, and every unexpected one."""

    sent: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    by_method: dict[str, Counter[str]] = field(default_factory=dict)
    by_label: dict[str, Counter[str]] = field(default_factory=dict)
    seconds_by_method: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    unexpected: int = 0
    crashed: str | None = None
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def ok(self) -> bool:
        return self.unexpected == 0 and self.crashed is None

    def add(self, case: Case, code: str, details: str, *, where: str, seconds: float) -> None:
        method = case.label.split("/", 1)[0]
        with self._lock:
            self.sent += 1
            total = self.seconds_by_method.get(method, 0.0)
            self.seconds_by_method[method] = total + seconds
            self.codes[code] += 1
            self.by_method.setdefault(method, Counter())[code] += 1
            self.by_label.setdefault(case.label, Counter())[code] += 1
            if code in UNEXPECTED:
                self.unexpected += 1
                if len(self.failures) < FAILURES_KEPT:
                    self.failures.append(f"{where} {case.label}: {code}: {details[:300]}")


def _call(channel: Any, case: Case) -> tuple[str, str]:
    import grpc

    try:
        if case.streaming:
            replies = channel.stream_stream(case.method)(
                iter(case.requests), timeout=CALL_SECONDS, metadata=case.metadata
            )
            for _ in replies:
                pass
        else:
            channel.unary_unary(case.method)(
                case.requests[0], timeout=CALL_SECONDS, metadata=case.metadata
            )
    except grpc.RpcError as error:
        return error.code().name, error.details() or ""
    return "OK", ""


def run_fuzz(
    address: str,
    *,
    count: int,
    feature_names: Sequence[str],
    version: str,
    token: str | None = None,
    seed: int = 0,
    workers: int = 4,
    methods: Sequence[str] = (),
    alive: Callable[[], str | None] = lambda: None,
    progress: Callable[[FuzzReport], None] = lambda report: None,
) -> FuzzReport:
    """Sends `count` cases to the server at `address` from `workers` threads; `alive` returns
    why the server is gone (checked every 500 cases per thread), or None."""
    import grpc

    report = FuzzReport()
    started = time.perf_counter()
    limit = 512 << 20
    options = [("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit)]
    with grpc.insecure_channel(address, options=options) as channel:

        def work(worker: int, share: int) -> None:
            fuzzer = MessageFuzzer(
                random.Random(seed * 1_000 + worker),
                feature_names=feature_names,
                version=version,
                token=token,
                methods=methods,
            )
            for i in range(share):
                if report.crashed:
                    return
                case = fuzzer.case()
                sent = time.perf_counter()
                code, details = _call(channel, case)
                report.add(
                    case,
                    code,
                    details,
                    where=f"[seed {seed} worker {worker} case {i}]",
                    seconds=time.perf_counter() - sent,
                )
                if i % 500 == 499:
                    report.crashed = report.crashed or alive()
                    if worker == 0 and i % 5_000 == 4_999:
                        progress(report)

        shares = [count // workers + (1 if w < count % workers else 0) for w in range(workers)]
        threads = [
            threading.Thread(target=work, args=(w, n), name=f"fuzz-{w}")
            for w, n in enumerate(shares)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    report.crashed = report.crashed or alive()
    report.seconds = time.perf_counter() - started
    return report


def _print_report(out: Any, report: FuzzReport) -> None:
    rate = report.sent / report.seconds if report.seconds else 0.0
    out.print(f"{report.sent:,} messages in {report.seconds:.0f} s ({rate:,.0f}/s)", markup=False)
    for method, codes in sorted(report.by_method.items()):
        shown = ", ".join(f"{code} {n:,}" for code, n in codes.most_common())
        mean_ms = 1000 * report.seconds_by_method[method] / max(1, codes.total())
        out.print(f"  {method:<13} mean {mean_ms:6.1f} ms  {shown}", markup=False)
    for failure in report.failures:
        out.print(f"  UNEXPECTED {failure}", markup=False)


def register(app: typer.Typer) -> None:
    @app.command(name="fuzz", help="Hostile messages to every RPC of a live server.")
    def fuzz_bench(
        model_dir: Path | None = typer.Option(
            None, help="Bundles directory; serves its `current` bundle (default: PDE_MODEL_DIR)."
        ),
        messages: int = typer.Option(100_000, min=1, help="Cases to send."),
        seed: int = typer.Option(0, help="Seed of the cases (the same seed, the same cases)."),
        workers: int = typer.Option(4, min=1, help="Client threads sending at once."),
    ) -> None:
        from pde.bench.serving import free_port, rss_mb, start_server, wait_serving
        from pde.cli.console import console
        from pde.client.sync import RiskClient
        from pde.core.settings import get_settings

        out = console()
        directory = model_dir or get_settings().model_dir
        address = f"127.0.0.1:{free_port()}"
        token = secrets.token_hex(16)
        with tempfile.TemporaryDirectory(prefix="pde-fuzz-") as tmp:
            log_path = Path(tmp) / "server.log"
            with log_path.open("wb") as log_file:
                server = start_server(directory, address, token=token, log=log_file)
                try:
                    wait_serving(address, server)
                    with RiskClient(address, token=token) as client:
                        info = client.model_info()
                    out.print(
                        f"bundle {info.version}: {len(info.feature_names)} features; "
                        f"{messages:,} cases, seed {seed}, {workers} client threads",
                        markup=False,
                    )

                    def alive() -> str | None:
                        code = server.poll()
                        return None if code is None else f"the server exited with {code}"

                    report = run_fuzz(
                        address,
                        count=messages,
                        feature_names=info.feature_names,
                        version=info.version,
                        token=token,
                        seed=seed,
                        workers=workers,
                        alive=alive,
                        progress=lambda r: out.print(
                            f"  ... {r.sent:,} sent, {r.unexpected} unexpected", markup=False
                        ),
                    )
                    if not report.crashed:
                        with RiskClient(address, token=token) as client:
                            if client.health() != "SERVING":
                                report.crashed = "the server no longer reports SERVING"
                        rss = rss_mb(server.pid)
                finally:
                    if server.poll() is None:
                        server.terminate()
                    server.wait(30)
            log_text = log_path.read_text(errors="replace")
        _print_report(out, report)
        out.print(
            f"server log: {len(log_text.encode()):,} bytes, {log_text.count('Traceback')} "
            f"tracebacks; server memory at the end: "
            f"{'gone' if report.crashed else f'{rss:.0f} MiB'}",
            markup=False,
        )
        verdict = "ok" if report.ok else "FAILED"
        out.print(
            f"verdict: {verdict} (crashes: {1 if report.crashed else 0}"
            f"{' - ' + report.crashed if report.crashed else ''}; "
            f"unexpected answers: {report.unexpected})",
            markup=False,
        )
        if not report.ok:
            raise typer.Exit(1)
