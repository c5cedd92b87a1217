"""Fixtures of the job tests: simulated data, a quick bundle and a server serving it; treated
data and a bundle with uplift models, served."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

SERVER_BUNDLES = Path(__file__).resolve().parents[1] / "server" / "bundles.py"


def _bundles() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pde_test_bundles", SERVER_BUNDLES)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def bundle_tools() -> ModuleType:
    """tests/server/bundles.py: quick bundles and copies of them."""
    return _bundles()


@pytest.fixture(scope="session")
def treated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str]]:
    """Treated simulated data, a bundle with uplift models trained on it, and its server."""
    from pde.contracts.bundle import current_bundle_dir
    from pde.server.transport.app import ScoringServer
    from pde.server.transport.options import ServerOptions

    models = tmp_path_factory.mktemp("recommend") / "models"
    _bundles().build_treated(models)
    server = ScoringServer(ServerOptions(address="127.0.0.1:0", model_dir=models, drain_seconds=0))
    server.start()
    server.load()
    yield models.parent / "models-data", current_bundle_dir(models), f"127.0.0.1:{server.port}"
    server.stop(grace=1)


@pytest.fixture(scope="session")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """Simulated data, a quick bundle trained on it, and a server serving that bundle."""
    from pde.contracts.bundle import set_current
    from pde.server.transport.app import ScoringServer
    from pde.server.transport.options import ServerOptions
    from pde.training.data.simulate import SimulationConfig, simulate
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    root = tmp_path_factory.mktemp("portfolio")
    data_dir = root / "data"
    simulate(SimulationConfig(customers=400, weeks=16, seed=5), data_dir)
    frame = load_canonical_frame(data_dir)
    for seed in (42, 7, 2026):  # tiny data can trip the parity check; any faithful bundle does
        try:
            config = TrainConfig.quick_run(threads=1, seed=seed)
            result = train_frame(frame, config=config, model_dir=root / "models")
            set_current(root / "models", result.bundle_dir.name)  # training leaves it to promotion
            break
        except ParityError:
            continue
    else:
        pytest.fail("the quick training run failed its parity check with every seed")
    server = ScoringServer(
        ServerOptions(address="127.0.0.1:0", model_dir=root / "models", drain_seconds=0.0)
    )
    server.start()
    server.load()
    yield data_dir, f"127.0.0.1:{server.port}"
    server.stop(grace=1)
