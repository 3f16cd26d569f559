"""Admission: no more requests at work in one process than it has database connections.

Routes run in a thread pool (40 threads) while the database pool holds far fewer connections.
Without a gate, a burst of requests fills every thread with a request waiting for a connection,
and the requests that hold the connections cannot get a thread back to commit and let them go:
everyone waits for the pool's time-out (seen as minutes of 503s at 64 clients). Waiting here
instead costs no thread and no connection, and the requests let in run without contention.
"""

from __future__ import annotations

import asyncio
import weakref

from starlette.types import ASGIApp, Receive, Scope, Send


class Admission:
    """Let at most ``limit`` HTTP requests in at once; the others queue, in order of arrival.

    A request that waits longer than ``timeout`` seconds is handed to ``busy`` (a translated
    503 with Retry-After) rather than queueing for ever.
    """

    def __init__(self, app: ASGIApp, *, limit: int, timeout: float, busy: ASGIApp) -> None:
        self.app = app
        self.busy = busy
        self.timeout = timeout
        self.limit = limit
        # One gate per event loop: a server runs one, test clients may start several.
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gate = self._gates.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(self.limit))
        try:
            async with asyncio.timeout(self.timeout):
                await gate.acquire()
        except TimeoutError:
            await self.busy(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            gate.release()
