"""The tree libraries of the ensemble, one learner each, found by the member's name.

`LEARNERS` (keyed by `pde.core.names.MODEL_NAMES`, in that order) is the only place where a
library's name selects code: training and the server ask it for the learner of a member.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pde.training.learners.base import (
    PROBABILITIES,
    FitData,
    FitOptions,
    Learner,
    OnnxGraph,
    Params,
)
from pde.training.learners.catboost import CatBoostLearner
from pde.training.learners.lightgbm import LightGBMLearner
from pde.training.learners.xgboost import XGBoostLearner

LEARNERS: Mapping[str, Learner[Any]] = MappingProxyType(
    {learner.name: learner for learner in (CatBoostLearner(), XGBoostLearner(), LightGBMLearner())}
)


def get_learner(name: str) -> Learner[Any]:
    """The learner of ensemble member `name`; ValueError for any other name."""
    try:
        return LEARNERS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(LEARNERS)}") from None


__all__ = [
    "LEARNERS",
    "PROBABILITIES",
    "FitData",
    "FitOptions",
    "Learner",
    "OnnxGraph",
    "Params",
    "get_learner",
]
