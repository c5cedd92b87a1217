"""What a feature is: its name, family, meaning, unit, window and reason-code text."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Family = Literal[
    "salary", "balance", "spending", "payments", "cash", "patterns", "recent", "derived"
]
FAMILIES: tuple[Family, ...] = (
    "salary",
    "balance",
    "spending",
    "payments",
    "cash",
    "patterns",
    "recent",
    "derived",
)


@dataclass(frozen=True)
class FeatureSpec:
    """One feature of the catalogue.

    `reason` is the text a risk officer reads when this feature pushes a score up; `{v}` is
    replaced by the formatted value (see `format_reason`).
    """

    name: str
    family: Family
    description: str
    unit: str
    window: str
    reason: str

    def format_reason(self, value: float) -> str:
        if math.isnan(value):
            return self.reason.replace("{v}", "unknown")
        if self.unit in ("share", "ratio of income", "ratio"):
            shown = f"{value:.0%}" if self.unit == "share" else f"{value:.2f}"
        elif self.unit in ("count", "days", "weeks", "months", "years", "flag", "rank"):
            shown = f"{value:.0f}"
        else:
            shown = f"{value:,.2f}"
        return self.reason.replace("{v}", shown)
