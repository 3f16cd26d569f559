"""Long work off the request thread: a job table in the database and the workers that run it.

A page enqueues a job (a row) and returns at once; a worker thread of any app process claims it,
runs its handler and writes progress to the row, which the page polls. The database is the
queue (DESIGN: a PostgreSQL-backed job queue, no home-made cluster): on PostgreSQL a claim is
``SELECT ... FOR UPDATE SKIP LOCKED``, and on both databases the claiming ``UPDATE`` is guarded
by ``status = 'queued'``, so two workers can never take the same job. A job whose process died
is marked failed, with a message saying so, when a worker next starts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from hamkor.core.db import Base, utcnow
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_

log = logging.getLogger("hamkor.jobs")

#: A running job whose heartbeat is older than this is taken for dead (its process is gone).
STALE_AFTER = timedelta(minutes=2)
HEARTBEAT_SECONDS = 10.0
POLL_SECONDS = 1.0

FAILED_UNEXPECTEDLY = N_("The work failed unexpectedly. The error was logged; please try again.")
INTERRUPTED = N_("The work was interrupted because the server stopped. Please start it again.")


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """A piece of long work (a solve, an import, a report) and how far it has come.

    ``error`` is a message id of the catalogs with its ``error_params``: the page translates it
    for each reader, and never shows a traceback.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(String(20), default=JobStatus.QUEUED, index=True)
    progress: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(500))
    error_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    worker: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


Sessions = sessionmaker[Session]


@dataclass
class Progress:
    """What a handler is given to say how far it has come; writes at most once per ``every``.

    Each write is its own short transaction, so the page sees it while the work goes on.
    """

    sessions: Sessions
    job_id: int
    every: float = 1.0
    clock: Callable[[], float] = time.monotonic
    _last: float | None = field(default=None, init=False)

    def __call__(
        self, percent: int, note: str = "", *, force: bool = False, **details: Any
    ) -> bool:
        """Record ``percent`` (0–100), a note (a message id) and figures; True when written."""
        now = self.clock()
        if not force and self._last is not None and now - self._last < self.every:
            return False
        self._last = now
        with self.sessions.begin() as db:
            db.execute(
                update(Job)
                .where(Job.id == self.job_id)
                .values(
                    progress=max(0, min(100, percent)),
                    note=note,
                    details=details,
                    heartbeat_at=utcnow(),
                )
            )
        return True


@dataclass(frozen=True)
class JobContext:
    """A running job as its handler sees it."""

    job_id: int
    payload: Mapping[str, Any]
    created_by: int | None
    sessions: Sessions
    progress: Progress


Handler = Callable[[JobContext], dict[str, Any] | None]
_HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    """Declare the function that runs jobs of ``kind`` (modules call this from ``modules.py``)."""
    _HANDLERS[kind] = handler


def enqueue(*, db: Session, kind: str, payload: Mapping[str, Any], created_by: int | None) -> Job:
    """Queue a job; a worker picks it up once the request's transaction is committed."""
    if kind not in _HANDLERS:
        raise LookupError(f"no handler registered for jobs of kind {kind!r}")
    job = Job(kind=kind, payload=dict(payload), created_by=created_by)
    db.add(job)
    db.flush()
    return job


