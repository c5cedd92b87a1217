"""Operators' metrics: the scoring server and the jobs worker serve Prometheus metrics on
their own port, and the shipped Grafana dashboard and Prometheus configuration use only
metrics that they export (scraped live)."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import grpc
import pytest
import yaml

from pde.jobs.metrics import WorkerMetrics
from pde.risk.v1 import risk_pb2, risk_pb2_grpc

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "deploy" / "grafana" / "pde-dashboard.json"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
# PromQL words that are not metric names.
PROMQL_WORDS = {
    "sum", "by", "rate", "increase", "histogram_quantile", "max", "min", "time", "avg",
    "le", "method", "code", "kind", "status", "result", "instance", "job", "without",
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scrape(port: int) -> str:
    with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        return str(reply.read().decode())


def _samples(text: str) -> dict[str, float]:
    """`name{labels}` -> value of every sample line."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            found[key] = float(value)
    return found


def _exported(text: str) -> set[str]:
    """Every series name the exposition can carry: each family's name with the suffixes of
    its type (from `# TYPE`), whether or not it has samples yet."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            suffixes = {  # the text format names a counter's family with its `_total`
                "histogram": ["", "_bucket", "_sum", "_count"],
                "summary": ["", "_sum", "_count"],
            }.get(kind, [""])
            names.update(name + suffix for suffix in suffixes)
    return names


@pytest.fixture(scope="module")
def metered(
    tmp_path_factory: pytest.TempPathFactory, bundle_dir: Path, bundle_tools: Any
) -> Iterator[tuple[Any, int]]:
    """A loaded server with its metrics on a free port."""
    from pde.contracts.bundle import set_current
    from pde.server.transport.app import ScoringServer
    from pde.server.transport.options import ServerOptions

    root = tmp_path_factory.mktemp("metered")
    bundle_tools.copy_as(bundle_dir, root, "v1")
    set_current(root, "v1")
    port = _free_port()
    server = ScoringServer(
        ServerOptions(address="127.0.0.1:0", model_dir=root, drain_seconds=0.0, metrics_port=port)
    )
    server.start()
    server.load()
    yield server, port
    server.stop(grace=1)


def test_metrics_server_counts_calls_codes_rows_and_the_model(metered: tuple[Any, int]) -> None:
    server, port = metered
    n = server.scorer.bundle().n_features
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = risk_pb2_grpc.RiskScoringStub(channel)
        for i in range(3):
            request = risk_pb2.ScoreRequest(
                customer_id=str(i), packed=risk_pb2.PackedFeatures(values=[0.5] * n)
            )
            stub.Score(request, timeout=5)
        with pytest.raises(grpc.RpcError):
            stub.Score(risk_pb2.ScoreRequest(customer_id="bad"), timeout=5)
        batch = risk_pb2.ScoreBatch(row_ids=["a", "b"], features=b"\0" * (8 * n))
        list(stub.ScoreStream(iter([batch]), timeout=5))
    server.reload()
    samples = _samples(_scrape(port))
    assert samples['pde_grpc_requests_total{code="OK",method="Score"}'] == 3
    assert samples['pde_grpc_requests_total{code="INVALID_ARGUMENT",method="Score"}'] == 1
    assert samples['pde_grpc_errors_total{code="INVALID_ARGUMENT",method="Score"}'] == 1
    assert 'pde_grpc_errors_total{code="OK",method="Score"}' not in samples
    assert samples['pde_rows_scored_total{method="ScoreStream"}'] == 2
    assert samples['pde_grpc_request_duration_seconds_count{method="Score"}'] == 4
    assert samples['pde_grpc_request_duration_seconds_bucket{le="+Inf",method="Score"}'] == 4
    version = server.scorer.bundle().version
    info = [k for k in samples if k.startswith("pde_model_info{")]
    assert len(info) == 1 and f'version="{version}"' in info[0]
    assert samples['pde_model_reloads_total{result="ok"}'] == 1
    assert samples["process_resident_memory_bytes"] > 0


def test_metrics_port_in_use_refuses_to_start(model_dir: Path, metered: tuple[Any, int]) -> None:
    from pde.server.transport.app import ScoringServer, ServerStartError
    from pde.server.transport.options import ServerOptions

    _, taken = metered
    server = ScoringServer(
        ServerOptions(address="127.0.0.1:0", model_dir=model_dir, metrics_port=taken)
    )
    with pytest.raises(ServerStartError, match=f"cannot serve metrics on 127.0.0.1:{taken}"):
        server.start()


def test_metrics_worker_counts_jobs_and_the_last_success() -> None:
    metrics = WorkerMetrics()
    port = _free_port()
    stop = metrics.serve(host="127.0.0.1", port=port)
    try:
        metrics.started()
        metrics.finished("nightly", "completed", seconds=12.0, at=1_700_000_000.0)
        metrics.finished("score", "failed", seconds=3.0, at=1_700_000_100.0)
        samples = _samples(_scrape(port))
    finally:
        stop()
    assert samples['pde_jobs_total{kind="nightly",status="completed"}'] == 1
    assert samples['pde_jobs_total{kind="score",status="failed"}'] == 1
    assert samples['pde_job_last_success_timestamp_seconds{kind="nightly"}'] == 1_700_000_000
    assert 'pde_job_last_success_timestamp_seconds{kind="score"}' not in samples
    assert samples['pde_job_duration_seconds_sum{kind="nightly"}'] == 12.0
    assert samples["pde_jobs_running"] == 0


def _dashboard_metrics() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert exprs, "the dashboard has no queries"
    names = set()
    for expr in exprs:
        without_labels = re.sub(r"\{[^}]*\}|\[[^]]*\]|\"[^\"]*\"", " ", expr)
        for word in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_labels):
            if word not in PROMQL_WORDS:
                names.add(word)
    return names


def test_metrics_dashboard_and_scrape_config_use_only_exported_metrics(
    metered: tuple[Any, int],
) -> None:
    _, port = metered
    worker = WorkerMetrics()
    worker_port = _free_port()
    stop = worker.serve(host="127.0.0.1", port=worker_port)
    try:
        exported = _exported(_scrape(port)) | _exported(_scrape(worker_port))
    finally:
        stop()
    used = _dashboard_metrics()
    assert {"pde_grpc_requests_total", "pde_jobs_total"} <= used
    assert used <= exported, f"not exported: {sorted(used - exported)}"
    config = yaml.safe_load(PROMETHEUS.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"pde-scoring", "pde-worker"}
    ports = {}
    for name, job in jobs.items():
        assert job["metrics_path"] == "/metrics"
        found = {
            int(t.rsplit(":", 1)[1]) for c in job.get("static_configs", ()) for t in c["targets"]
        }
        found |= {int(c["port"]) for c in job.get("dns_sd_configs", ())}
        assert len(found) == 1, f"{name}: one metrics port, not {found}"
        ports[name] = found.pop()
    # compose serves the metrics where the scrape config looks for them
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert services["scoring"]["environment"]["PDE_METRICS_PORT"] == str(ports["pde-scoring"])
    assert services["worker"]["environment"]["PDE_WORKER_METRICS_PORT"] == str(ports["pde-worker"])
    # the dashboard's job selectors name the scrape config's jobs
    dashboard = DASHBOARD.read_text()
    for job in re.findall(r'job=\\"([^"\\]+)\\"', dashboard):
        assert job in jobs


def test_metrics_each_server_process_has_its_own_port(model_dir: Path) -> None:
    from pde.server.transport.options import ServerOptions
    from pde.server.transport.processes import _numbered

    options = ServerOptions(address="127.0.0.1:0", model_dir=model_dir, metrics_port=9464)
    assert [_numbered(options, i).metrics_port for i in range(3)] == [9464, 9465, 9466]
    off = ServerOptions(address="127.0.0.1:0", model_dir=model_dir)
    assert [_numbered(off, i).metrics_port for i in range(3)] == [0, 0, 0]
