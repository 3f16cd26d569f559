"""A request's blocking work runs in a thread, with its context, and is waited for even when
the request's task is cancelled."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from hamkor.core.threads import in_thread
from tests.fixtures.core import run_async

reader = contextvars.ContextVar("reader", default="nobody")


def test_the_work_runs_in_another_thread_with_the_callers_context_variables() -> None:
    def work(greeting: str) -> tuple[str, str, int]:
        return greeting, reader.get(), threading.get_ident()

    async def request() -> tuple[tuple[str, str, int], int]:
        reader.set("registrar")
        return await in_thread(work, "salom"), threading.get_ident()

    (greeting, seen, worker), loop = run_async(request)
    assert (greeting, seen) == ("salom", "registrar")
    assert worker != loop


def test_an_error_of_the_work_reaches_the_caller() -> None:
    def work() -> None:
        raise LookupError("no such referral")

    async def request() -> None:
        await in_thread(work)

    with pytest.raises(LookupError, match="no such referral"):
        run_async(request)


def test_a_cancelled_request_ends_only_after_its_work_has_ended() -> None:
    """Its session must be closed before the next request is let in."""
    started, release = threading.Event(), threading.Event()
    ended: list[str] = []

    def work() -> None:
        started.set()
        release.wait()
        ended.append("work")

    async def scenario() -> bool:
        task = asyncio.create_task(in_thread(work))
        await asyncio.to_thread(started.wait)
        task.cancel()
        await asyncio.sleep(0.05)
        done_while_blocked = task.done()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        return done_while_blocked

    assert run_async(scenario) is False  # it still waited for the work, which was blocked
    assert ended == ["work"]
