"""The handler threads of the scoring server: daemon threads that can be waited for until idle.

The threads are daemons, unlike `ThreadPoolExecutor`'s, which the interpreter joins at exit:
a handler still running after the server stopped (a stream's handler between two messages
of a client that never ends it) must not keep the process from ending.
`ScoringServer.stop` waits here, for a while, until the threads are idle.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")
_Work = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class HandlerPool(Executor):
    """`max_workers` daemon threads running submitted work in order of submission."""

    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._changed = threading.Condition()
        self._pending = 0
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{thread_name_prefix}_{i}", daemon=True)
            for i in range(max_workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._changed:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            self._pending += 1
        self._queue.put((future, fn, args, kwargs))
        return future

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            future, fn, args, kwargs = item
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn(*args, **kwargs))
                    except BaseException as exc:
                        future.set_exception(exc)
            finally:
                with self._changed:
                    self._pending -= 1
                    self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Waits until no work is running or queued; False if some still is after `timeout`."""
        with self._changed:
            return self._changed.wait_for(lambda: self._pending == 0, timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._changed:
            self._closed = True
        if cancel_futures:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
                    with self._changed:
                        self._pending -= 1
                        self._changed.notify_all()
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for thread in self._threads:
                thread.join()
