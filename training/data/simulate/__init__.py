"""The behavioural simulator: customers on latent financial-health paths, with known truth."""

from training.data.simulate.config import SimulationConfig
from training.data.simulate.runner import SimulationSummary, roc_auc, simulate

__all__ = ["SimulationConfig", "SimulationSummary", "roc_auc", "simulate"]
