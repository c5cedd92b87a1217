"""Training of the CatBoost + XGBoost + LightGBM ensemble into a versioned ONNX bundle.

`train_frame` runs every stage on a `TrainingFrame`; `frame_from_table` / `read_table_file`
(any numeric table) and `load_canonical_frame` (a canonical data directory) build one.
"""

from __future__ import annotations

from pde.training.models.config import ParityError, TrainConfig, TrainingError
from pde.training.models.frame import (
    TrainingFrame,
    frame_from_table,
    frame_from_training_table,
    load_canonical_frame,
    read_table_file,
)
from pde.training.models.pipeline import TrainResult, train_frame

__all__ = [
    "ParityError",
    "TrainConfig",
    "TrainResult",
    "TrainingError",
    "TrainingFrame",
    "frame_from_table",
    "frame_from_training_table",
    "load_canonical_frame",
    "read_table_file",
    "train_frame",
]
