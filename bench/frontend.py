"""`pde bench frontend`: first render of each app page on a 30k-customer database.

Seeds (or reuses) a SQLite database with a synthetic scored portfolio, builds the app, and for
each page times what its first render costs on the server: the page's `layout()` plus the
callbacks that fire when it loads, called with a signed-in user's session. Prints medians.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from pde.bench.common import peak_rss_mb, time_repeated

BUDGET_S = 1.5


def _page_steps(
    modules: dict[str, Any], top_customer: str | None, bundle: str | None
) -> dict[str, tuple[str, list[Callable[[], Any]]]]:
    """{page: (role to sign in as, [layout and its initial callbacks])}."""

    def cb(module: str, name: str, *args: Any) -> Callable[[], Any]:
        found = getattr(modules[module], name)
        func = getattr(found, "__wrapped__", found)  # the callback's own function
        return lambda: func(*args)

    def lay(module: str, **kwargs: Any) -> Callable[[], Any]:
        return lambda: modules[module].layout(**kwargs)

    return {
        "Action Center (officer)": (
            "off1",
            [lay("action_center"), cb("action_center", "load_queue", "imminent", 0, 12, 0)],
        ),
        "Action Center (supervisor)": (
            "sup1",
            [lay("action_center"), cb("action_center", "load_queue", "imminent", 0, 12, 0)],
        ),
        "Risk Overview": ("sup1", [lay("overview"), cb("overview", "render", None, "product")]),
        "Customer Deep Dive": (
            "sup1",
            [lay("deep_dive", id=top_customer), cb("deep_dive", "render", top_customer, 0)],
        ),
        "Real-time Monitor": ("sup1", [lay("monitor"), cb("monitor", "refresh", 0)]),
        "Model Performance": (
            "sup1",
            [lay("model_performance"), cb("model_performance", "render", bundle)],
        ),
        "Interventions Tracker": (
            "sup1",
            [
                lay("interventions"),
                cb("interventions", "figures", "all", "all", 0),
                cb("interventions", "work_list", "open", "all", 0, 12, 0, None),
                cb("interventions", "detail", None, 0),
            ],
        ),
        "Data Management": (
            "admin",
            [lay("data_management"), cb("data_management", "refresh", 0, None)],
        ),
    }


def run(*, customers: int, db: Path, repeat: int) -> None:
    from pde.cli.console import console
    from pde.core.settings import get_settings
    from pde.db.engine import make_engine

    out = console()
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    if not db.exists():
        from pde.frontend.seed import seed_portfolio

        out.print(f"seeding {customers:,} customers into {db} (once; reused next time) ...")
        start = time.perf_counter()
        seed_portfolio(engine, customers=customers, days=5, interventions=300)
        out.print(f"  seeded in {time.perf_counter() - start:.1f} s")
    import flask

    from pde.frontend.app import create_app
    from pde.frontend.seed import USERS
    from pde.frontend.services import current
    from pde.frontend.services.access import SignedIn
    from pde.frontend.services.customer import top_risk
    from pde.frontend.services.models import current_version

    settings = get_settings().model_copy(update={"database_url": url})
    start = time.perf_counter()
    app = create_app(settings, engine=engine)
    services = app.server.extensions["pde_services"]
    services.warmed.wait(timeout=120)
    built = time.perf_counter() - start
    out.print(f"app built and its portfolio figures pre-computed in {built:.2f} s")
    modules = {
        name: sys.modules.get(f"frontend.pages.{name}") or sys.modules[f"pde.frontend.pages.{name}"]
        for name in (
            "action_center",
            "overview",
            "deep_dive",
            "monitor",
            "model_performance",
            "interventions",
            "data_management",
        )
    }
    users = {u.username: u for u in USERS}
    supervisor = next(u for u in USERS if u.username == "sup1")
    with app.server.test_request_context("/"):
        top = top_risk(
            current(), SignedIn(supervisor.username, supervisor.full_name, supervisor.role)
        )
        bundle = current_version(settings.model_dir)
    out.print(
        f"[bold]First render per page[/] ({customers:,} customers, SQLite, median of {repeat};"
        f" budget {BUDGET_S} s; model bundle: {bundle or 'none'})"
    )
    worst = 0.0
    for page, (username, steps) in _page_steps(modules, top[0][0] if top else None, bundle).items():
        user = users[username]
        with app.server.test_request_context("/"):
            flask.g.pde_user = SignedIn(user.username, user.full_name, user.role)
            current().status(fresh=True)

            def render(steps: list[Callable[[], Any]] = steps) -> None:
                for step in steps:
                    step()

            cold, _ = time_repeated(render, repeat=1)  # the page's first visit
            timing, _ = time_repeated(render, repeat=repeat)
        worst = max(worst, timing.median, cold.median)
        verdict = "ok" if max(timing.median, cold.median) <= BUDGET_S else "OVER BUDGET"
        out.print(
            f"  {page:<28} first {cold.median * 1000:7.1f} ms · median {timing.median * 1000:7.1f}"
            f" ms (min {min(timing.seconds) * 1000:.1f})  {verdict}"
        )
    client = app.server.test_client()
    timing, _ = time_repeated(lambda: client.get("/login"), repeat=repeat)
    out.print(f"  {'sign-in page (HTTP)':<28} {timing.median * 1000:8.1f} ms")
    out.print(
        f"slowest page {worst * 1000:.0f} ms (budget {BUDGET_S * 1000:.0f} ms);"
        f" peak memory {peak_rss_mb():.0f} MiB"
    )


def load(
    *,
    customers: int,
    db: Path,
    users: int,
    workers: int,
    redis_url: str | None,
    rounds: int,
    think: float,
) -> None:
    """N people at once against `pde frontend --workers W` (see frontend_load)."""
    from pde.bench import frontend_app as app_process
    from pde.bench import frontend_load as bench
    from pde.cli.console import console
    from pde.db.engine import make_engine

    out = console()
    if not db.exists():
        from pde.frontend.seed import seed_portfolio

        out.print(f"seeding {customers:,} customers into {db} (once; reused next time) ...")
        seed_portfolio(
            make_engine(f"sqlite:///{db}"), customers=customers, days=5, interventions=300
        )
    if redis_url:
        app_process.clear_shared_cache(redis_url)  # a cold start: the first visitors fill it
    port = app_process.free_port()
    base = f"http://127.0.0.1:{port}"
    log = db.with_suffix(".app.log")
    child = app_process.start_app(db, workers=workers, redis_url=redis_url, port=port, log=log)
    try:
        app_process.wait_ready(base, child)
        out.print(
            f"[bold]{users} users at once[/] on {base} ({workers} gunicorn workers, cache"
            f" {'in Redis' if redis_url else 'per process'}; {customers:,} customers, SQLite;"
            f" {rounds} walk(s) of every page each, {think:.1f} s pauses)"
        )
        results, wall, cpu = bench.drive(
            base,
            users=users,
            rounds=rounds,
            think=think,
            cpu=lambda: app_process.cpu_seconds(child.pid),
        )
    finally:
        child.terminate()
        child.wait(timeout=30)
    requests = len(results.pages) * 2 + len(results.callbacks)
    rows = (
        ("page load", results.pages, bench.PAGE_BUDGET_S),
        ("callback", results.callbacks, bench.CALLBACK_BUDGET_S),
        ("sign-in", results.sign_ins, None),
    )
    for name, values, budget in rows:
        p95 = bench.percentile(values, 0.95)
        verdict = "" if budget is None else ("ok" if p95 <= budget else "OVER BUDGET")
        out.print(
            f"  {name:<10} n={len(values):5d}  p50 {bench.percentile(values, 0.5) * 1000:7.0f} ms"
            f"  p95 {p95 * 1000:7.0f} ms  max {max(values, default=0) * 1000:7.0f} ms"
            + (f"  (budget {budget * 1000:.0f} ms) {verdict}" if budget else "")
        )
    out.print(
        f"  errors {len(results.errors)}; {requests / wall:.1f} requests/s over {wall:.0f} s;"
        f" the app's CPU {cpu * 1000 / max(requests, 1):.0f} ms per request"
        f" ({cpu / wall:.2f} cores busy; machine load {os.getloadavg()[0]:.1f})"
    )
    slowest = sorted(results.by_callback.items(), key=lambda kv: -bench.percentile(kv[1], 0.95))[:5]
    out.print(
        "  slowest callbacks (p95): "
        + ", ".join(f"{name} {bench.percentile(v, 0.95) * 1000:.0f} ms" for name, v in slowest)
    )
    for error in results.errors[:10]:
        out.print(f"    {error}")
    if results.errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    @app.command(name="frontend")
    def frontend(
        customers: int = typer.Option(30_000, "--customers", min=100, help="Portfolio size."),
        db: Path | None = typer.Option(None, "--db", help="SQLite file (seeded when missing)."),
        repeat: int = typer.Option(5, "--repeat", min=1, help="Timed renders per page."),
        users: int = typer.Option(
            0, "--users", min=0, max=500, help="People at once over HTTP (0: per-page renders)."
        ),
        workers: int = typer.Option(2, "--workers", min=1, max=16, help="App processes."),
        redis_url: str | None = typer.Option(
            None, "--redis-url", help="Shared cache [PDE_REDIS_URL]; 'none' for per process."
        ),
        rounds: int = typer.Option(2, "--rounds", min=1, help="Walks of every page per user."),
        think: float = typer.Option(5.0, "--think", min=0.0, help="Seconds between pages."),
    ) -> None:
        """First render of each app page; with --users, N people at once over HTTP."""
        path = db or Path("var") / "bench" / f"frontend-{customers}.db"
        if users:
            from pde.core.settings import get_settings

            url = redis_url or get_settings().redis_url
            load(
                customers=customers,
                db=path,
                users=users,
                workers=workers,
                redis_url=None if url == "none" else url,
                rounds=rounds,
                think=think,
            )
        else:
            run(customers=customers, db=path, repeat=repeat)
