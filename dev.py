"""Set-up and checks for a fresh machine that has only Python 3.11+.

    python3 dev.py demo   # create .venv, install the engine, run it end to end (pde demo)
    python3 dev.py test   # same with dev tools, then lint, types, codegen check and tests

The virtual environment is created and (re)installed whenever pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".pde-installed"


def run(*args: str | Path) -> None:
    command = [str(a) for a in args]
    sys.stderr.write("+ " + " ".join(command) + "\n")
    subprocess.run(command, cwd=ROOT, check=True)


def ensure_venv(extras: str) -> None:
    """Creates .venv and installs the project when pyproject.toml or the extras changed."""
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == want:
        return
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", target)
    STAMP.write_text(want)


def ensure_browser() -> None:
    """Installs Debian's chromium and chromium-driver for the browser tests when missing."""
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        sys.stderr.write(
            "chromium/chromedriver missing and cannot be installed here: browser tests will fail\n"
        )
        return
    run("apt-get", "update", "-qq")
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", "chromium-driver")


def demo(extra: list[str]) -> None:
    ensure_venv("all")
    run(BIN / "pde", "demo", *extra)


def test(extra: list[str]) -> None:
    ensure_venv("dev")
    if (ROOT / "tests" / "frontend").exists():
        ensure_browser()
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "mypy")
    run(BIN / "python", "-m", "pde.protogen", "--check")
    run(BIN / "pytest", *extra)


def main() -> int:
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.stderr.write(__doc__ or "")
        return 2
    try:
        commands[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
