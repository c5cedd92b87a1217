from pathlib import Path

import numpy as np
import pytest

from pde.contracts.bundle import Calibration, Manifest, read_manifest
from pde.core.names import MODEL_NAMES
from pde.server.bundle import load_bundle, synthetic_rows
from pde.server.ensemble import EnsembleSpec
from pde.training.models.calibration import CANDIDATES, calibrate, fit_method
from pde.training.models.ensemble import blend


def _spec(calibration: dict[str, object]) -> EnsembleSpec:
    manifest = Manifest.model_validate(
        {
            "version": "t",
            "created_at": "2026-01-01T00:00:00Z",
            "data_fingerprint": "0",
            "source": "table",
            "feature_names": ["a", "b"],
            "feature_catalogue_version": None,
            "models": {
                m: {
                    "onnx_file": "x",
                    "onnx_sha256": "0",
                    "native_file": "y",
                    "native_sha256": "0",
                    "input_name": "input",
                    "output_name": "probabilities",
                }
                for m in ("catboost", "xgboost", "lightgbm")
            },
            "weights": {"catboost": 0.5, "xgboost": 0.25, "lightgbm": 0.25},
            "calibration": calibration,
            "threshold": 0.5,
            "tiers": [
                {"name": "low", "lower": 0.0, "upper": 0.2},
                {"name": "high", "lower": 0.2, "upper": 0.7},
                {"name": "critical", "lower": 0.7, "upper": 1.0},
            ],
            "clip_bounds": {"a": (-1.0, 1.0)},
            "metrics": {},
        }
    )
    return EnsembleSpec.from_manifest(manifest)


def test_ensemble_clip_keeps_nan_and_unbounded_features() -> None:
    spec = _spec({"method": "none"})
    rows = np.array([[5.0, 5.0], [np.nan, -9.0]], dtype=np.float32)
    clipped = spec.clip(rows)
    assert clipped[0].tolist() == [1.0, 5.0]
    assert np.isnan(clipped[1, 0])
    assert clipped[1, 1] == -9.0


def test_ensemble_combine_weights_models() -> None:
    spec = _spec({"method": "none"})
    per_model = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    assert spec.combine(per_model).tolist() == [0.5, 0.5]


def test_ensemble_isotonic_and_platt_calibration() -> None:
    iso = _spec({"method": "isotonic", "x": [0.0, 0.5, 1.0], "y": [0.0, 0.1, 1.0]})
    assert np.allclose(iso.calibrate(np.array([0.25, 0.75])), [0.05, 0.55])
    assert [iso.calibrate_one(v) for v in (-1.0, 0.25, 0.75, 2.0)] == pytest.approx(
        [0.0, 0.05, 0.55, 1.0]
    )
    platt = _spec({"method": "platt", "a": 2.0, "b": 0.0})
    p = platt.calibrate(np.array([0.5, 0.8]))
    assert np.allclose(p, [0.5, 1 / (1 + (0.2 / 0.8) ** 2)])
    assert [platt.calibrate_one(v) for v in (0.5, 0.8)] == pytest.approx(p.tolist(), abs=1e-15)


def test_ensemble_tiers_lower_inclusive_last_includes_one() -> None:
    spec = _spec({"method": "none"})
    p = np.array([0.0, 0.1999, 0.2, 0.7, 1.0])
    assert [spec.tier_names[i] for i in spec.tiers(p)] == [
        "low",
        "low",
        "high",
        "critical",
        "critical",
    ]
    assert spec.alerts(np.array([0.49, 0.5])).tolist() == [False, True]


def _training_calibrations() -> list[Calibration]:
    rng = np.random.default_rng(5)
    truth = rng.beta(0.8, 6, size=5000)
    y = (rng.random(5000) < truth).astype(np.float64)
    raw = np.clip(np.sqrt(truth) + rng.normal(0, 0.03, 5000), 0, 1)
    fitted = [fit_method(raw, y, method) for method in CANDIDATES]
    return [c for c in fitted if c is not None]


def test_ensemble_calibration_parity_with_training_for_every_method() -> None:
    """The server applies platt, beta and isotonic_interp exactly as training computed them."""
    raw = np.r_[0.0, 1e-9, np.random.default_rng(6).random(5000), 1 - 1e-9, 1.0]
    calibrations = _training_calibrations()
    assert {c.method for c in calibrations} == set(CANDIDATES)
    for calibration in calibrations:
        spec = _spec(calibration.model_dump())
        served = spec.calibrate(raw)
        np.testing.assert_allclose(served, calibrate(raw, calibration), rtol=0, atol=1e-6)
        assert np.all((served > 0) & (served < 1))
        # the one-row path's plain floats give the same values
        one = np.array([spec.calibrate_one(float(r)) for r in raw[::50]])
        np.testing.assert_allclose(one, served[::50], rtol=0, atol=1e-12)


def test_ensemble_served_probability_equals_training_on_a_real_bundle(bundle_dir: Path) -> None:
    """A trained bundle served: the server's probability is training's calibrated blend of
    the same graph outputs (within 1e-6), strictly inside (0, 1)."""
    bundle = load_bundle(bundle_dir)
    manifest = read_manifest(bundle_dir)
    x = synthetic_rows(bundle.spec, rows=500, seed=3)
    scores = bundle.score(x)
    per_model = dict(zip(MODEL_NAMES, bundle.per_model(bundle.spec.clip(x)), strict=True))
    expected = calibrate(blend(per_model, manifest.weights), manifest.calibration)
    np.testing.assert_allclose(scores.probability, expected, rtol=0, atol=1e-6)
    assert np.all((scores.probability > 0) & (scores.probability < 1))
    assert manifest.calibration.method in CANDIDATES
