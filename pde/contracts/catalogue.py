"""The feature catalogue entry as a bundle ships it, and how its reason text is written.

Training declares the catalogue (`pde.training.features`) and ships the entries of a model's
features in its manifest (`Manifest.feature_catalogue`); the server writes reason texts from
the entries of the bundle it serves, so a bundle keeps the texts it was trained with.

A reason text is the entry's `reason` with `{v}` replaced by the value shown as the entry's
`value_format` says: everything a text needs is data in the entry, and this module is the one
formatter.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ValueFormat = Literal["percent", "decimal", "whole", "amount"]

# How each format shows a value: 0.25 -> "25%", "0.25", "0", "0.25"; 1234.5 -> "1,234.50".
_FORMAT_SPECS: dict[ValueFormat, str] = {
    "percent": ".0%",
    "decimal": ".2f",
    "whole": ".0f",
    "amount": ",.2f",
}

# The value format of each unit of the catalogue; any other unit is an amount.
UNIT_FORMATS: dict[str, ValueFormat] = {
    "share": "percent",
    "ratio": "decimal",
    "ratio of income": "decimal",
    "count": "whole",
    "days": "whole",
    "weeks": "whole",
    "months": "whole",
    "years": "whole",
    "flag": "whole",
    "rank": "whole",
}

UNKNOWN_VALUE = "unknown"


def unit_format(unit: str) -> ValueFormat:
    """The value format of a unit (`amount` for a unit not in `UNIT_FORMATS`)."""
    return UNIT_FORMATS.get(unit, "amount")


def format_value(value: float, value_format: ValueFormat) -> str:
    """The value as a reason text shows it; NaN (missing) is `unknown`."""
    if math.isnan(value):
        return UNKNOWN_VALUE
    return format(value, _FORMAT_SPECS[value_format])


def format_reason(reason: str, value: float, value_format: ValueFormat) -> str:
    """`reason` with `{v}` replaced by the formatted value."""
    return reason.replace("{v}", format_value(value, value_format))


def plain_reason(feature: str, value: float) -> str:
    """The text of a feature no catalogue describes: `feature = value`."""
    shown = UNKNOWN_VALUE if math.isnan(value) else f"{value:.4g}"
    return f"{feature} = {shown}"


class CatalogueEntry(BaseModel):
    """One feature of the catalogue, as shipped in a bundle's manifest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    family: str
    description: str
    unit: str
    window: str
    reason: str = Field(
        description="What a risk officer reads when the feature raises a score; `{v}` stands "
        "for the value."
    )
    value_format: ValueFormat | None = Field(
        default=None,
        description="How `{v}` is shown. None in bundles written before the field existed: "
        "the unit's format (`unit_format`) then.",
    )

    def reason_text(self, value: float) -> str:
        """The reason text for this value of the feature."""
        shown_as = self.value_format if self.value_format is not None else unit_format(self.unit)
        return format_reason(self.reason, value, shown_as)
