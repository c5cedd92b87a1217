"""Set-up and checks for a fresh machine that has only Python 3.11+.

    python3 dev.py demo   # create .venv, install the engine, run it end to end (pde demo)
    python3 dev.py test   # same with dev tools, then lint, types, codegen check and tests

The virtual environment is created and (re)installed whenever what pip installs changes
(pyproject.toml's project, build-system and setuptools tables, or the extras); a .venv made
for `test` also serves `demo`. Shared libraries the wheels load but do not ship (LightGBM's
OpenMP runtime, libgomp) are installed with apt-get when missing, if this runs as root on a
system with apt-get, after waiting for any other apt or dpkg to finish; otherwise a message
says what to install. Ctrl-C, SIGTERM or SIGHUP sent to this process stop the demo or the
tests and every process they started.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import venv
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".pde-installed"
# A .venv installed with one of these extras also has everything of the key.
INSTALLED_BY = {"all": ("all", "dev"), "": ("", "all", "dev")}
# Shared libraries the wheels need from the system: (soname, Debian package, what needs it).
OS_LIBRARIES = (("libgomp.so.1", "libgomp1", "LightGBM"),)
APT_LOCKS = (
    Path("/var/lib/dpkg/lock-frontend"),
    Path("/var/lib/dpkg/lock"),
    Path("/var/lib/apt/lists/lock"),
    Path("/var/cache/apt/archives/lock"),
)
APT_LOCK_SECONDS = 600.0
STOP_SECONDS = 45.0
FORWARDED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class SetupError(Exception):
    """The machine lacks something this script cannot install; the message says what."""


def run(*args: str | Path) -> None:
    command = [str(a) for a in args]
    sys.stderr.write("+ " + " ".join(command) + "\n")
    subprocess.run(command, cwd=ROOT, check=True)


def _install_fingerprint(extras: str) -> str:
    """What pip installs: the project's metadata, build system and package layout, the extras."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    installed = {
        "project": pyproject.get("project"),
        "build-system": pyproject.get("build-system"),
        "setuptools": pyproject.get("tool", {}).get("setuptools"),
        "extras": extras,
    }
    return hashlib.sha256(json.dumps(installed, sort_keys=True).encode()).hexdigest()


def venv_ready(extras: str) -> bool:
    """True when .venv has the project installed, as it is now, with (at least) `extras`."""
    if not STAMP.exists() or not (BIN / "python").exists():
        return False
    stamp = STAMP.read_text()
    return any(stamp == _install_fingerprint(e) for e in INSTALLED_BY.get(extras, (extras,)))


def ensure_venv(extras: str) -> None:
    """Creates .venv and installs the project when what pip installs or the extras changed."""
    if venv_ready(extras):
        return
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", target)
    STAMP.write_text(_install_fingerprint(extras))


def wait_for_locks(paths: Sequence[Path], *, timeout: float) -> bool:
    """Waits until no other process holds one of these fcntl locks (as apt and dpkg take
    them); False if one is still held after `timeout` seconds. Missing files are free."""
    import fcntl

    deadline = time.monotonic() + timeout
    told = False
    for path in paths:
        try:
            descriptor = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            while True:
                try:
                    fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.lockf(descriptor, fcntl.LOCK_UN)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EACCES, errno.EAGAIN):
                        raise
                if time.monotonic() >= deadline:
                    return False
                if not told:
                    sys.stderr.write(f"waiting for another package manager to release {path}\n")
                    told = True
                time.sleep(1.0)
        finally:
            os.close(descriptor)
    return True


def can_apt_get() -> bool:
    return shutil.which("apt-get") is not None and os.name != "nt" and os.geteuid() == 0


def apt_install(packages: Sequence[str]) -> None:
    """apt-get update and install, after any other apt or dpkg run has finished."""
    if not wait_for_locks(APT_LOCKS, timeout=APT_LOCK_SECONDS):
        raise SetupError(
            f"apt/dpkg is still busy after {APT_LOCK_SECONDS:.0f} s (another install is "
            f"running?): install {' '.join(packages)} when it is done, then run this again"
        )
    # apt waits for the dpkg lock itself too, should another run take it meanwhile
    wait = f"DPkg::Lock::Timeout={APT_LOCK_SECONDS:.0f}"
    run("apt-get", "-o", wait, "update", "-qq")
    run("apt-get", "-o", wait, "install", "-y", "-qq", "--no-install-recommends", *packages)


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def ensure_os_libraries() -> None:
    """Installs the shared libraries the wheels need (libgomp for LightGBM) when missing."""
    if not sys.platform.startswith("linux"):
        return
    missing = [library for library in OS_LIBRARIES if not _loads(library[0])]
    if not missing:
        return
    packages = [package for _, package, _ in missing]
    if can_apt_get():
        apt_install(packages)
        missing = [library for library in missing if not _loads(library[0])]
        if not missing:
            return
    needs = ", ".join(f"{user} needs {soname}" for soname, _, user in missing)
    raise SetupError(
        f"missing system libraries: {needs}. Install them (Debian/Ubuntu: "
        f"sudo apt-get install {' '.join(packages)}; Fedora: sudo dnf install libgomp) "
        "and run this again"
    )


def ensure_browser() -> None:
    """Installs Debian's chromium and chromium-driver for the browser tests when missing."""
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return
    if not can_apt_get():
        sys.stderr.write(
            "chromium/chromedriver missing and cannot be installed here: browser tests will fail\n"
        )
        return
    apt_install(["chromium", "chromium-driver"])


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def supervise(*args: str | Path) -> int:
    """Runs a command in a process group of its own and returns its exit status. Ctrl-C,
    SIGTERM and SIGHUP sent to this process are passed on to it; after it exits (or
    STOP_SECONDS after a signal, if it has not) whatever is left of its group is stopped, so
    nothing it started outlives this script."""
    command = [str(a) for a in args]
    sys.stderr.write("+ " + " ".join(command) + "\n")
    if os.name == "nt":
        return subprocess.run(command, cwd=ROOT, check=False).returncode
    child = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    signalled: list[float] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        signalled.append(time.monotonic())
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signum)

    previous = {
        signum: signal.signal(signum, forward)
        for signum in FORWARDED_SIGNALS
        if signal.getsignal(signum) is not signal.SIG_IGN  # as SIGHUP under nohup
    }
    try:
        while True:
            try:
                code = child.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if signalled and time.monotonic() - signalled[0] > STOP_SECONDS:
                    _signal_group(child.pid, signal.SIGKILL)
    finally:
        _signal_group(child.pid, signal.SIGTERM)  # leftovers of the group, if any
        time.sleep(0.2)
        _signal_group(child.pid, signal.SIGKILL)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as shells report


def demo(extra: list[str]) -> int:
    ensure_venv("all")
    ensure_os_libraries()
    return supervise(BIN / "pde", "demo", *extra)


def test(extra: list[str]) -> int:
    ensure_venv("dev")
    ensure_os_libraries()
    if (ROOT / "tests" / "frontend").exists():
        ensure_browser()
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "mypy")
    run(BIN / "python", "-m", "pde.protogen", "--check")
    return supervise(BIN / "pytest", *extra)


def main() -> int:
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.stderr.write(__doc__ or "")
        return 2
    try:
        return commands[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    except SetupError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
