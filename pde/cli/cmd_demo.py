"""`pde demo`: runs the engine end to end on the embedded default.

Each stage runs the real `pde` command in its own process (so each has its own settings, as in
production); the scoring server and the app run as child processes until Ctrl-C or SIGTERM
(a supervisor, an IDE) or SIGHUP (a closed terminal), then both are stopped cleanly. Stages
whose output already exists are reused unless `--fresh` is given.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import typer

from pde.cli.console import console
from pde.core.errors import PdeError
from pde.core.settings import Settings, get_settings

SERVER_START_SECONDS = 120.0
APP_START_SECONDS = 60.0
STOP_SECONDS = 30.0
# Besides Ctrl-C (SIGINT); SIGHUP does not exist on Windows.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@dataclass
class Demo:
    settings: Settings
    customers: int
    quick: bool
    fresh: bool
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def run(self, *args: str) -> None:
        result = subprocess.run([sys.executable, "-m", "pde.cli.main", *args], check=False)
        if result.returncode != 0:
            raise PdeError(f"`pde {' '.join(args)}` failed with exit code {result.returncode}")

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        child = subprocess.Popen([sys.executable, "-m", "pde.cli.main", *args])
        self.children.append(child)
        return child

    def stop_all(self) -> None:
        """SIGTERM to every child still running, newest first; SIGKILL after STOP_SECONDS."""
        for child in reversed(self.children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in reversed(self.children):
            try:
                child.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.children.clear()


SECRET_FILE = "secret_key"
GRPC_TOKEN_FILE = "grpc_token"


def demo_secret(directory: Path, name: str = SECRET_FILE) -> str:
    """A demo secret (the app's key, the scoring server's token): made once at random and kept
    in `directory/<name>`, readable by its owner only (0600), so the demo's sessions survive a
    restart of the demo."""
    path = directory / name
    directory.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        path.chmod(0o600)
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= 32:
            return key
        path.unlink()
        return demo_secret(directory, name)
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def demo_environment(settings: Settings) -> None:
    """Development mode, said explicitly, the demo's own random app key and scoring token
    (unless the caller set PDE_ENV, PDE_SECRET_KEY or PDE_GRPC_TOKEN): every stage inherits
    them, so the app's promotions can reload the server (ReloadModel needs a token)."""
    os.environ.setdefault("PDE_ENV", "development")
    if "PDE_SECRET_KEY" not in os.environ:
        os.environ["PDE_SECRET_KEY"] = demo_secret(settings.data_dir.parent)
    if "PDE_GRPC_TOKEN" not in os.environ:
        os.environ["PDE_GRPC_TOKEN"] = demo_secret(settings.data_dir.parent, GRPC_TOKEN_FILE)
    get_settings.cache_clear()


def _stage(title: str) -> None:
    console().print(f"[bold]>> {title}[/]")


@contextmanager
def _stop_like_ctrl_c() -> Iterator[None]:
    """SIGTERM and SIGHUP raise KeyboardInterrupt, so they stop the demo as Ctrl-C does
    (a signal ignored when the demo started, as SIGHUP under nohup, stays ignored)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {
        signum: signal.signal(signum, interrupt)
        for signum in STOP_SIGNALS
        if signal.getsignal(signum) is not signal.SIG_IGN
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def _uninterrupted() -> Iterator[None]:
    """Ignores Ctrl-C, SIGTERM and SIGHUP while the children are being stopped: a second
    signal must not leave them running."""
    signals = (signal.SIGINT, *STOP_SIGNALS)
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in signals}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _simulate(demo: Demo) -> None:
    _stage("simulate behavioural data")
    data_dir = demo.settings.data_dir
    if (data_dir / "customers.parquet").exists() and not demo.fresh:
        console().print(f"   using the data in {data_dir} (--fresh to regenerate)")
        return
    demo.run("simulate", "--customers", str(demo.customers), "--out", str(data_dir))


def _train(demo: Demo) -> None:
    _stage("train the ensemble and export the ONNX bundle")
    model_dir = demo.settings.model_dir
    if (model_dir / "current").exists() and not demo.fresh:
        console().print(f"   using the current bundle in {model_dir} (--fresh to retrain)")
        return
    quick = ["--quick"] if demo.quick else []
    demo.run("train", "--data", str(demo.settings.data_dir), *quick)


def _database(demo: Demo) -> None:
    _stage("migrate the database and seed demo users")
    demo.run("db", "upgrade")
    if _has_users():
        console().print("   the database already has users: sign in with yours")
    else:
        demo.run("db", "seed-demo")


def _has_users() -> bool:
    from sqlmodel import func, select

    from pde.db.engine import session_scope
    from pde.db.models import User

    with session_scope() as session:
        return bool(session.exec(select(func.count()).select_from(User)).one())


def _wait_until(
    ready: Callable[[], bool], *, child: subprocess.Popen[bytes], what: str, seconds: float
) -> None:
    """Polls `ready` until it holds; fails when the child exits or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise PdeError(f"{what} exited with code {child.returncode}")
        if ready():
            return
        time.sleep(0.5)
    raise PdeError(f"{what} did not start in {seconds:.0f} s")


def _serve(demo: Demo) -> None:
    _stage("start the scoring server")
    from pde.client.probe import probe

    address = demo.settings.grpc_address
    child = demo.start("serve")
    _wait_until(
        lambda: probe(address, timeout=1.0),
        child=child,
        what="the scoring server",
        seconds=SERVER_START_SECONDS,
    )
    console().print(f"   scoring server SERVING on {address}")


def _score_portfolio(demo: Demo) -> None:
    _stage("score the portfolio into the database")
    # four weekly dates, so the app's trends and rising-risk lists have history
    demo.run("score-portfolio", "--weeks", "4")


def app_url(settings: Settings) -> str:
    """Where the app answers on this machine (a wildcard bind is reached on loopback)."""
    host = settings.frontend_host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{settings.frontend_port}/"


def app_answers(url: str, *, timeout: float = 2.0) -> bool:
    """True when the app gives an HTTP answer other than a server error."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status) < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:  # refused, reset or timed out: not listening yet
        return False


def _frontend(demo: Demo) -> None:
    _stage("start the risk officers' app")
    url = app_url(demo.settings)
    child = demo.start("frontend")
    _wait_until(lambda: app_answers(url), child=child, what="the app", seconds=APP_START_SECONDS)
    console().print(f"   the app is at {url}")


def demo(
    customers: int = typer.Option(30_000, "--customers", min=100, help="Simulated customers."),
    quick: bool = typer.Option(False, "--quick", help="Quick training (for a fast look)."),
    fresh: bool = typer.Option(False, "--fresh", help="Regenerate data and retrain."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Keep running until Ctrl-C."),
) -> None:
    """Run everything end to end on the embedded default (SQLite, files under ./var)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    demo_environment(get_settings())
    run = Demo(settings=get_settings(), customers=customers, quick=quick, fresh=fresh)
    with _stop_like_ctrl_c():
        try:
            _simulate(run)
            _database(run)  # first: training registers its bundle (and promotes the first one)
            _train(run)
            _serve(run)
            _score_portfolio(run)
            _frontend(run)
            if wait:
                console().print("running; press Ctrl-C to stop")
                while all(child.poll() is None for child in run.children):
                    time.sleep(0.5)
                raise PdeError("a demo process exited unexpectedly")
        except KeyboardInterrupt:
            console().print("stopping")
        finally:
            with _uninterrupted():
                run.stop_all()


def register(app: typer.Typer) -> None:
    app.command(name="demo")(demo)
