"""The bundle's native tree models in a process of their own: explanations and parity checks.

Scoring needs only the ONNX graphs. The native libraries (CatBoost, XGBoost, LightGBM, and
what they import) and their models are only for SHAP explanations and the load-time parity
check, and they take most of a server's memory: imported in the scoring process they would
more than double its resident size (measured by `pde bench grpc`). So each loaded bundle starts
one explainer process (`python -m pde.server.explainer`) that loads the three native models
and answers `probability` and `contributions` calls over a private socket pair; the scoring
process holds a `RemoteModel` per member, with the same interface as an in-process model.

The process starts when the bundle starts loading (its libraries import while the ONNX
sessions are built) and ends when the bundle is closed, when its owner is garbage collected,
or when the server exits (it reads end of file on its socket). When it dies (a native library
crashing on a row), the call fails with ScoringError and the next call starts a new process.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import weakref
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pde.contracts.bundle import BundleError
from pde.server.errors import ScoringError
from pde.server.native import F32, F64, THREADS, NativeModel, load_native

# Seconds a starting process may take to import the libraries and load the models.
START_SECONDS = 120.0


def _stop(process: subprocess.Popen[bytes], connection: Connection) -> None:
    with contextlib.suppress(OSError):
        connection.close()  # the process reads end of file and exits
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class _Process:
    """One running explainer process and its end of the socket pair."""

    def __init__(self, directory: Path, files: dict[str, Path]) -> None:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pde.server.explainer", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
            self.connection = Connection(os.dup(ours.fileno()))
        self.connection.send(("load", {name: str(path) for name, path in files.items()}))
        self.directory = directory
        self.loaded = False
        self.broken = False  # the process ended or stopped answering
        self._finalizer = weakref.finalize(self, _stop, self.process, self.connection)

    def call(self, op: str, *args: Any) -> Any:
        """Sends one call and returns its result (the process answers them in order)."""
        if not self.loaded:
            self._reply(BundleError, timeout=START_SECONDS)
            self.loaded = True
        try:
            self.connection.send((op, args))
        except OSError:
            self.broken = True
            raise ScoringError(f"{self.directory}: the native models' process ended") from None
        return self._reply(ScoringError)

    def _reply(self, error: type[Exception], *, timeout: float | None = None) -> Any:
        try:
            if timeout is not None and not self.connection.poll(timeout):
                self.broken = True
                raise error(f"{self.directory}: the native models did not load in {timeout:g} s")
            status, value = self.connection.recv()
        except (EOFError, OSError):
            self.broken = True
            code = self.process.poll()
            raise error(
                f"{self.directory}: the native models' process ended"
                + (f" with exit code {code}" if code is not None else "")
            ) from None
        if status != "ok":
            raise error(f"{self.directory}: {value}")
        return value

    def close(self) -> None:
        self._finalizer()


class Explainer:
    """The native models of one bundle, served by an explainer process; thread-safe (calls
    are answered one at a time, as the libraries were called before)."""

    def __init__(self, directory: Path, files: dict[str, Path]) -> None:
        self._directory = directory
        self._files = files
        self._lock = threading.Lock()
        self._closed = False
        self._process: _Process | None = _Process(directory, files)

    def call(self, op: str, *args: Any) -> Any:
        with self._lock:
            if self._closed:
                raise ScoringError(f"{self._directory}: the bundle was replaced; call again")
            if self._process is None:  # the previous one died
                self._process = _Process(self._directory, self._files)
            process = self._process
            try:
                return process.call(op, *args)
            except (ScoringError, BundleError):
                if process.broken or not process.loaded:
                    process.close()
                    self._process = None
                raise

    def ready(self) -> None:
        """Waits until the models are loaded; BundleError when they cannot be."""
        self.call("ping")

    def predict_file(self, library: str, path: Path, x: F32) -> F64:
        """The class-1 probability of the `library` model in file `path` (loaded for this
        call, in the explainer process): the uplift arms' parity check."""
        result: F64 = self.call("predict_file", library, str(path), x)
        return result

    def model(self, name: str) -> NativeModel:
        return RemoteModel(self, name)

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.process.pid if process is not None else None

    def close(self) -> None:
        """Ends the process (after the call in flight, if any); later calls fail."""
        with self._lock:
            self._closed = True
            if self._process is not None:
                self._process.close()
                self._process = None


class RemoteModel:
    """One member's native model, in the explainer process."""

    def __init__(self, explainer: Explainer, name: str) -> None:
        self._explainer = explainer
        self._name = name

    def probability(self, x: F32) -> F64:
        result: F64 = self._explainer.call("probability", self._name, x)
        return result

    def contributions(self, x: F32, *, threads: int = THREADS) -> F64:
        result: F64 = self._explainer.call("contributions", self._name, x, threads)
        return result


def _answer(models: dict[str, NativeModel], op: str, args: tuple[Any, ...]) -> Any:
    if op == "ping":
        return None
    if op == "probability":
        name, x = args
        return models[name].probability(x)
    if op == "contributions":
        name, x, threads = args
        return models[name].contributions(x, threads=threads)
    if op == "predict_file":
        from pde.training.learners import get_learner

        library, path, x = args
        learner = get_learner(library)
        return learner.predict(learner.load(Path(path)), x, threads=THREADS)
    raise ValueError(f"unknown call {op!r}")


def _load(files: dict[str, str]) -> dict[str, NativeModel]:

    models = {}
    for name, path in files.items():
        try:
            models[name] = load_native(name, Path(path))
        except Exception as exc:  # the libraries raise their own error types
            raise BundleError(f"cannot load {name}: {exc}") from None
    return models


def main(fd: int) -> int:
    """The process: loads the models named by the first message, then answers calls until
    its socket closes. Each reply is ("ok", value) or ("error", message)."""
    connection = Connection(fd)
    try:
        _, files = connection.recv()
        models = _load(files)
    except (EOFError, OSError):
        return 0
    except BundleError as exc:
        connection.send(("error", str(exc)))
        return 1
    connection.send(("ok", None))
    while True:
        try:
            op, args = connection.recv()
        except (EOFError, OSError):
            return 0
        try:
            reply: tuple[str, Any] = ("ok", _answer(models, op, args))
        except Exception as exc:  # any failure is the caller's to report
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            connection.send(reply)
        except OSError:
            return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
