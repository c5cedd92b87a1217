"""An asyncio event loop on a thread of its own, driven from ordinary threads.

The scoring server's `grpc.aio` server lives on it (`pde.server.transport.app`), while its
lifecycle (start, stop) is called from the CLI's main thread, signal handlers and tests.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class LoopThread:
    """A running event loop on a daemon thread; `run` waits for a coroutine's result on it."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Runs `work()` on the loop and returns its result (or raises its error)."""

        async def call() -> T:
            return await work()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result()

    def cancel_tasks(self, timeout: float) -> None:
        """Cancels the tasks left on the loop and waits for them up to `timeout` seconds: the
        calls that a stopped server left, and what threads wait for on the loop (so that
        they wake instead of waiting for ever)."""

        async def cancel() -> None:
            current = asyncio.current_task()
            tasks = [task for task in asyncio.all_tasks() if task is not current]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)

        self.run(cancel)

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the loop and closes it once its thread has ended."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()
