"""Model bundles for the server and client tests, built by the real training pipeline.

`build` trains a quick bundle on a small synthetic feature table (a few seconds); the variants
copy it under a new version, corrupt a file, or swap a graph so parity with the native model
fails, rewriting the manifest's hashes where the test needs them to pass.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pde.contracts.bundle import MANIFEST, set_current, sha256_file

N_FEATURES = 8
FEATURES = [f"f{i}" for i in range(N_FEATURES)]


def synthetic(rows: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows (10% missing) and labels with a known signal in f0..f3."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, N_FEATURES)).astype(np.float32)
    logit = 1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3] - 1.0
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int32)
    x[rng.random(x.shape) < 0.1] = np.nan
    return x, y


def feature_table(rows: int, *, seed: int) -> pl.DataFrame:
    x, y = synthetic(rows, seed=seed)
    columns = {name: x[:, i].astype(np.float64) for i, name in enumerate(FEATURES)}
    return pl.DataFrame({"id": [f"c{i}" for i in range(rows)], **columns, "y": y})


def build(model_dir: Path) -> Path:
    """Trains a quick `--table` bundle into model_dir and makes it `current` (training
    leaves the pointer to promotion); returns its directory."""
    from pde.training.models import ParityError, TrainConfig, frame_from_table, train_frame

    frame = frame_from_table(feature_table(3000, seed=1), label="y", id_column="id")
    # The tests need a faithful bundle, not a particular one: should the trainer's parity
    # check refuse one (tiny data can provoke it), another seed gives another.
    refusals = []
    for seed in (42, 7, 2026):
        try:
            result = train_frame(
                frame, config=TrainConfig.quick_run(threads=1, seed=seed), model_dir=model_dir
            )
            set_current(model_dir, result.bundle_dir.name)
            return result.bundle_dir
        except ParityError as exc:
            refusals.append(f"seed {seed}: {exc}")
    pytest.fail(
        "the quick training run failed its parity check with every seed: " + "; ".join(refusals)
    )


def _rewrite(bundle: Path, **changes: object) -> None:
    manifest = json.loads((bundle / MANIFEST).read_text())
    manifest.update(changes)
    (bundle / MANIFEST).write_text(json.dumps(manifest))


def copy_as(source: Path, model_dir: Path, version: str) -> Path:
    """A good bundle identical to source but named `version`."""
    target = model_dir / version
    shutil.copytree(source, target)
    _rewrite(target, version=version)
    return target


def corrupt(source: Path, model_dir: Path, version: str) -> Path:
    """A bundle whose xgboost graph fails its sha256 check."""
    target = copy_as(source, model_dir, version)
    graph = target / "xgboost.onnx"
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF
    graph.write_bytes(bytes(data))
    return target


def break_parity(source: Path, model_dir: Path, version: str) -> Path:
    """A bundle whose xgboost graph is the lightgbm one (hashes valid, parity fails)."""
    target = copy_as(source, model_dir, version)
    manifest = json.loads((target / MANIFEST).read_text())
    xgb, lgb = manifest["models"]["xgboost"], manifest["models"]["lightgbm"]
    shutil.copyfile(target / lgb["onnx_file"], target / xgb["onnx_file"])
    xgb["onnx_sha256"] = sha256_file(target / xgb["onnx_file"])
    xgb["input_name"], xgb["output_name"] = lgb["input_name"], lgb["output_name"]
    (target / MANIFEST).write_text(json.dumps(manifest))
    return target


def build_treated(model_dir: Path) -> Path:
    """Trains a quick bundle on simulated canonical data with a treated history, so that it
    ships uplift models (one graph per arm), and makes it `current`; returns its directory."""
    from pde.training.data.simulate import SimulationConfig, simulate
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    config = SimulationConfig(customers=2500, weeks=10, seed=21, treated_weeks=6, flag_share=0.3)
    simulate(config, model_dir.parent / f"{model_dir.name}-data")
    frame = load_canonical_frame(model_dir.parent / f"{model_dir.name}-data")
    refusals = []
    for seed in (42, 7, 2026):
        try:
            result = train_frame(
                frame,
                config=TrainConfig.quick_run(gap_days=30, threads=1, seed=seed),
                model_dir=model_dir,
            )
            set_current(model_dir, result.bundle_dir.name)
            return result.bundle_dir
        except ParityError as exc:
            refusals.append(f"seed {seed}: {exc}")
    pytest.fail("the treated training run failed its parity check: " + "; ".join(refusals))


def swap_uplift_arm(source: Path, model_dir: Path, version: str) -> Path:
    """A bundle whose control arm's graph is an action's (hashes valid, parity fails)."""
    target = copy_as(source, model_dir, version)
    manifest = json.loads((target / MANIFEST).read_text())
    arms = manifest["uplift"]["arms"]
    control, action = arms[manifest["uplift"]["control"]], arms[manifest["uplift"]["actions"][0]]
    shutil.copyfile(target / action["onnx_file"], target / control["onnx_file"])
    control["onnx_sha256"] = sha256_file(target / control["onnx_file"])
    (target / MANIFEST).write_text(json.dumps(manifest))
    return target
