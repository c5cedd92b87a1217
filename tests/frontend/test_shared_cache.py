"""The portfolio cache: in the process by default, shared through a real Redis by the worker
processes of `pde frontend --workers 2` (gunicorn), and a Redis that is down never fails a page."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from pde.bench import frontend_app, frontend_load
from pde.frontend.services.cache import LocalCache, RedisCache, make_cache

REDIS_URL = os.environ.get("PDE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is not running at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    return client


def test_the_cache_is_in_the_process_without_a_redis_url() -> None:
    cache = make_cache(None, namespace="db")
    assert isinstance(cache, LocalCache)
    calls: list[int] = []
    for _ in range(3):
        assert cache.get_or_compute("k", lambda: calls.append(1) or 7, ttl=60) == 7
    assert len(calls) == 1


def test_a_redis_that_is_down_computes_in_the_process() -> None:
    cache = RedisCache("redis://127.0.0.1:1/0", namespace="db")  # nothing listens there
    assert cache.get_or_compute("k", lambda: 41 + 1, ttl=60) == 42
    assert cache.get_or_compute("k", lambda: 0, ttl=60) == 42  # then the local copy


def test_two_caches_share_values_and_namespaces_keep_databases_apart() -> None:
    client = _redis()
    for key in client.scan_iter("pde:cache:*"):
        client.delete(key)
    one = RedisCache(REDIS_URL, namespace="sqlite:///a.db")
    two = RedisCache(REDIS_URL, namespace="sqlite:///a.db")
    other = RedisCache(REDIS_URL, namespace="sqlite:///b.db")
    assert one.get_or_compute(("kpis", 1), lambda: {"n": 1}, ttl=60) == {"n": 1}
    assert two.get_or_compute(("kpis", 1), lambda: {"n": 2}, ttl=60) == {"n": 1}
    assert other.get_or_compute(("kpis", 1), lambda: {"n": 3}, ttl=60) == {"n": 3}
    assert (one.misses, two.hits, other.misses) == (1, 1, 1)


@pytest.fixture
def two_workers(portfolio: tuple[str, Engine], tmp_path: Path) -> Iterator[tuple[str, int]]:
    """`pde frontend --workers 2` over the test portfolio, its cache in Redis."""
    client = _redis()
    for key in client.scan_iter("pde:cache:*"):
        client.delete(key)
    db = Path(portfolio[0].removeprefix("sqlite:///"))
    port = frontend_app.free_port()
    child = frontend_app.start_app(
        db, workers=2, redis_url=REDIS_URL, port=port, log=tmp_path / "app.log"
    )
    base = f"http://127.0.0.1:{port}"
    try:
        frontend_app.wait_ready(base, child)
        yield base, child.pid
    finally:
        child.terminate()
        child.wait(timeout=30)
        print((tmp_path / "app.log").read_text()[-3000:])


def _workers(pid: int) -> int:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return len(found.stdout.split())


def test_two_gunicorn_workers_serve_the_figures_one_of_them_put_in_redis(
    two_workers: tuple[str, int],
) -> None:
    base, pid = two_workers
    assert _workers(pid) == 2
    client = _redis()
    results = frontend_load.Results()
    first = frontend_load.Person(base, "sup1", results)
    first.sign_in()
    deps = json.loads(first.request("/_dash-dependencies"))
    first.request("/_dash-update-component", _overview_render(deps))
    keys = list(client.scan_iter("pde:cache:*"))
    assert keys, "the overview's figures were not cached in Redis"
    # The score KPIs are one entry: change the customer count in Redis; then every worker
    # (each request is a new connection, spread over both) must show the changed count.
    changed = 0
    for key in keys:
        value = pickle.loads(client.get(key))
        if type(value).__name__ == "ScoreFigures":
            client.set(key, pickle.dumps(replace(value, customers=987_654)), px=600_000)
            changed += 1
    assert changed == 1
    shown = []
    for _ in range(8):
        person = frontend_load.Person(base, "sup1", results)
        person.sign_in()
        body = person.request("/_dash-update-component", _overview_render(deps)).decode()
        shown.append("987,654" in body)
    assert all(shown), "a worker computed the figures itself instead of reading Redis"
    assert not results.errors


def _overview_render(deps: list[dict[str, Any]]) -> dict[str, Any]:
    """The Overview's render callback for the whole portfolio by product."""
    dep = next((d for d in deps if d["output"].startswith("..ro-body.children")), None)
    assert dep is not None, f"no Overview callback among {sorted(d['output'] for d in deps)}"
    values = {"ro-segment": None, "ro-dimension": "product"}
    return {
        "output": dep["output"],
        "outputs": frontend_load._outputs(dep["output"]),
        "inputs": [
            {"id": i["id"], "property": i["property"], "value": values.get(i["id"])}
            for i in dep["inputs"]
        ],
        "state": [],
        "changedPropIds": [],
    }
