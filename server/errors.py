"""Errors of the scoring core; they know nothing of gRPC (pde.server.transport.status maps them)."""

from __future__ import annotations

from pde.core.errors import PdeError


class ScoringError(PdeError):
    """Base of every error the scoring core raises for a request it cannot answer."""


class InvalidInputError(ScoringError):
    """The request's features, batch or activity are malformed."""


class VersionNotLoadedError(ScoringError):
    """The request names a model version other than the one loaded."""


class UnknownModelError(ScoringError):
    """The request names a model this server does not serve."""


class NotReadyError(ScoringError):
    """No bundle is loaded yet, or the bundle cannot answer this kind of request."""


class ReloadRefusedError(ScoringError):
    """A new bundle failed its checks; the previous one keeps serving."""


# What an error message may show of a client's string, and of a whole message: a client can send
# megabytes in one field, and a message that echoes them grows past what gRPC carries in its
# trailers (the call then fails with another code) and floods the log.
QUOTE_CHARS = 40
MESSAGE_CHARS = 600


def quote(value: object, *, limit: int = QUOTE_CHARS) -> str:
    """A client-supplied value for an error message: its repr, cut to `limit` characters with
    its length added when longer. Every client string quoted in a message goes through this."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def clip(text: str, *, limit: int = MESSAGE_CHARS) -> str:
    """A whole message (e.g. a library's, which may embed client input) cut to `limit`."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"
