"""A servicer behaviour behind a check that may refuse the call, of the behaviour's own kind.

The asyncio server runs a coroutine on its loop and a plain function or a generator on a
handler thread, where the context's (blocking) abort is safe. A response-streaming
behaviour is wrapped as a generator whatever it is written as: a plain function returning
an iterator would be called on the loop, where a blocking abort would stall it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import grpc

Behaviour = Callable[[Any, Any], Any]
# Why a call (request, context) is refused (code, message), or None when it may go on.
Check = Callable[[Any, Any], "tuple[grpc.StatusCode, str] | None"]


def behind(check: Check, behaviour: Behaviour, *, streaming: bool) -> Behaviour:
    """`behaviour` run only when `check` lets the call go on; else the call is aborted."""
    if inspect.iscoroutinefunction(behaviour):

        async def on_loop(request: Any, context: Any) -> Any:
            refused = check(request, context)
            if refused is not None:
                await context.abort(*refused)
            return await behaviour(request, context)

        return on_loop
    if streaming:

        def streamed(request: Any, context: Any) -> Iterator[Any]:
            refused = check(request, context)
            if refused is not None:
                context.abort(*refused)
            yield from behaviour(request, context)

        return streamed

    def plain(request: Any, context: Any) -> Any:
        refused = check(request, context)
        if refused is not None:
            context.abort(*refused)
        return behaviour(request, context)

    return plain
