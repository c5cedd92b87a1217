"""The package's shape: one top-level `pde` in the wheel, and layers whose imports point down."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_architecture_wheel_holds_only_pde(tmp_path: Path) -> None:
    build = ROOT / "build"  # setuptools' scratch folder in the source tree
    existed = build.exists()
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    finally:
        if not existed:
            shutil.rmtree(build, ignore_errors=True)
    (wheel,) = tmp_path.glob("pde-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"pde"}
    # The design's folders are inside, as pde.<folder>, with their code.
    for package in ("server", "client", "training", "frontend", "contracts", "core", "db", "jobs"):
        assert f"pde/{package}/__init__.py" in names
    assert "pde/training/features/compute.py" in names
    assert "pde/frontend/assets/app.css" in names


def test_architecture_layers_point_down() -> None:
    """import-linter's contracts in pyproject.toml (the layers of docs/architecture.md)."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_architecture_no_top_level_imports_of_the_folders() -> None:
    """Code imports `pde.server`, never `server`: the folders are not top-level packages."""
    import re

    pattern = re.compile(r"^\s*(from|import)\s+(server|client|training|frontend|bench)\b", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("pde", "server", "client", "training", "frontend", "bench", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text())
    ]
    assert offenders == []