def worker_name() -> str:
    """This process, as written on the jobs it claims: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(sessions: Sessions, worker: str, job_id: int | None = None) -> int | None:
    """Take the oldest queued job (or job ``job_id`` if still queued) for ``worker``, or None;
    never the same job for two workers."""
    with sessions.begin() as db:
        wanted = [Job.status == JobStatus.QUEUED]
        if job_id is not None:
            wanted.append(Job.id == job_id)
        candidate = db.scalar(
            select(Job.id)
            .where(*wanted)
            .order_by(Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if candidate is None:
            return None
        now = utcnow()
        taken = db.execute(
            update(Job)
            .where(Job.id == candidate, Job.status == JobStatus.QUEUED)
            .values(status=JobStatus.RUNNING, worker=worker, started_at=now, heartbeat_at=now)
        )
        return candidate if taken.rowcount == 1 else None  # type: ignore[attr-defined]


def _finish(sessions: Sessions, job_id: int, **values: Any) -> None:
    with sessions.begin() as db:
        db.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
            .values(finished_at=utcnow(), **values)
        )


def _heartbeat(sessions: Sessions, job_id: int, stop: threading.Event) -> None:
    """Keep the running job's heartbeat fresh while its handler works (between progress).

    On SQLite a handler's own transaction may hold the one write lock for a while (an import
    writing its rows): the beat then waits for the lock's timeout and is skipped; the next one
    tries again. A job on SQLite is judged alive by its process, not its heartbeat.
    """
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            with sessions.begin() as db:
                db.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow()))
        except OperationalError:
            log.warning("job %s: heartbeat skipped, the database is busy", job_id)


def run(sessions: Sessions, job_id: int) -> None:
    """Run a claimed job to its end: done with its result, or failed with a message to show."""
    with sessions() as db:
        job = db.get(Job, job_id)
        assert job is not None
        context = JobContext(
            job_id=job.id,
            payload=dict(job.payload),
            created_by=job.created_by,
            sessions=sessions,
            progress=Progress(sessions, job.id),
        )
        handler = _HANDLERS.get(job.kind)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(sessions, job_id, stop), daemon=True)
    beat.start()
    try:
        if handler is None:
            raise LookupError(job.kind)
        result = handler(context)
    except UserError as refused:
        first = refused.errors[0].message
        _finish(
            sessions,
            job_id,
            status=JobStatus.FAILED,
            error=first.text,
            error_params=dict(first.params),
        )
    except Exception as crash:
        # Only the type: an exception's message may carry patient data.
        log.error("job %s (%s) failed: %s", job_id, job.kind, type(crash).__name__)
        _finish(sessions, job_id, status=JobStatus.FAILED, error=FAILED_UNEXPECTEDLY)
    else:
        _finish(sessions, job_id, status=JobStatus.DONE, progress=100, result=result or {})
    finally:
        stop.set()


def run_next(sessions: Sessions, worker: str | None = None) -> int | None:
    """Claim and run one queued job; its id, or None when the queue is empty."""
    job_id = claim(sessions, worker or worker_name())
    if job_id is not None:
        run(sessions, job_id)
    return job_id


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dead(job: Job, host: str, now: datetime) -> bool:
    """Whether the process that ran ``job`` is gone: a dead process here, or a silent one."""
    worker_host, _, pid = (job.worker or "").rpartition(":")
    if worker_host == host and pid.isdigit():
        return int(pid) != os.getpid() and not _pid_alive(int(pid))
    return job.heartbeat_at is None or now - job.heartbeat_at > STALE_AFTER


def recover_interrupted(sessions: Sessions) -> list[int]:
    """Mark failed the running jobs whose process has exited; their ids."""
    host = socket.gethostname()
    now = utcnow()
    with sessions.begin() as db:
        running = db.scalars(select(Job).where(Job.status == JobStatus.RUNNING)).all()
        lost = [job for job in running if _dead(job, host, now)]
        for job in lost:
            job.status = JobStatus.FAILED
            job.error = INTERRUPTED
            job.finished_at = now
        return [job.id for job in lost]


class WorkerPool:
    """Threads of this app process that run queued jobs until the app stops."""

    def __init__(self, sessions: Sessions, size: int) -> None:
        self._sessions = sessions
        self._size = size
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the threads; the first marks failed the jobs a dead process left running."""
        for number in range(self._size):
            thread = threading.Thread(
                target=self._loop, args=(number == 0,), name=f"hamkor-job-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _loop(self, recovers: bool) -> None:
        worker = worker_name()
        recovered = not recovers
        while not self._stop.is_set():
            try:
                if not recovered:
                    recover_interrupted(self._sessions)
                    recovered = True
                ran = run_next(self._sessions, worker)
            except Exception as crash:
                log.error("job worker: %s", type(crash).__name__)
                ran = None
            if ran is None:
                self._stop.wait(POLL_SECONDS)
