"""Rate-limited logging of client errors: one line per kind and window, with a count.

A client that sends bad requests in a loop must not fill the log: the first error of a kind
(method and status code) in a window is logged, without a traceback; the others are counted,
and the first line of the next window says how many were left out. `flush` logs what is
still counted (at shutdown). Server faults (INTERNAL) are not client errors and are logged
in full elsewhere.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
# gRPC's own logger: it logs a traceback per message that fails to (de)serialize, at ERROR.
GRPC_LOGGER = "grpc._common"


@dataclass
class _Window:
    started: float
    suppressed: int = 0


class ClientErrorLog:
    """Logs client errors at most once per kind per window, then the count of the rest."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        window_seconds: float = WINDOW_SECONDS,
        level: int = logging.INFO,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.window_seconds = window_seconds
        self.level = level
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def admit(self, kind: str) -> int | None:
        """None when an error of `kind` is to be left out (and is counted); otherwise the
        number left out in the window that just ended (0 for none)."""
        now = self._clock()
        with self._lock:
            window = self._windows.get(kind)
            if window is not None and now - window.started < self.window_seconds:
                window.suppressed += 1
                return None
            self._windows[kind] = _Window(started=now)
            return window.suppressed if window is not None else 0

    def suffix(self, suppressed: int) -> str:
        if not suppressed:
            return ""
        return f" [{suppressed} more like this in the previous {self.window_seconds:g} s]"

    def record(self, kind: str, message: str) -> None:
        """Logs `kind: message` unless this kind was logged in the current window."""
        suppressed = self.admit(kind)
        if suppressed is not None:
            self.logger.log(self.level, "%s: %s%s", kind, message, self.suffix(suppressed))

    def flush(self) -> None:
        """Logs the counts still held back (e.g. at shutdown) and starts afresh."""
        with self._lock:
            pending = {k: w.suppressed for k, w in self._windows.items() if w.suppressed}
            self._windows.clear()
        for kind, count in sorted(pending.items()):
            self.logger.log(self.level, "%s: %d more like this in the last window", kind, count)


class LibraryErrorFilter(logging.Filter):
    """A filter for a library's logger whose errors are caused by client input: drops the
    traceback and lets one record per message and window through, with the count."""

    def __init__(self, limiter: ClientErrorLog) -> None:
        super().__init__()
        self.limiter = limiter

    def filter(self, record: logging.LogRecord) -> bool:
        suppressed = self.limiter.admit(f"{record.name}: {record.getMessage()[:80]}")
        if suppressed is None:
            return False
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        record.msg = f"{record.getMessage()} (no traceback: caused by a client's message)"
        record.msg += self.limiter.suffix(suppressed)
        record.args = None
        return True
