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


def _score(tmp_path: Path, served: Any, source: Path, *extra: str) -> int:
    target = tmp_path / "out.csv"
    args = ["score", "--input", str(source), "--output", str(target), *extra]
    return main([*args, "--address", f"127.0.0.1:{served.port}"])


def test_batch_truncated_csv_is_refused_and_nothing_written(
    tmp_path: Path, served: Any, bundle_tools: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "features.csv"
    bundle_tools.feature_table(20, seed=3).drop("y").write_csv(source)
    text = source.read_text()
    source.write_text(text[: len(text) - 40])  # the last line is cut mid-row
    assert _score(tmp_path, served, source) == 1
    err = capsys.readouterr().err
    assert "features.csv line 21 ends before column" in err
    assert "truncated or ragged" in err
    assert not (tmp_path / "out.csv").exists()


def test_batch_non_numeric_cell_names_line_and_column(
    tmp_path: Path, served: Any, bundle_tools: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    table = bundle_tools.feature_table(10, seed=4).drop("y")
    column = bundle_tools.FEATURES[2]
    cells = table[column].cast(pl.String).to_list()
    cells[6] = "12,5 EUR"
    source = tmp_path / "features.csv"
    table.with_columns(pl.Series(column, cells)).write_csv(source)
    assert _score(tmp_path, served, source) == 1
    err = capsys.readouterr().err
    assert f"features.csv line 8, column {column!r}: '12,5 EUR' is not a number" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_batch_empty_cells_are_missing_values(
    tmp_path: Path, served: Any, bundle_tools: ModuleType
) -> None:
    table = bundle_tools.feature_table(10, seed=5).drop("y")
    column = bundle_tools.FEATURES[0]
    source = tmp_path / "features.csv"
    table.with_columns(pl.lit(None, dtype=pl.Float64).alias(column)).write_csv(source)
    assert _score(tmp_path, served, source) == 0
    assert pl.read_csv(tmp_path / "out.csv").height == 10


def test_batch_duplicate_ids_need_the_flag(
    tmp_path: Path, served: Any, bundle_tools: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    table = bundle_tools.feature_table(10, seed=6).drop("y")
    ids = table["id"].to_list()
    ids[7] = ids[2]
    source = tmp_path / "features.parquet"
    table.with_columns(pl.Series("id", ids)).write_parquet(source)
    assert _score(tmp_path, served, source) == 1
    err = capsys.readouterr().err
    assert f"features.parquet row 3, column 'id': id {ids[2]!r} appears more than once" in err
    assert "--allow-duplicate-ids" in err
    assert _score(tmp_path, served, source, "--allow-duplicate-ids") == 0
    assert pl.read_csv(tmp_path / "out.csv")["id"].to_list() == ids
