"""The behavioural simulator: customers on latent financial-health paths, with known truth."""

from pde.training.data.simulate.config import SimulationConfig
from pde.training.data.simulate.runner import SimulationSummary, roc_auc, simulate

__all__ = ["SimulationConfig", "SimulationSummary", "roc_auc", "simulate"]
