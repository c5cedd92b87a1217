"""deploy/k8s cannot be applied here (no cluster): the manifests are parsed (PyYAML) and checked
against the settings, the CLI, the server's health service names and the Dockerfiles."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from pde.core.addresses import grpc_target
from pde.core.settings import Settings

_spec = importlib.util.spec_from_file_location(
    "pde_test_deployment_checks", Path(__file__).resolve().parent / "deployment_checks.py"
)
assert _spec and _spec.loader
checks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checks)

K8S = checks.ROOT / "deploy" / "k8s"
IMAGES = {"pde-server": "Dockerfile.server", "pde-frontend": "Dockerfile.frontend"}
IMAGES["pde-worker"] = "Dockerfile.worker"
SECRETS = {"PDE_GRPC_TOKEN", "PDE_SECRET_KEY", "PDE_DATABASE_URL", "PDE_REDIS_URL"}


def documents() -> list[dict[str, Any]]:
    found = []
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    for name in sorted(listed):
        found += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return found


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def pod_spec(document: dict[str, Any]) -> dict[str, Any]:
    if document["kind"] == "CronJob":
        document = document["spec"]["jobTemplate"]
    spec: dict[str, Any] = document["spec"]["template"]["spec"]
    return spec


def containers() -> list[tuple[str, dict[str, Any]]]:
    kinds = ("Deployment", "Job", "CronJob")
    return [
        (d["metadata"]["name"], c)
        for d in documents()
        if d["kind"] in kinds
        for c in pod_spec(d)["containers"]
    ]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    """The container's variables: the ConfigMap's (envFrom) overridden by its own."""
    config = by_kind("ConfigMap")
    values: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        values.update(config[source["configMapRef"]["name"]]["data"])
    for item in container.get("env", []):
        values[item["name"]] = item.get("value", item.get("valueFrom"))
    return values


def test_k8s_workloads_present() -> None:
    assert set(by_kind("Deployment")) == {"pde-scoring", "pde-app", "pde-worker"}
    assert set(by_kind("Service")) == {"pde-scoring", "pde-app"}
    assert set(by_kind("CronJob")) == {"pde-nightly"}
    assert set(by_kind("Job")) == {"pde-migrate"}
    assert not by_kind("Secret")  # secrets are created apart and referenced


@pytest.mark.parametrize("index", range(5))
def test_k8s_images_commands_and_settings(index: int) -> None:
    name, container = containers()[index]
    image, _, tag = container["image"].partition(":")
    assert image in IMAGES and (checks.ROOT / IMAGES[image]).is_file(), name
    assert tag == checks.project()["version"], name
    assert container["command"][0] == "pde", name
    checks.resolve_command(container["command"][1:])
    env = env_of(container)
    checks.check_settings(env, name)
    for key in SECRETS & set(env):
        assert env[key]["secretKeyRef"]["name"] == "pde-secrets", f"{name}: {key} not by reference"


def test_k8s_every_container_is_listed() -> None:
    assert len(containers()) == 5


def test_k8s_scoring_ports_probes_and_service() -> None:
    from pde.server.transport.app import SERVICE_NAME

    deployment = by_kind("Deployment")["pde-scoring"]
    [container] = pod_spec(deployment)["containers"]
    port = int(env_of(container)["PDE_GRPC_ADDRESS"].rsplit(":", 1)[1])
    metrics = int(env_of(container)["PDE_METRICS_PORT"])
    assert container["ports"] == [
        {"name": "grpc", "containerPort": port},
        {"name": "metrics", "containerPort": metrics},
    ]
    assert container["readinessProbe"]["grpc"] == {"port": port, "service": SERVICE_NAME}
    for probe in ("livenessProbe", "startupProbe"):
        assert container[probe]["grpc"] == {"port": port, "service": ""}, probe
    service = by_kind("Service")["pde-scoring"]
    assert service["spec"]["clusterIP"] == "None"  # headless: clients see every pod
    assert service["spec"]["selector"] == deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["ports"] == [{"name": "grpc", "port": port, "targetPort": "grpc"}]
    for client in ("pde-app", "pde-worker"):
        [other] = pod_spec(by_kind("Deployment")[client])["containers"]
        address = env_of(other)["PDE_GRPC_ADDRESS"]
        assert address == f"dns:///pde-scoring:{port}" and grpc_target(address) == address
    hpa = by_kind("HorizontalPodAutoscaler")["pde-scoring"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "pde-scoring",
    }
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def test_k8s_app_ports_probes_and_jobs() -> None:
    from pde.frontend.auth import PUBLIC_PREFIXES

    [container] = pod_spec(by_kind("Deployment")["pde-app"])["containers"]
    env = env_of(container)
    port = int(env["PDE_FRONTEND_PORT"])
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    for probe in ("livenessProbe", "readinessProbe"):
        check = container[probe]["httpGet"]
        assert check["port"] == "http" and check["path"].startswith(PUBLIC_PREFIXES)
    assert Settings(app_runs_jobs=env["PDE_APP_RUNS_JOBS"]).app_runs_jobs is False
    service = by_kind("Service")["pde-app"]
    assert service["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]
    mounts = {m["mountPath"]: m.get("readOnly", False) for m in container["volumeMounts"]}
    assert mounts == {env["PDE_MODEL_DIR"]: False, env["PDE_DATA_DIR"]: True}


def test_k8s_worker_and_nightly() -> None:
    [worker] = pod_spec(by_kind("Deployment")["pde-worker"])["containers"]
    assert worker["command"] == ["pde", "jobs", "worker"]  # the CronJob queues the nightly run
    env = env_of(worker)
    assert all(not m.get("readOnly") for m in worker["volumeMounts"])
    assert {m["mountPath"] for m in worker["volumeMounts"]} == {
        env["PDE_MODEL_DIR"],
        env["PDE_DATA_DIR"],
    }
    cron = by_kind("CronJob")["pde-nightly"]
    [enqueue] = pod_spec(cron)["containers"]
    assert enqueue["command"] == ["pde", "jobs", "enqueue", "nightly"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    minute, hour, *rest = cron["spec"]["schedule"].split()
    assert 0 <= int(minute) < 60 and 0 <= int(hour) < 24 and rest == ["*", "*", "*"]
    # the job records the caller's data directory: the worker's
    assert env_of(enqueue)["PDE_DATA_DIR"] == env["PDE_DATA_DIR"]


def test_k8s_volumes_are_claimed() -> None:
    claims = by_kind("PersistentVolumeClaim")
    for document in documents():
        if document["kind"] in ("Deployment", "Job", "CronJob"):
            for volume in pod_spec(document).get("volumes", []):
                assert volume["persistentVolumeClaim"]["claimName"] in claims
            assert pod_spec(document)["securityContext"]["runAsNonRoot"] is True
