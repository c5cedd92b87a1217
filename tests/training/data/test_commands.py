"""The `pde simulate` and `pde import` commands, run through the real CLI."""

from pathlib import Path

import pytest

from pde.cli.main import main


def test_commands_simulate_prints_rate_and_auc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim"
    code = main(
        ["simulate", "--customers", "200", "--weeks", "2", "--seed", "1", "--out", str(out)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "default rate" in printed and "oracle AUC" in printed
    assert (out / "truth.parquet").is_file() and (out / "simulation.json").is_file()


def test_commands_simulate_bad_start_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--start", "Monday", "--out", str(tmp_path)]) == 1
    assert "--start 'Monday': expected a date" in capsys.readouterr().err


def test_commands_import_uci_taiwan(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = shared_data / "uci_taiwan_default" / "UCI_Credit_Card.csv"
    assert main(["import", "uci-taiwan", str(csv), "--out", str(tmp_path), "--format", "csv"]) == 0
    printed = capsys.readouterr().out
    assert "30,000 customers" in printed and "default rate 22.12%" in printed
    assert (tmp_path / "payments.csv").is_file()


def test_commands_import_invalid_data_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.csv"
    assert main(["import", "uci-taiwan", str(missing), "--out", str(tmp_path / "out")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
