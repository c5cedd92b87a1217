"""The one service layer the pages call: database reads/writes (pde.db), scoring (client/)
and model promotion (jobs/).

Each function a page calls opens its own unit of work (`Services.session`) and returns typed
view models (frozen dataclasses); `access` decides who may do what. Pages and views never
import pde.db (an import-linter contract). Pages get the process's `Services` with `current()`;
nothing here connects at import time.
"""

from pde.frontend.services.base import Services, ServiceUnavailableError, current

__all__ = ["ServiceUnavailableError", "Services", "current"]
