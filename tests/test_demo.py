"""The README's first command on a small portfolio: `pde demo` serves the app and the scoring
server, and one signal to it (or to `python3 dev.py demo`) stops every process it started.

The first test builds the portfolio (simulated data, a quick bundle, a seeded database) in a
temporary directory; the others reuse it, as a second `pde demo` run does.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = "400"
START_SECONDS = 300.0
STOP_SECONDS = 60.0


@dataclass(frozen=True)
class DemoSetup:
    directory: Path
    env: dict[str, str]
    grpc_address: str
    app_url: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> DemoSetup:
    """Data, models and database in a temporary directory; free ports for server and app."""
    directory = tmp_path_factory.mktemp("demo")
    grpc_port, app_port = _free_port(), _free_port()
    settings = {
        "PDE_DATA_DIR": str(directory / "data"),
        "PDE_MODEL_DIR": str(directory / "models"),
        "PDE_DATABASE_URL": f"sqlite:///{directory / 'pde.db'}",
        "PDE_GRPC_ADDRESS": f"127.0.0.1:{grpc_port}",
        "PDE_FRONTEND_HOST": "127.0.0.1",
        "PDE_FRONTEND_PORT": str(app_port),
        "PDE_LOG_LEVEL": "INFO",
    }
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PDE_")}
    return DemoSetup(
        directory=directory,
        env=inherited | settings,
        grpc_address=settings["PDE_GRPC_ADDRESS"],
        app_url=f"http://127.0.0.1:{app_port}/",
    )


def _pde() -> list[str]:
    """The `pde` entry point installed beside this interpreter."""
    script = Path(sys.executable).parent / "pde"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pde.cli.main"]


def _load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pde_test_dev", ROOT / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _no_ignored_signals() -> Iterator[None]:
    """As a supervisor starts a service: the child ignores no stop signal, even when pytest
    was started with some ignored (an ignored signal stays ignored across exec)."""
    ignored = [
        signum
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        if signal.getsignal(signum) is signal.SIG_IGN
    ]
    for signum in ignored:
        signal.signal(signum, signal.SIG_DFL)
    try:
        yield
    finally:
        for signum in ignored:
            signal.signal(signum, signal.SIG_IGN)


class Started:
    """The processes a test started, and what they started in turn."""

    def __init__(self, setup: DemoSetup) -> None:
        self.setup = setup
        self.processes: list[subprocess.Popen[bytes]] = []
        self.children: set[int] = set()

    def start(self, command: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out, _no_ignored_signals():
            process = subprocess.Popen(
                command,
                cwd=self.setup.directory,
                env=self.setup.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def kill_all(self) -> None:
        for process in self.processes:
            self.children |= _descendants(process.pid)
        for pid in self.children:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def started(setup: DemoSetup) -> Iterator[Started]:
    """Starts processes for a test; whatever is still running at its end is killed."""
    processes = Started(setup)
    yield processes
    processes.kill_all()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(no output)"


def _serving(address: str) -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=1.0
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def _sign_in_page(url: str) -> bool:
    """The app answers: `/` sends a visitor who is not signed in to the sign-in page."""
    try:
        with urllib.request.urlopen(url, timeout=2.0) as response:
            return response.status == 200 and b"Sign in" in response.read()
    except OSError:
        return False


def _wait_ready(process: subprocess.Popen[bytes], setup: DemoSetup, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited with {process.returncode}:\n{_tail(log)}"
        if _serving(setup.grpc_address) and _sign_in_page(setup.app_url):
            return
        time.sleep(1.0)
    pytest.fail(f"not SERVING and answering in {START_SECONDS:.0f} s:\n{_tail(log)}")


def _descendants(pid: int) -> set[int]:
    """Every living process below `pid` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has stopped; only its exit status is left


def _listening(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, int(port))) == 0


def _stop_and_check(
    process: subprocess.Popen[bytes], signum: signal.Signals, started: Started, log: Path
) -> int:
    """Sends one signal to `process`; every process it started must be gone, the ports free."""
    setup = started.setup
    children = _descendants(process.pid)
    started.children |= children
    assert len(children) >= 2, f"expected at least the server and the app; got {children}"
    process.send_signal(signum)
    try:
        code = process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {STOP_SECONDS:.0f} s after {signum.name}:\n{_tail(log)}")
    deadline = time.monotonic() + 5.0
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [pid for pid in children if _alive(pid)] == [], _tail(log)
    assert not _listening(setup.grpc_address)
    assert not _listening(setup.app_url.removeprefix("http://").rstrip("/"))
    return code


def test_demo_serves_the_app_and_stops_everything_on_sigterm(
    setup: DemoSetup, started: Started
) -> None:
    log = setup.directory / "pde-demo.log"
    command = [*_pde(), "demo", "--customers", CUSTOMERS, "--quick"]
    demo = started.start(command, log)
    _wait_ready(demo, setup, log)
    assert _stop_and_check(demo, signal.SIGTERM, started, log) == 0
    assert "stopping" in _tail(log)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_demo_through_dev_py_stops_every_child_on_one_signal(
    setup: DemoSetup, started: Started, signum: signal.Signals
) -> None:
    """As a supervisor or an IDE does: the signal goes to the dev.py process only."""
    if not _load_dev().venv_ready("all"):
        pytest.skip("the .venv is not current: `python3 dev.py test` installs it")
    log = setup.directory / f"dev-demo-{signum.name}.log"
    command = [sys.executable, str(ROOT / "dev.py"), "demo", "--customers", CUSTOMERS, "--quick"]
    dev = started.start(command, log)
    _wait_ready(dev, setup, log)
    assert _stop_and_check(dev, signum, started, log) == 0
    assert "stopping" in _tail(log)
