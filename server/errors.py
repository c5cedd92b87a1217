"""Errors of the scoring core; they know nothing of gRPC (pde.server.transport.status maps them)."""

from __future__ import annotations

from pde.core.errors import PdeError


class ScoringError(PdeError):
    """Base of every error the scoring core raises for a request it cannot answer."""


class InvalidInputError(ScoringError):
    """The request's features, batch or activity are malformed."""


class VersionNotLoadedError(ScoringError):
    """The request names a model version other than the one loaded."""


class NotReadyError(ScoringError):
    """No bundle is loaded yet, or the bundle cannot answer this kind of request."""


class ReloadRefusedError(ScoringError):
    """A new bundle failed its checks; the previous one keeps serving."""
