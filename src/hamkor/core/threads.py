"""The threads a request's blocking work runs in, one hop away from the event loop.

Routes, their sessions and their commits block on the database, so each request's work goes to
a thread and the event loop awaits it. Starlette's ``run_in_threadpool`` (anyio's
``to_thread.run_sync``) takes a capacity limiter, a cancel scope and anyio's own worker queue on
every call: a route that only hops to a thread and back, under wrk with 64 clients and
requests gated ten at a time as ``Admission`` does, cost 265–275 µs of server CPU a request
that way and 192–210 µs with ``loop.run_in_executor`` on a plain pool (docs/benchmarks.md).
``Admission`` already bounds the requests at work, so no limiter is needed here.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

#: As many threads as anyio's default limiter allowed; they start as requests need them.
_pool = ThreadPoolExecutor(max_workers=40, thread_name_prefix="hamkor-request")


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a request thread, with the caller's context variables.

    As with anyio, a task cancelled while its work runs waits for the work to end before it
    ends too: a thread cannot be stopped, and the request's session must be closed, and its
    connection back in the pool, before ``Admission`` lets the next request in. Work that has
    not started yet is dropped.
    """
    work = _pool.submit(contextvars.copy_context().run, function, *args)
    try:
        return await asyncio.wrap_future(work)
    except asyncio.CancelledError:
        if not work.cancelled():
            await asyncio.wait([asyncio.wrap_future(work)])
        raise
