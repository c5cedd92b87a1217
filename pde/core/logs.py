"""Logging set-up, done once per process by its entry point."""

from __future__ import annotations

import logging

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str | int = "INFO") -> None:
    """Sends log records to stderr in one format; safe to call more than once."""
    root = logging.getLogger()
    if not any(getattr(h, "_pde", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._pde = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
