"""`pde train`: Train the ensemble and export an ONNX model bundle."""

from __future__ import annotations

import typer

from pde.cli.stub import register_not_built


def register(app: typer.Typer) -> None:
    register_not_built(app, "train", "Train the ensemble and export an ONNX model bundle")
