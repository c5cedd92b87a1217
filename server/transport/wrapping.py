"""A servicer behaviour behind a check that may refuse the call, of the behaviour's own kind:
a response-streaming behaviour is wrapped as a generator, any other as a plain function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc

Behaviour = Callable[[Any, Any], Any]
# Why a call (request, context) is refused (code, message), or None when it may go on.
Check = Callable[[Any, Any], "tuple[grpc.StatusCode, str] | None"]


def behind(check: Check, behaviour: Behaviour, *, streaming: bool) -> Behaviour:
    """`behaviour` run only when `check` lets the call go on; else the call is aborted."""
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
