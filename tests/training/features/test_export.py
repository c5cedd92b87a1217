from pathlib import Path

import polars as pl
import pytest

from pde.cli.main import main
from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.io import write_dataset
from pde.training.features import FEATURE_NAMES


@pytest.fixture
def data_dir(tmp_path: Path, small_data: CanonicalData) -> Path:
    path = tmp_path / "data"
    write_dataset(small_data, path)
    return path


def test_export_cli_weekly_writes_features_and_labels(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"
    assert main(["features", "--data", str(data_dir), "--weekly", "--out", str(out)]) == 0
    table = pl.read_parquet(out)
    assert table.columns == ["customer_id", "as_of", "label", *FEATURE_NAMES]
    assert table["as_of"].n_unique() > 5
    assert table["label"].drop_nulls().len() > 0


def test_export_cli_one_date_without_labels(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "one.parquet"
    args = ["features", "--data", str(data_dir), "--as-of", "2025-04-01", "--no-labels"]
    assert main([*args, "--out", str(out)]) == 0
    table = pl.read_parquet(out)
    assert table["as_of"].cast(pl.String).unique().to_list() == ["2025-04-01"]
    assert "label" not in table.columns


def test_export_cli_bad_input_is_one_line_error(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.parquet"
    assert main(["features", "--data", str(tmp_path / "missing"), "--out", str(out)]) == 1
    assert "not a directory" in capsys.readouterr().err
    assert main(["features", "--data", str(data_dir), "--out", str(tmp_path / "x.csv")]) == 1
    assert (
        main(["features", "--data", str(data_dir), "--as-of", "2025-13-01", "--out", str(out)]) == 2
    )
    assert not out.exists()


def test_export_catalogue_ships_in_canonical_bundles(tmp_path: Path) -> None:
    from pde.contracts.bundle import read_manifest
    from pde.training.data.simulate import SimulationConfig, simulate
    from pde.training.features.catalogue import feature_spec
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    simulate(SimulationConfig(customers=300, weeks=12, seed=9), tmp_path / "data")
    frame = load_canonical_frame(tmp_path / "data")
    for seed in (1, 2, 3):
        try:
            result = train_frame(
                frame,
                config=TrainConfig.quick_run(threads=1, seed=seed),
                model_dir=tmp_path / "models",
            )
            break
        except ParityError:
            continue
    else:
        pytest.fail("the quick training run failed its parity check with every seed")
    manifest = read_manifest(tmp_path / "models" / result.manifest.version)
    shipped = {entry.name: entry for entry in manifest.feature_catalogue}
    assert list(shipped) == manifest.feature_names
    for name in manifest.feature_names:
        spec = feature_spec(name)
        assert shipped[name].description == spec.description
        assert shipped[name].value_format == spec.value_format
        assert shipped[name].reason_text(0.5) == spec.format_reason(0.5)
