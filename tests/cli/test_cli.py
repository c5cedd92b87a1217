import subprocess
import sys

import pytest

from pde import __version__
from pde.cli.commands import SUBCOMMANDS
from pde.cli.main import main

EXPECTED = {
    "simulate",
    "import",
    "features",
    "train",
    "models",
    "jobs",
    "serve",
    "score",
    "score-portfolio",
    "outcomes",
    "replay",
    "frontend",
    "db",
    "demo",
    "bench",
    "dataset",
}


def test_cli_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in EXPECTED:
        assert name in out
    assert len(SUBCOMMANDS) == len(EXPECTED)


def test_cli_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pde.cli.main", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"pde {__version__}"


def test_cli_bad_setting_is_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PDE_LOG_LEVEL", "LOUD")
    result = subprocess.run(
        [sys.executable, "-m", "pde.cli.main", "bench", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "PDE_LOG_LEVEL": "LOUD"},
    )
    assert result.returncode == 1
    assert "PDE_LOG_LEVEL" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_unknown_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
