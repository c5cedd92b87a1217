"""`pde bench portfolio`: simulated customers from data files to scores in the database, on Dask.

The run: simulate the portfolio (Parquet files), train a quick bundle on a small simulation,
start `--replicas` real `pde serve` processes on loopback, and run the partitioned portfolio
job (pde.jobs.partitions) on a LocalCluster of `--workers` processes against PostgreSQL (a
temporary schema) or SQLite. The baseline, measured in the same run, is the single-process
job (pde.jobs.portfolio) on `--baseline-customers` customers. Printed: wall time of each round,
customers per second, CPU seconds per 1,000 customers (workers, servers, driver) and peak
memory per worker, per server and of the driver: the figures docs/scaling.md sizes a bank from.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pde.bench.common import peak_rss_mb

WEEKS = 1  # one as-of date (the newest), after the simulator's history weeks
TRAIN_CUSTOMERS = 3000


@dataclass(frozen=True)
class Measured:
    customers: int
    seconds: float
    score_round_seconds: float  # load, features, scores (to the end of the last partition)
    cpu_workers: float
    cpu_servers: float
    cpu_driver: float
    peak_workers_mb: dict[str, float]
    peak_servers_mb: list[float]
    rows: int


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _simulate(customers: int, out: Path, *, weeks: int, seed: int) -> None:
    from pde.training.data.simulate import SimulationConfig, simulate

    simulate(SimulationConfig(customers=customers, weeks=weeks, seed=seed), out)


def _train(root: Path) -> Path:
    """A quick bundle trained on a small simulation; the model dir (its `current` set)."""
    from pde.contracts.bundle import set_current
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    _simulate(TRAIN_CUSTOMERS, root / "train-data", weeks=16, seed=11)
    frame = load_canonical_frame(root / "train-data")
    for seed in (42, 7, 2026):
        try:
            config = TrainConfig.quick_run(threads=1, seed=seed)
            result = train_frame(frame, config=config, model_dir=root / "models")
            set_current(root / "models", result.bundle_dir.name)
            return root / "models"
        except ParityError:
            continue
    raise RuntimeError("the quick training run failed its parity check with every seed")


@contextmanager
def _servers(model_dir: Path, replicas: int) -> Iterator[tuple[str, list[subprocess.Popen[str]]]]:
    """`replicas` real `pde serve` processes; the client address naming them all."""
    from pde.client.probe import probe

    addresses = [f"127.0.0.1:{_free_port()}" for _ in range(replicas)]
    processes = []
    try:
        for address in addresses:
            env = {**os.environ, "PDE_MODEL_DIR": str(model_dir), "PDE_GRPC_ADDRESS": address}
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "pde.cli.main", "serve", "--drain", "0"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
            )
        deadline = time.monotonic() + 120
        for address, process in zip(addresses, processes, strict=True):
            while not probe(address, timeout=1.0):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the scoring server at {address} did not start")
                time.sleep(0.2)
        yield ",".join(addresses), processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _process_figures(pid: int) -> tuple[float, float]:
    """(CPU seconds, peak resident MiB) of a running process."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system, _peak_mb(str(pid))


