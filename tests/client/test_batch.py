"""`pde score` and client.batch: a features file streamed through a real server."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import polars as pl
import pytest

from pde.cli.main import main


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_batch_pde_score_writes_results_in_input_order(
    tmp_path: Path, served: Any, bundle_tools: ModuleType, suffix: str
) -> None:
    table = bundle_tools.feature_table(3_000, seed=9).drop("y")
    source = tmp_path / f"features{suffix}"
    if suffix == ".csv":
        table.write_csv(source)
    else:
        table.write_parquet(source)
    target = tmp_path / f"scores{suffix}"
    args = ["score", "--input", str(source), "--output", str(target)]
    assert main([*args, "--address", f"127.0.0.1:{served.port}", "--chunk-rows", "700"]) == 0
    result = pl.read_csv(target) if suffix == ".csv" else pl.read_parquet(target)
    assert result.columns == ["id", "probability", "tier", "alert", "model_version"]
    assert result["id"].to_list() == table["id"].to_list()
    x = table.select(bundle_tools.FEATURES).to_numpy().astype(np.float32)
    expected = served.scorer.bundle().score(x)
    assert np.allclose(result["probability"].to_numpy(), expected.probability, atol=1e-6)
    assert result["alert"].to_list() == expected.alert.tolist()


def test_batch_pde_score_names_missing_features(
    tmp_path: Path, served: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.csv"
    pl.DataFrame({"id": ["a"], "f0": [1.0]}).write_csv(source)
    args = ["score", "--input", str(source), "--output", str(tmp_path / "out.csv")]
    assert main([*args, "--address", f"127.0.0.1:{served.port}"]) == 1
    assert "lacks 7 model features" in capsys.readouterr().err
