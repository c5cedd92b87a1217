"""The model bundle's full evaluation report (report.html, self-contained: inline SVG, no
script), served by the app to the users who may open the Model page."""

from __future__ import annotations

from pathlib import Path

from pde.core.errors import PdeError
from pde.frontend.services import access
from pde.frontend.services import models as model_service
from pde.frontend.services.base import Services

REPORT = "report.html"


class ReportMissingError(PdeError):
    """The bundle has no report (or there is no such bundle)."""


def report_path(services: Services, user: access.SignedIn, version: str | None) -> Path:
    """The report of bundle `version` (default: the current one). Only the names of the
    complete bundles in PDE_MODEL_DIR are accepted, so no path can be smuggled in."""
    access.require(access.can_read_model_report(user), "read the model report")
    model_dir = services.settings.model_dir
    chosen = version or model_service.current_version(model_dir)
    if chosen is None or chosen not in model_service.bundles(model_dir):
        raise ReportMissingError(f"there is no model bundle {chosen or ''!r}".replace(" ''", ""))
    path = model_dir / chosen / REPORT
    if not path.is_file():
        raise ReportMissingError(f"bundle {chosen} has no report")
    return path
