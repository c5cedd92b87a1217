"""Loads a bundle in a throwaway child process before the serving process loads it.

The native tree libraries do not all fail politely on a damaged model file: LightGBM aborts
("terminate called without an active exception") or segfaults on a truncated `lightgbm.txt`,
and the sha256 check cannot catch a file whose manifest checksum was rewritten to match.
Whatever would kill the process that loads the files kills the child here instead: it runs
the very loader the server uses (`pde.server.bundle.load_bundle`: checksums, ONNX graphs,
native models, parity on synthetic rows) and reports through a pipe. A crash, a refusal or
a timeout of the child raises `BundleError`; the serving process never opens the files.

The child runs at a lower CPU priority so that the server keeps answering meanwhile.

    python -m pde.server.preflight BUNDLE_DIR RESULT_FD     (the child's side)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from pde.contracts.bundle import BundleError
from pde.server.errors import clip

TIMEOUT_SECONDS = 180.0
CHILD_NICENESS = 10
_OUTPUT_CHARS = 300


def _last_output(output: bytes) -> str:
    lines = [line.strip() for line in output.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    return clip(lines[-1], limit=_OUTPUT_CHARS) if lines else "nothing"


def _exit_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def check_bundle(directory: Path, *, timeout: float = TIMEOUT_SECONDS) -> None:
    """Loads `directory` in a child process; raises BundleError unless it loads cleanly."""
    read_end, write_end = os.pipe()
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "pde.server.preflight", str(directory), str(write_end)],
            pass_fds=(write_end,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},
        )
    except OSError as exc:
        os.close(read_end)
        raise BundleError(f"{directory}: cannot start the pre-load check: {exc}") from None
    finally:
        os.close(write_end)
    try:
        output, _ = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        os.close(read_end)
        raise BundleError(
            f"{directory}: loading the bundle in a test process did not finish in {timeout:g} s"
        ) from None
    with os.fdopen(read_end, "rb") as result_pipe:
        report = result_pipe.read()
    try:
        result = json.loads(report) if report else None
    except ValueError:
        result = None
    if child.returncode == 0 and isinstance(result, dict) and result.get("ok") is True:
        return
    if isinstance(result, dict) and isinstance(result.get("error"), str):
        raise BundleError(result["error"])
    raise BundleError(
        f"{directory}: loading the bundle crashed a test process "
        f"({_exit_reason(child.returncode)}); its last output: {_last_output(output)}"
    )


def _child(directory: Path, result_fd: int) -> int:
    """Loads the bundle and writes {"ok": true} or {"ok": false, "error": ...} to the fd."""
    with contextlib.suppress(OSError):  # not allowed everywhere; priority is a courtesy
        os.nice(CHILD_NICENESS)
    from pde.server.bundle import load_bundle

    try:
        load_bundle(directory)
        result: dict[str, object] = {"ok": True}
    except BundleError as exc:
        result = {"ok": False, "error": clip(str(exc))}
    except Exception as exc:  # the loader should not raise anything else; report it all the same
        result = {"ok": False, "error": clip(f"{directory}: {type(exc).__name__}: {exc}")}
    with os.fdopen(result_fd, "w") as out:
        out.write(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1]), int(sys.argv[2])))