def _peak_mb(pid: str = "self") -> float:
    """Peak resident memory of a process (VmHWM: its own, unlike ru_maxrss, which a spawned
    process inherits from the parent it was forked from)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _worker_cpu() -> float:
    return time.process_time()


@contextmanager
def _database(postgres_url: str | None, scratch: Path) -> Iterator[str]:
    """A migrated empty database: a temporary PostgreSQL schema, or SQLite in `scratch`."""
    import sqlalchemy as sa

    from pde.db import migrate
    from pde.db.engine import make_engine

    schema = None
    url = f"sqlite:///{scratch}/bench.db"
    if postgres_url:
        schema = f"pde_bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(postgres_url)
        with admin.begin() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        url = f"{postgres_url}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate.upgrade(engine=engine)
    engine.dispose()
    try:
        yield url
    finally:
        if postgres_url and schema:
            admin = sa.create_engine(postgres_url)
            with admin.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()


def _count(url: str) -> int:
    import sqlalchemy as sa

    from pde.db.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        rows = int(connection.execute(sa.text("SELECT count(*) FROM risk_scores")).scalar_one())
    engine.dispose()
    return rows


@dataclass(frozen=True)
class Baseline:
    customers: int
    seconds: float
    cpu: float  # the job's process
    cpu_servers: float


def _baseline(
    data_dir: Path,
    address: str,
    url: str,
    model_dir: Path,
    servers: list[subprocess.Popen[str]],
    customers: int,
) -> Baseline:
    """The single-process job on `data_dir`: wall and CPU seconds."""
    from pde.client.sync import RiskClient
    from pde.db.engine import make_engine
    from pde.jobs.portfolio import score_portfolio

    engine = make_engine(url)
    server_cpu = sum(_process_figures(p.pid)[0] for p in servers)
    cpu = time.process_time()
    start = time.perf_counter()
    with RiskClient(address) as client:
        score_portfolio(data_dir=data_dir, client=client, engine=engine, model_dir=model_dir)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    engine.dispose()
    server_cpu = sum(_process_figures(p.pid)[0] for p in servers) - server_cpu
    return Baseline(customers, seconds, cpu, server_cpu)


def _partitioned(
    data_dir: Path,
    address: str,
    url: str,
    model_dir: Path,
    servers: list[subprocess.Popen[str]],
    *,
    customers: int,
    workers: int,
    partitions: int,
) -> Measured:
    from pde.client.sync import RiskClient
    from pde.jobs.partitions import dask_client, score_portfolio_partitioned

    server_cpu = sum(_process_figures(p.pid)[0] for p in servers)
    with dask_client(None, workers=workers) as dask, RiskClient(address) as client:
        worker_cpu = dask.run(_worker_cpu)
        finished: list[float] = []
        driver_cpu = time.process_time()
        start = time.perf_counter()
        score_portfolio_partitioned(
            dask=dask,
            data_dir=data_dir,
            client=client,
            database_url=url,
            partitions=partitions,
            model_dir=model_dir,
            on_part=lambda _: finished.append(time.perf_counter()),
        )
        seconds = time.perf_counter() - start
        driver_cpu = time.process_time() - driver_cpu
        worker_cpu_after = dask.run(_worker_cpu)
        peaks = dask.run(_peak_mb)
    figures = [_process_figures(p.pid) for p in servers]
    return Measured(
        customers=customers,
        seconds=seconds,
        score_round_seconds=finished[partitions - 1] - start,
        cpu_workers=sum(worker_cpu_after[w] - worker_cpu.get(w, 0.0) for w in worker_cpu_after),
        cpu_servers=sum(cpu for cpu, _ in figures) - server_cpu,
        cpu_driver=driver_cpu,
        peak_workers_mb=peaks,
        peak_servers_mb=[peak for _, peak in figures],
        rows=_count(url),
    )


def _report(m: Measured, base: Baseline, *, workers: int, replicas: int) -> None:
    per_k = 1000 / m.customers
    base_customers, base_seconds = base.customers, base.seconds
    base_rate = base_customers / base_seconds
    print(
        f"partitioned  {m.customers:>9,} customers  {m.seconds:8.1f} s"
        f"  ({m.customers / m.seconds:,.0f} customers/s; {workers} workers, {replicas} replicas)"
    )
    print(
        f"  rounds: load+features+scores {m.score_round_seconds:.1f} s, "
        f"rank+write+reasons {m.seconds - m.score_round_seconds:.1f} s; rows in the database "
        f"{m.rows:,}"
    )
    print(
        f"  CPU s per 1,000 customers: workers {m.cpu_workers * per_k:.2f}, servers "
        f"{m.cpu_servers * per_k:.2f}, driver {m.cpu_driver * per_k:.2f}"
    )
    worker_peaks = ", ".join(f"{v:,.0f}" for v in sorted(m.peak_workers_mb.values()))
    server_peaks = ", ".join(f"{v:,.0f}" for v in m.peak_servers_mb)
    print(
        f"  peak memory MiB: per worker {worker_peaks}; per server {server_peaks}; "
        f"driver {peak_rss_mb():,.0f}"
    )
    print(
        f"baseline     {base_customers:>9,} customers  {base_seconds:8.1f} s"
        f"  ({base_rate:,.0f} customers/s, one process)"
    )
    base_k = 1000 / base.customers
    print(
        f"  CPU s per 1,000 customers: job process {base.cpu * base_k:.2f}, servers "
        f"{base.cpu_servers * base_k:.2f}"
    )
    rate = m.customers / m.seconds / base_rate
    mine = (m.cpu_workers + m.cpu_driver) / m.customers / (base.cpu / base.customers)
    print(f"  ratios partitioned / one process: throughput {rate:.2f}, job CPU {mine:.2f}")


def run(
    *,
    customers: int,
    workers: int,
    partitions: int,
    replicas: int,
    baseline_customers: int,
    postgres_url: str | None,
    scratch: Path | None,
) -> None:
    # SIGTERM stops the run like Ctrl-C: the servers and the cluster are stopped, data removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        model_dir = _train(root)
        _simulate(customers, root / "data", weeks=WEEKS, seed=5)
        _simulate(baseline_customers, root / "baseline-data", weeks=WEEKS, seed=6)
        print(f"set-up (simulate, train): {time.perf_counter() - started:.1f} s")
        with _servers(model_dir, replicas) as (address, servers):
            with _database(postgres_url, root) as url:
                base = _baseline(
                    root / "baseline-data", address, url, model_dir, servers, baseline_customers
                )
            with _database(postgres_url, root) as url:
                measured = _partitioned(
                    root / "data",
                    address,
                    url,
                    model_dir,
                    servers,
                    customers=customers,
                    workers=workers,
                    partitions=partitions,
                )
        _report(measured, base, workers=workers, replicas=replicas)
        if measured.rows != customers:
            raise RuntimeError(f"{measured.rows} rows written for {customers} customers")


def postgres_or_none(url: str) -> str | None:
    """`url` when PostgreSQL answers there, else None (SQLite is used)."""
    import sqlalchemy as sa

    try:
        probe = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with probe.connect():
            pass
        probe.dispose()
    except Exception as exc:  # the driver's error types vary
        print(f"postgresql unreachable at {url} ({type(exc).__name__}): using SQLite")
        return None
    return url
