"""The pre-load check: a child process loads the bundle; its crash or refusal is a BundleError."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from pde.contracts.bundle import MANIFEST, BundleError, sha256_file
from pde.server.preflight import check_bundle


def _cut(tools: ModuleType, source: Path, root: Path, *, file: str, fraction: float) -> Path:
    target: Path = tools.copy_as(source, root, f"cut-{file}")
    data = (target / file).read_bytes()
    (target / file).write_bytes(data[: int(len(data) * fraction)])
    manifest = json.loads((target / MANIFEST).read_text())
    for member in manifest["models"].values():
        if member["native_file"] == file:
            member["native_sha256"] = sha256_file(target / file)
    (target / MANIFEST).write_text(json.dumps(manifest))
    return target


def test_preflight_passes_a_good_bundle(bundle_dir: Path) -> None:
    check_bundle(bundle_dir)


def test_preflight_reports_a_crash_of_the_loader(
    tmp_path: Path, bundle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A loader that dies by a signal, as a native library can on a damaged file: the child
    # process is made to segfault as it starts (a sitecustomize on its path); this test
    # process survives and the check refuses.
    crash = tmp_path / "crash"
    crash.mkdir()
    (crash / "sitecustomize.py").write_text(
        "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(crash))
    with pytest.raises(BundleError) as caught:
        check_bundle(bundle_dir)
    message = str(caught.value)
    assert message.startswith(f"{bundle_dir}: loading the bundle crashed a test process")
    assert "(killed by SIGSEGV)" in message
    assert "its last output:" in message


def test_preflight_refuses_a_truncated_lightgbm_model_before_it_is_parsed(
    tmp_path: Path, bundle_dir: Path, bundle_tools: ModuleType
) -> None:
    bundle = _cut(bundle_tools, bundle_dir, tmp_path, file="lightgbm.txt", fraction=0.5)
    with pytest.raises(BundleError, match=r"cannot load lightgbm: .*not a complete LightGBM model"):
        check_bundle(bundle)


def test_preflight_reports_the_loaders_own_refusal(
    tmp_path: Path, bundle_dir: Path, bundle_tools: ModuleType
) -> None:
    bundle = _cut(bundle_tools, bundle_dir, tmp_path, file="catboost.cbm", fraction=0.5)
    with pytest.raises(BundleError, match="cannot load catboost"):
        check_bundle(bundle)


def test_preflight_refuses_a_bundle_that_fails_its_checksums(
    tmp_path: Path, bundle_dir: Path, bundle_tools: ModuleType
) -> None:
    bundle = bundle_tools.corrupt(bundle_dir, tmp_path, "corrupt")
    with pytest.raises(BundleError, match="fails its sha256 check"):
        check_bundle(bundle)


def test_preflight_gives_up_after_its_timeout(bundle_dir: Path) -> None:
    with pytest.raises(BundleError, match=r"did not finish in 0\.05 s"):
        check_bundle(bundle_dir, timeout=0.05)
