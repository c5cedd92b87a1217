from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pde.contracts.bundle import (
    CURRENT,
    Calibration,
    TierBand,
    list_bundles,
    read_manifest,
    set_current,
)
from pde.training.learners import get_learner
from pde.training.models import ParityError
from pde.training.models.bundle_writer import BundleContents, bundle_version, write_bundle


def _contents(natives: dict[str, Any], x: np.ndarray, version: str) -> BundleContents:
    names = [f"f{i}" for i in range(x.shape[1])]
    graphs = {n: get_learner(n).export_onnx(m, n_features=x.shape[1]) for n, m in natives.items()}
    return BundleContents(
        natives=natives,
        graphs=graphs,
        manifest_fields={
            "version": version,
            "created_at": datetime.now(UTC),
            "data_fingerprint": "0" * 64,
            "source": "table",
            "feature_names": names,
            "feature_catalogue_version": None,
            "weights": {"catboost": 0.6, "xgboost": 0.2, "lightgbm": 0.2},
            "calibration": Calibration(method="none"),
            "threshold": 0.5,
            "tiers": [TierBand(name="low", lower=0.0, upper=1.0)],
            "clip_bounds": {},
            "metrics": {"ensemble": {"auc": 0.5}},
        },
        report_html="<html></html>",
        metrics={"ensemble": {"auc": 0.5}},
    )


def test_bundle_writer_publishes_then_failures_change_nothing(
    fitted: tuple[dict[str, Any], np.ndarray], tmp_path: Path
) -> None:
    models, x = fitted
    first = bundle_version(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "ab" * 32)
    assert first == "20260102T030405Z-abababab"
    bundle = write_bundle(tmp_path, _contents(models, x, first), parity_rows=x[:300])
    assert read_manifest(bundle).version == first
    assert not (tmp_path / CURRENT).exists()  # a new bundle is a challenger: never current
    set_current(tmp_path, first)

    # fails after every file is written (parity of the written files): nothing is published
    with pytest.raises(ParityError):
        write_bundle(
            tmp_path, _contents(models, x, "second"), parity_rows=x[:300], parity_tolerance=-1.0
        )
    # fails half-way through writing the members
    broken = _contents({"catboost": models["catboost"]}, x, "third")
    with pytest.raises(KeyError):
        write_bundle(tmp_path, broken)
    assert (tmp_path / CURRENT).read_text().strip() == first
    assert list_bundles(tmp_path) == [first]
    assert sorted(p.name for p in tmp_path.iterdir()) == [first, CURRENT]
