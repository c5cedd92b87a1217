"""What is usual for each feature in the training rows, which reason texts quote
(`Manifest.feature_statistics`; `pde.contracts.catalogue.usual_text`)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pde.contracts.catalogue import FeatureStatistics


def feature_statistics(
    features: npt.NDArray[np.floating], names: list[str]
) -> dict[str, FeatureStatistics]:
    """Quartiles, mean and missing share of each column of `features` (rows x names); a
    column with no present value is left out (there is nothing usual to quote)."""
    if features.shape[1] != len(names):
        raise ValueError(f"{features.shape[1]} columns for {len(names)} names")
    table = np.asarray(features, dtype=np.float64)
    statistics: dict[str, FeatureStatistics] = {}
    for j, name in enumerate(names):
        column = table[:, j]
        present = column[~np.isnan(column)]
        if present.size == 0:
            continue
        q1, median, q3 = np.quantile(present, (0.25, 0.5, 0.75))
        statistics[name] = FeatureStatistics(
            q1=float(q1),
            median=float(median),
            q3=float(q3),
            mean=float(present.mean()),
            missing=1.0 - present.size / column.size,
        )
    return statistics
