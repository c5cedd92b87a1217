"""The one service layer the pages call: database reads/writes (pde.db) and scoring (client/).

Pages get the process's `Services` with `current()`; nothing here connects at import time.
"""

from pde.frontend.services.base import Services, ServiceUnavailableError, current

__all__ = ["ServiceUnavailableError", "Services", "current"]
