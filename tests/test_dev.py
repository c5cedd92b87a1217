"""dev.py, the set-up script of a fresh machine: package manager locks and system libraries."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOLD_LOCK = """
import fcntl, os, sys, time
descriptor = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(descriptor, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pde_test_dev", ROOT / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_waits_for_a_lock_another_process_holds(dev: ModuleType, tmp_path: Path) -> None:
    lock = tmp_path / "lock-frontend"
    lock.touch()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock), "2.5"], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        started = time.monotonic()
        assert dev.wait_for_locks([lock], timeout=0.5) is False  # still held: gives up
        assert dev.wait_for_locks([tmp_path / "absent", lock], timeout=30) is True
        assert holder.poll() is not None  # it returned once the holder had let go
        assert time.monotonic() - started >= 1.5
    finally:
        holder.kill()
        holder.wait()
    assert dev.wait_for_locks([lock], timeout=0.1) is True


def test_dev_missing_library_names_it_and_the_package(
    dev: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        dev, "OS_LIBRARIES", (("libpde-absent.so.9", "libpde-absent9", "LightGBM"),)
    )
    monkeypatch.setattr(dev, "can_apt_get", lambda: False)
    with pytest.raises(
        dev.SetupError, match=r"LightGBM needs libpde-absent\.so\.9.*apt-get install libpde-absent9"
    ):
        dev.ensure_os_libraries()
    monkeypatch.setattr(dev, "OS_LIBRARIES", (("libc.so.6", "libc6", "Python"),))
    dev.ensure_os_libraries()  # present: nothing to do
