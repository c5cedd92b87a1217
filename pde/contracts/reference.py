"""Reference distributions of a bundle, and the one rule that puts values into their bins.

Training writes them (`reference.json`, listed in the manifest); the drift job counts each
scoring date's features and scores into the same bins and compares (docs/monitoring.md).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

# Deciles: ten bins of (about) equal share in the reference rows, plus one for missing values.
REFERENCE_QUANTILES = tuple(q / 10 for q in range(1, 10))


class Bins(BaseModel):
    """A reference distribution: quantile bins of the reference rows and the share of rows in
    each, with missing values a bin of their own.

    Bin i holds the values v with edges[i - 1] <= v < edges[i] (bin 0 everything below
    edges[0], the last bin everything from edges[-1] up); `shares` has len(edges) + 1 entries
    and, with `missing`, sums to 1.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    edges: list[float]
    shares: list[float]
    missing: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _consistent(self) -> Bins:
        if len(self.shares) != len(self.edges) + 1:
            raise ValueError("bins need one share more than edges")
        if any(p >= q for p, q in pairwise(self.edges)):
            raise ValueError("bin edges must be strictly increasing")
        if abs(sum(self.shares) + self.missing - 1.0) > 1e-6:
            raise ValueError("bin shares and the missing share must sum to 1")
        return self

    @classmethod
    def of(cls, values: npt.ArrayLike, quantiles: tuple[float, ...] = REFERENCE_QUANTILES) -> Bins:
        """Quantile bins of `values` (NaN is missing); repeated quantiles merge into one edge."""
        array = np.asarray(values, dtype=np.float64)
        present = array[~np.isnan(array)]
        edges = np.unique(np.quantile(present, quantiles)) if present.size else np.array([])
        bins = cls.model_construct(edges=edges.tolist(), shares=[], missing=0.0)
        shares, missing = bins.distribution(array)
        return cls(edges=edges.tolist(), shares=shares.tolist(), missing=missing)

    def distribution(self, values: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], float]:
        """The share of `values` in each bin and the share missing (together summing to 1)."""
        array = np.asarray(values, dtype=np.float64)
        if array.size == 0:
            return np.zeros(len(self.edges) + 1), 0.0
        missing = np.isnan(array)
        index = np.searchsorted(np.asarray(self.edges), array[~missing], side="right")
        counts = np.bincount(index, minlength=len(self.edges) + 1)
        return counts / array.size, float(missing.mean())

    def with_missing(self) -> npt.NDArray[np.float64]:
        """The reference shares with the missing share last: the vector PSI compares."""
        return np.array([*self.shares, self.missing])


class ReferenceDistributions(BaseModel):
    """What drift is measured against: each feature's bins over the training rows, the
    calibrated score's bins over the held-out rows and a sample of those scores (for the
    two-sample KS test)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    feature_rows: int = Field(ge=1, description="Training rows the feature bins come from.")
    score_rows: int = Field(ge=1, description="Held-out rows the score bins come from.")
    features: dict[str, Bins]
    score: Bins
    score_sample: list[float] = Field(min_length=1)
