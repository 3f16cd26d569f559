"""The workers: threads that run queued jobs, in the app process (``HAMKOR_JOB_WORKERS``) or in
a ``hamkor worker`` process, by the same loop.

A pool has its runners, which claim and run jobs until none is due and then doze, and one
watcher, which every heartbeat takes up the jobs whose worker died and queues the scheduled
jobs that are due, and in between waits for work: on PostgreSQL on a connection of its own
that ``LISTEN``s to the channel ``enqueue`` notifies, waking the runners at once; on SQLite,
which has no such thing, the runners simply look again every poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from hamkor.core import clock, jobs

log = logging.getLogger("hamkor.jobs")


class _Listener:
    """A PostgreSQL connection listening to the jobs' channel; reopened after a failure."""

    def __init__(self, engine: Engine, stopping: threading.Event) -> None:
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._stopping = stopping
        self._connection: Any = None

    def wait(self, timeout: float) -> bool:
        """Whether a job was announced within ``timeout`` seconds."""
        import psycopg

        try:
            if self._connection is None:
                self._connection = psycopg.connect(self._url, autocommit=True)
                self._connection.execute(f"LISTEN {jobs.CHANNEL}")
            return any(True for _ in self._connection.notifies(timeout=timeout, stop_after=1))
        except psycopg.Error as error:
            log.warning("job worker: cannot listen for jobs (%s)", type(error).__name__)
            self.close()
            self._stopping.wait(timeout)
            return False

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _engine_of(sessions: jobs.Sessions) -> Engine | None:
    bind = sessions.kw.get("bind")
    if isinstance(bind, Connection):
        return bind.engine
    return bind if isinstance(bind, Engine) else None


class WorkerPool:
    """``size`` threads that run jobs until :meth:`stop`, and their watcher."""

    def __init__(
        self,
        sessions: jobs.Sessions,
        size: int,
        *,
        timing: jobs.Timing | None = None,
        schedules: Iterable[jobs.Schedule] | None = None,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self._sessions = sessions
        self._size = size
        self._timing = timing or jobs.Timing()
        self._schedules = jobs.schedules() if schedules is None else tuple(schedules)
        self._now = now
        self._stopping = threading.Event()
        self._bell = threading.Condition()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the runners and the watcher."""
        targets = [self._watch] + [self._run] * self._size
        for number, target in enumerate(targets):
            thread = threading.Thread(target=target, name=f"hamkor-job-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float | None = 5) -> None:
        """Stop: claim no more; a running job is released at its next progress report
        (queued again if repeatable, else failed as interrupted) or finishes. Waits up to
        ``timeout`` seconds for each thread (None: as long as it takes)."""
        self._stopping.set()
        self._ring()
        for thread in self._threads:
            thread.join(timeout)

    def _ring(self) -> None:
        with self._bell:
            self._bell.notify_all()

    def _run(self) -> None:
        worker = jobs.worker_name()
        while not self._stopping.is_set():
            try:
                ran = jobs.run_next(
                    self._sessions,
                    worker,
                    timing=self._timing,
                    stopping=self._stopping,
                    now=self._now(),
                )
            except Exception as crash:
                log.error("job worker: %s", type(crash).__name__)
                ran = None
            if ran is None and not self._stopping.is_set():
                with self._bell:
                    self._bell.wait(self._timing.poll)

    def _watch(self) -> None:
        engine = _engine_of(self._sessions)
        listener = None
        if engine is not None and engine.dialect.name == "postgresql":
            listener = _Listener(engine, self._stopping)
        due = 0.0
        try:
            while not self._stopping.is_set():
                if time.monotonic() >= due:
                    due = time.monotonic() + self._timing.beat
                    self._look_after()
                wait = min(self._timing.poll, self._timing.beat)
                if listener is None:
                    self._stopping.wait(wait)
                elif listener.wait(wait):
                    self._ring()
        finally:
            if listener is not None:
                listener.close()

    def _look_after(self) -> None:
        """Take up the jobs of dead workers; queue the scheduled jobs that are due."""
        try:
            now = self._now()
            taken = jobs.recover_lapsed(self._sessions, timing=self._timing, now=now)
            queued = jobs.enqueue_due(self._sessions, now=now, due=self._schedules)
        except Exception as crash:
            log.error("job watcher: %s", type(crash).__name__)
            return
        if taken or queued:
            self._ring()
