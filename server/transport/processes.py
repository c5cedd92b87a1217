"""`pde serve --processes N`: N scoring server processes on one port, for machines with more
cores than one process can use (a process's Python work holds its GIL; onnxruntime releases
it, but decoding, checks and encoding do not).

As gRPC's own multiprocessing example does it: the parent forks the workers before any gRPC
server or channel exists in it (gRPC's threads do not survive a fork), and each worker binds
the same address with SO_REUSEPORT, so that the kernel spreads new connections over them.
Each worker loads its own bundle (its own ONNX sessions) and runs the ordinary single-process
lifecycle (`pde.server.transport.app.serve`), with its own Prometheus metrics port
(PDE_METRICS_PORT + its index, see `pde.server.prometheus`). The parent only supervises:
SIGTERM / SIGINT / SIGHUP are passed on to every worker, and when one worker dies the others
are stopped, so that the orchestrator sees the service down instead of a silent loss of
capacity.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Iterator
from types import FrameType

from pde.core.errors import PdeError
from pde.server.transport.app import serve
from pde.server.transport.options import ServerOptions

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
PR_SET_PDEATHSIG = 1


class ProcessesError(PdeError):
    """The address cannot be shared between processes, or a worker failed."""


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ProcessesError(f"--processes needs a host:port address, got {address!r}")
    return host.strip("[]"), int(port)


@contextlib.contextmanager
def reserved_port(address: str) -> Iterator[str]:
    """The address with its port fixed: port 0 becomes a free port, held (with SO_REUSEPORT,
    so that the workers can bind it too) until the block ends."""
    host, port = _split(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            holder.bind((host, port))
        except OSError as exc:
            raise ProcessesError(f"cannot bind {address}: {exc}") from None
        bound = holder.getsockname()[1]
        yield f"[{host}]:{bound}" if family == socket.AF_INET6 else f"{host}:{bound}"


def _stop_with_parent() -> None:
    """Asks the kernel to send this process SIGTERM when its parent dies (Linux), so that a
    killed supervisor leaves no server behind."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _worker(options: ServerOptions) -> None:
    _stop_with_parent()
    serve(options)


def _numbered(options: ServerOptions, index: int) -> ServerOptions:
    """Worker `index`'s options: its own metrics port (PDE_METRICS_PORT + index), if any."""
    if not options.metrics_port:
        return options
    return dataclasses.replace(options, metrics_port=options.metrics_port + index)


def serve_processes(options: ServerOptions, processes: int) -> int:
    """Runs `processes` workers on options.address until SIGTERM / SIGINT; returns the exit
    code: 0 when every worker stopped cleanly."""
    if processes < 1:
        raise ProcessesError(f"--processes must be at least 1, got {processes}")
    context = multiprocessing.get_context("fork")
    with reserved_port(options.address) as address:
        shared = dataclasses.replace(options, address=address, reuse_port=True)
        workers = [
            context.Process(
                target=_worker,
                args=(_numbered(shared, i),),
                name=f"pde-serve-{i}",
                daemon=False,
            )
            for i in range(processes)
        ]
        for worker in workers:
            worker.start()
        log.info(
            "%d server processes on %s: %s",
            processes,
            address,
            ", ".join(str(w.pid) for w in workers),
        )
        stopping = False

        def forward(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = stopping or signum != signal.SIGHUP
            for worker in workers:
                if worker.pid is not None and worker.is_alive():
                    os.kill(worker.pid, signum)

        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, forward)
        while any(w.is_alive() for w in workers):
            dead = [w for w in workers if not w.is_alive()]
            if dead and not stopping:
                log.error(
                    "server process %s exited with %s: stopping the others",
                    dead[0].pid,
                    dead[0].exitcode,
                )
                forward(signal.SIGTERM, None)
            time.sleep(POLL_SECONDS)
    codes = [w.exitcode for w in workers]
    log.info("server processes stopped: exit codes %s", codes)
    return 0 if stopping and all(code == 0 for code in codes) else 1
