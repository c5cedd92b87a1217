"""`pde demo`: runs the engine end to end on the embedded default, as far as it is built.

Each stage runs the real `pde` command in its own process (so each has its own settings, as in
production); the scoring server and the app run as child processes until Ctrl-C, then both are
stopped cleanly. Stages whose output already exists are reused unless `--fresh` is given.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import typer

from pde.cli.console import console
from pde.core.errors import PdeError
from pde.core.settings import Settings, get_settings

SERVER_START_SECONDS = 120.0


@dataclass
class Demo:
    settings: Settings
    customers: int
    quick: bool
    fresh: bool
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def built(self, command: str) -> bool:
        from pde.cli.stub import NOT_BUILT  # filled when the CLI was built, before this ran

        return f"pde {command}" not in NOT_BUILT

    def step(self, title: str, command: str) -> bool:
        if self.built(command):
            console().print(f"[bold]>> {title}[/]")
            return True
        console().print(f"[yellow]not built yet:[/] {title} (`pde {command}`)")
        self.skipped.append(title)
        return False

    def run(self, *args: str) -> None:
        result = subprocess.run([sys.executable, "-m", "pde.cli.main", *args], check=False)
        if result.returncode != 0:
            raise PdeError(f"`pde {' '.join(args)}` failed with exit code {result.returncode}")

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        child = subprocess.Popen([sys.executable, "-m", "pde.cli.main", *args])
        self.children.append(child)
        return child

    def stop_all(self) -> None:
        for child in reversed(self.children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in reversed(self.children):
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        self.children.clear()


def _simulate(demo: Demo) -> bool:
    data_dir = demo.settings.data_dir
    if not demo.step("simulate behavioural data", "simulate"):
        return (data_dir / "customers.parquet").exists()
    if (data_dir / "customers.parquet").exists() and not demo.fresh:
        console().print(f"   using the data in {data_dir} (--fresh to regenerate)")
        return True
    demo.run("simulate", "--customers", str(demo.customers), "--out", str(data_dir))
    return True


def _train(demo: Demo, have_data: bool) -> bool:
    model_dir = demo.settings.model_dir
    if not demo.step("train the ensemble and export the ONNX bundle", "train"):
        return (model_dir / "current").exists()
    if (model_dir / "current").exists() and not demo.fresh:
        console().print(f"   using the current bundle in {model_dir} (--fresh to retrain)")
        return True
    if not have_data:
        raise PdeError("no data to train on")
    args = ["train", "--data", str(demo.settings.data_dir)]
    demo.run(*args, *(["--quick"] if demo.quick else []))
    return True


def _database(demo: Demo) -> bool:
    if not demo.step("migrate the database and seed demo users", "db"):
        return False
    demo.run("db", "upgrade")
    if _has_users():
        console().print("   the database already has users: sign in with yours")
    else:
        demo.run("db", "seed-demo")
    return True


def _has_users() -> bool:
    from sqlmodel import func, select

    from pde.db.engine import session_scope
    from pde.db.models import User

    with session_scope() as session:
        return bool(session.exec(select(func.count()).select_from(User)).one())


def _serve(demo: Demo) -> bool:
    if not demo.step("start the scoring server", "serve"):
        return False
    from pde.client.probe import probe

    child = demo.start("serve")
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise PdeError(f"the scoring server exited with code {child.returncode}")
        if probe(demo.settings.grpc_address, timeout=1.0):
            console().print(f"   scoring server SERVING on {demo.settings.grpc_address}")
            return True
        time.sleep(0.5)
    raise PdeError("the scoring server did not become SERVING in time")


def _score_portfolio(demo: Demo) -> None:
    if demo.step("score the portfolio into the database", "score-portfolio"):
        # four weekly dates, so the app's trends and rising-risk lists have history
        demo.run("score-portfolio", "--weeks", "4")


def _frontend(demo: Demo) -> bool:
    if not demo.step("start the risk officers' app", "frontend"):
        return False
    demo.start("frontend")
    s = demo.settings
    console().print(f"   the app is at http://{s.frontend_host}:{s.frontend_port}/")
    return True


def _skip(demo: Demo, title: str, needs: str) -> None:
    console().print(f"[yellow]skipped:[/] {title} (needs {needs})")
    demo.skipped.append(title)


def demo(
    customers: int = typer.Option(30_000, "--customers", min=100, help="Simulated customers."),
    quick: bool = typer.Option(False, "--quick", help="Quick training (for a fast look)."),
    fresh: bool = typer.Option(False, "--fresh", help="Regenerate data and retrain."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Keep running until Ctrl-C."),
) -> None:
    """Run everything end to end on the embedded default (SQLite, files under ./var)."""
    settings = get_settings()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    run = Demo(settings=settings, customers=customers, quick=quick, fresh=fresh)
    try:
        have_data = _simulate(run)
        have_bundle = _train(run, have_data)
        have_db = _database(run)
        serving = have_bundle and _serve(run)
        if not have_bundle:
            _skip(run, "start the scoring server", "a model bundle")
        if serving and have_db:
            _score_portfolio(run)
        else:
            _skip(run, "score the portfolio", "the scoring server and the database")
        app = have_db and _frontend(run)
        if not have_db:
            _skip(run, "start the risk officers' app", "the database")
        if run.skipped:
            console().print(
                f"[yellow]{len(run.skipped)} stage(s) not built yet or skipped[/]; "
                "everything built so far ran."
            )
        if (serving or app) and wait:
            console().print("running; press Ctrl-C to stop")
            while all(child.poll() is None for child in run.children):
                time.sleep(0.5)
            raise PdeError("a demo process exited unexpectedly")
    except KeyboardInterrupt:
        console().print("stopping")
    finally:
        run.stop_all()


def register(app: typer.Typer) -> None:
    app.command(name="demo")(demo)
