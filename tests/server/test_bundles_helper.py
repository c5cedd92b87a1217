"""The bundle helper of these tests fails loudly rather than hand back a missing bundle."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def test_bundles_build_fails_when_every_seed_fails_parity(
    bundle_tools: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pde.training.models as models

    seeds = []

    def refuse(frame: Any, *, config: Any, model_dir: Path) -> None:
        seeds.append(config.seed)
        raise models.ParityError(f"xgboost drifts by 0.1 (seed {config.seed})")

    monkeypatch.setattr(models, "train_frame", refuse)
    with pytest.raises(pytest.fail.Exception, match="failed its parity check with every seed"):
        bundle_tools.build(tmp_path)
    assert seeds == [42, 7, 2026]
    assert not (tmp_path / "current").exists()
