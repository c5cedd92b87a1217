"""The Model page's actions section on a real bundle trained with a treated history: the
effects are said to be learned, and every protected attribute's groups and four-fifths-rule
flags from metrics.json are shown."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pde.frontend.services import models as model_service
from pde.frontend.views.policy import actions_view

SERVER_BUNDLES = Path(__file__).resolve().parents[2] / "server" / "bundles.py"


def _text(component: Any) -> str:
    """Every string in a Dash component tree."""
    if isinstance(component, str):
        return component
    children = getattr(component, "children", None)
    if children is None:
        return ""
    items = children if isinstance(children, list) else [children]
    return " ".join(_text(c) for c in items)


@pytest.fixture(scope="module")
def treated_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("pde_test_bundles_fairness", SERVER_BUNDLES)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    models = tmp_path_factory.mktemp("fairness") / "models"
    module.build_treated(models)
    return models


def test_model_page_shows_learned_effects_and_fairness_flags(treated_models: Path) -> None:
    bundle = model_service.load_bundle(treated_models)
    view = model_service.policy_view(bundle)
    report = json.loads((bundle.directory / "metrics.json").read_text())["uplift"]["fairness"]
    assert view.effect_basis.startswith("learned: uplift models")
    assert {f.attribute for f in view.fairness} == set(report["attributes"]) >= {"age_band"}
    shown = _text(actions_view(view))
    for name, section in report["attributes"].items():
        assert f"{name.replace('_', ' ')}: {', '.join(sorted(section['groups']))}" in shown
        for flag in section["flags"]:
            assert flag in shown
    flagged = sum(len(s["flags"]) for s in report["attributes"].values())
    assert shown.count("no group flagged") == sum(
        1 for s in report["attributes"].values() if not s["flags"]
    )
    assert flagged == sum(len(f.flags) for f in view.fairness)
