"""The asyncio server's handler threads: work runs and reports, idle is waited for, queued work
is cancelled at shutdown, and the threads never keep the process from ending."""

from __future__ import annotations

import threading

import pytest

from pde.server.transport.pool import HandlerPool


def test_pool_runs_work_and_waits_until_idle() -> None:
    pool = HandlerPool(max_workers=2, thread_name_prefix="t")
    gate = threading.Event()
    held = pool.submit(gate.wait, 10)
    assert pool.submit(sum, [1, 2, 3]).result(5) == 6
    assert not pool.wait_idle(0.1)  # the held one still runs
    gate.set()
    assert held.result(5) is True
    assert pool.wait_idle(5)
    with pytest.raises(ZeroDivisionError):
        pool.submit(lambda: 1 / 0).result(5)
    assert all(thread.daemon for thread in threading.enumerate() if thread.name.startswith("t_"))
    pool.shutdown(wait=True)


def test_pool_shutdown_cancels_queued_work_and_refuses_more() -> None:
    pool = HandlerPool(max_workers=1, thread_name_prefix="u")
    started, gate = threading.Event(), threading.Event()

    def hold() -> bool:
        started.set()
        return gate.wait(10)

    running = pool.submit(hold)
    assert started.wait(5)  # the one thread is busy: the next one queues
    queued = pool.submit(sum, [1])
    pool.shutdown(wait=False, cancel_futures=True)
    assert queued.cancelled()
    gate.set()
    assert running.result(5) is True
    assert pool.wait_idle(5)
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(sum, [1])
