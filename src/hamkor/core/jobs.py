"""Long work off the request thread: a job table in the database and the functions that run it.

A page enqueues a job (a row) and returns at once; a worker (a thread of an app process, or of
a ``hamkor worker`` process: ``core.worker``) claims it, runs its handler and writes progress to
the row, which the page polls. The database is the queue (DESIGN: a PostgreSQL-backed job
queue, no home-made cluster): on PostgreSQL a claim is ``SELECT ... FOR UPDATE SKIP LOCKED``,
and on both databases the claiming ``UPDATE`` is guarded by ``status = 'queued'``, so two
workers never take the same job. Each claim counts an attempt, and every later write of the run
is guarded by ``attempts``, so a run whose job was meanwhile taken up by another worker writes
nothing more.

Issue 16:

- **Liveness by heartbeat.** A running job's ``heartbeat_at`` is renewed while it runs; one
  older than the lapse (``HAMKOR_JOB_HEARTBEAT_LAPSE_SECONDS``) belongs to a worker that died
  (killed, its machine gone). Every worker looks for such jobs periodically and takes each up:
  queued again if its kind is repeatable and attempts remain, else failed as interrupted.
- **Retries.** A repeatable kind's handler that crashes is queued again, not before
  ``run_after``, the wait doubling per attempt, until ``max_attempts``. A ``UserError`` is the
  input's fault and never retried.
- **Cancellation.** Asked for on the jobs page: a queued job is cancelled at once and never
  runs; a running one stops at its handler's next progress report, which raises
  :class:`Cancelled`, so the handler's own transaction is rolled back.
- **Schedules.** ``schedule(kind, every=...)`` declares work done once per period (a day); each
  worker enqueues the current period's job under a unique ``run_key``, and the insert of any
  other worker that raced it is ignored, so it runs once however many workers there are.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    Select,
    String,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from hamkor.core import audit, clock
from hamkor.core.access import Actor, NotFound
from hamkor.core.db import Base, dialect_insert, utcnow
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_
from hamkor.settings import Settings

log = logging.getLogger("hamkor.jobs")

#: The PostgreSQL channel on which ``enqueue`` tells the waiting workers (``core.worker``).
CHANNEL = "hamkor_jobs"
#: Attempts of a repeatable kind (``register(..., max_attempts=REPEATABLE)``).
REPEATABLE = 3

FAILED_UNEXPECTEDLY = N_("The work failed unexpectedly. The error was logged; please try again.")
INTERRUPTED = N_("The work was interrupted because the server stopped. Please start it again.")
CANCELLED = N_("The work was cancelled.")


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    JobStatus.QUEUED: N_("queued"),
    JobStatus.RUNNING: N_("running"),
    JobStatus.DONE: N_("done"),
    JobStatus.FAILED: N_("failed"),
    JobStatus.CANCELLED: N_("cancelled"),
}
#: A running job asked to stop, until its handler's next progress report.
CANCELLING = N_("cancelling")


class Job(Base):
    """A piece of long work (a solve, an import, a report) and how far it has come.

    ``error`` is a message id of the catalogs with its ``error_params``: the page translates it
    for each reader, and never shows a traceback. ``attempts`` counts the runs started;
    ``run_key`` names a scheduled job's period, once (a unique index, which SQLite adds
    without rebuilding the table and so without touching the rows that refer to jobs).
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_run_key", "run_key", unique=True),)

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
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(default=1, server_default="1")
    #: A queued job is not claimed before this (a retry's backoff); none: at once.
    run_after: Mapped[datetime | None]
    cancel_requested: Mapped[bool] = mapped_column(default=False, server_default=false())
    run_key: Mapped[str | None] = mapped_column(String(120))

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)

    @property
    def may_be_cancelled(self) -> bool:
        return not self.is_finished and not self.cancel_requested

    @property
    def state_label(self) -> str:
        """The message id of its state on the jobs page."""
        if self.status == JobStatus.RUNNING and self.cancel_requested:
            return CANCELLING
        return STATUS_LABELS[JobStatus(self.status)]

    @property
    def kind_label(self) -> str:
        """The message id of its kind (the kind itself when none was registered)."""
        known = _KINDS.get(self.kind)
        return known.label if known else self.kind


Sessions = sessionmaker[Session]


@dataclass(frozen=True)
class Timing:
    """How workers watch the jobs: a running job whose heartbeat is older than ``lapse`` is
    taken for dead; heartbeats are written six times per lapse, and idle workers look for work
    every ``poll`` seconds (on PostgreSQL a notification wakes them sooner). A repeatable job
    is tried again ``backoff`` after its first attempt, twice as long after each further one.

    On SQLite a handler's long write transaction (an import writing its rows) holds the one
    write lock, and the heartbeats of every job wait for it and are skipped: keep the lapse
    longer than the longest such transaction, or a slow import is taken for dead. Hence the
    generous two minutes by default.
    """

    lapse: timedelta = timedelta(seconds=120)
    poll: float = 1.0
    backoff: timedelta = timedelta(seconds=30)

    @property
    def beat(self) -> float:
        """Seconds between heartbeats, and between the workers' looks for lapsed jobs."""
        return self.lapse.total_seconds() / 6

    @classmethod
    def of(cls, settings: Settings) -> Timing:
        return cls(
            lapse=timedelta(seconds=settings.job_heartbeat_lapse_seconds),
            poll=settings.job_poll_seconds,
        )


class Stop(Exception):
    """Raised by a progress report: the handler must stop now. Handlers let it propagate, so
    their open transaction is rolled back."""


class Cancelled(Stop):
    """Someone asked that the job stop; it ends cancelled."""


class Released(Stop):
    """The job is no longer to run here: the worker is stopping, or another worker took the
    job up after this one's heartbeat lapsed."""


def _this_run(job_id: int, attempt: int) -> tuple[ColumnElement[bool], ...]:
    """The rows a run may still write: its job, running, in the attempt it claimed."""
    return (Job.id == job_id, Job.status == JobStatus.RUNNING, Job.attempts == attempt)


@dataclass
class Progress:
    """What a handler is given to say how far it has come; writes at most once per ``every``.

    Each write is its own short transaction, so the page sees it while the work goes on, and
    reads back in the same statement whether the job was asked to stop: then it raises
    :class:`Cancelled` (or :class:`Released` when the worker stops or lost the job).
    """

    sessions: Sessions
    job_id: int
    attempt: int
    every: float = 1.0
    clock: Callable[[], float] = time.monotonic
    stopping: threading.Event | None = None
    _last: float | None = field(default=None, init=False)

    def __call__(
        self, percent: int, note: str = "", *, force: bool = False, **details: Any
    ) -> bool:
        """Record ``percent`` (0–100), a note (a message id) and figures; True when written."""
        if self.stopping is not None and self.stopping.is_set():
            raise Released
        now = self.clock()
        if not force and self._last is not None and now - self._last < self.every:
            return False
        self._last = now
        with self.sessions.begin() as db:
            asked = db.execute(
                update(Job)
                .where(*_this_run(self.job_id, self.attempt))
                .values(
                    progress=max(0, min(100, percent)),
                    note=note,
                    details=details,
                    heartbeat_at=clock.now(),
                )
                .returning(Job.cancel_requested)
            ).scalar_one_or_none()
        if asked is None:
            raise Released
        if asked:
            raise Cancelled
        return True


@dataclass(frozen=True)
class JobContext:
    """A running job as its handler sees it."""

    job_id: int
    payload: Mapping[str, Any]
    created_by: int | None
    sessions: Sessions
    progress: Progress

    def as_of(self) -> datetime:
        """The instant the work is for: a scheduled job's period start, else now."""
        start = self.payload.get("period_start")
        return datetime.fromisoformat(start) if start else clock.now()


Handler = Callable[[JobContext], dict[str, Any] | None]
#: What a kind leaves behind for its handler, undone when a job ends without its handler
#: having done so: in the transaction that fails or cancels it.
Forget = Callable[[Session, Mapping[str, Any]], None]


@dataclass(frozen=True)
class Kind:
    """What jobs of one kind are: their handler, their name on the jobs page (a message id),
    how many attempts they get (1: not repeatable) and what to forget of a job given up."""

    handler: Handler
    label: str
    max_attempts: int
    forget: Forget | None = None


_KINDS: dict[str, Kind] = {}


def register(
    kind: str,
    handler: Handler,
    *,
    label: str | None = None,
    max_attempts: int = 1,
    forget: Forget | None = None,
) -> None:
    """Declare the function that runs jobs of ``kind`` (modules call this from ``modules.py``).

    ``max_attempts`` above 1 (``REPEATABLE``) makes the kind repeatable: its jobs are run again
    after a crash or an interruption. Only for handlers that may be stopped anywhere and run
    again: idempotent, or writing all they write in one transaction.

    ``forget`` removes what the job's payload points at and its handler would have removed
    at its end (an import's kept file): called when a job is failed or cancelled without its
    handler running to its end, as when its worker was killed (issue 22).
    """
    _KINDS[kind] = Kind(handler, label or kind, max_attempts, forget)


def _forget(db: Session, kind: str, payload: Mapping[str, Any]) -> None:
    registered = _KINDS.get(kind)
    if registered is not None and registered.forget is not None:
        registered.forget(db, payload)


def _notify(db: Session) -> None:
    """Wake the workers listening on PostgreSQL, once the transaction commits."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_notify(CHANNEL, "")))


def enqueue(
    *,
    db: Session,
    kind: str,
    payload: Mapping[str, Any],
    created_by: int | None,
    max_attempts: int | None = None,
) -> Job:
    """Queue a job; a worker picks it up once the transaction is committed. ``max_attempts``
    overrides the kind's."""
    registered = _KINDS.get(kind)
    if registered is None:
        raise LookupError(f"no handler registered for jobs of kind {kind!r}")
    job = Job(
        kind=kind,
        payload=dict(payload),
        created_by=created_by,
        max_attempts=max_attempts or registered.max_attempts,
    )
    db.add(job)
    db.flush()
    _notify(db)
    return job


def worker_name() -> str:
    """This process, as written on the jobs it claims: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(
    sessions: Sessions, worker: str, job_id: int | None = None, *, now: datetime | None = None
) -> int | None:
    """Take the oldest queued job that is due (or job ``job_id`` if still queued) for
    ``worker``, counting an attempt; its id, or None. Never the same job for two workers."""
    now = now or clock.now()
    with sessions.begin() as db:
        wanted = [
            Job.status == JobStatus.QUEUED,
            or_(Job.run_after.is_(None), Job.run_after <= now),
        ]
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
        taken = db.execute(
            update(Job)
            .where(Job.id == candidate, Job.status == JobStatus.QUEUED)
            .values(
                status=JobStatus.RUNNING,
                worker=worker,
                started_at=now,
                heartbeat_at=now,
                attempts=Job.attempts + 1,
            )
        )
        return candidate if taken.rowcount == 1 else None  # type: ignore[attr-defined]


def _finish(sessions: Sessions, job_id: int, attempt: int, **values: Any) -> None:
    with sessions.begin() as db:
        db.execute(
            update(Job).where(*_this_run(job_id, attempt)).values(finished_at=clock.now(), **values)
        )


def _settle(
    sessions: Sessions,
    job_id: int,
    attempt: int,
    *,
    now: datetime,
    backoff: timedelta,
    error: str,
    also: Iterable[ColumnElement[bool]] = (),
) -> JobStatus | None:
    """End an attempt that did not finish its work: cancelled if that was asked, queued again
    after its backoff while attempts remain, else failed with ``error``. The new status, or
    None when the run was no longer this attempt's (or failed ``also``)."""
    with sessions.begin() as db:
        job = db.execute(
            select(Job.kind, Job.payload, Job.max_attempts, Job.cancel_requested).where(
                Job.id == job_id
            )
        ).one_or_none()
        if job is None:
            return None
        values: dict[str, Any]
        if job.cancel_requested:
            values = {"status": JobStatus.CANCELLED, "error": CANCELLED, "finished_at": now}
        elif attempt < job.max_attempts:
            wait = backoff * 2 ** (attempt - 1)
            values = {"status": JobStatus.QUEUED, "run_after": now + wait, "worker": None}
        else:
            values = {"status": JobStatus.FAILED, "error": error, "finished_at": now}
        taken = db.execute(update(Job).where(*_this_run(job_id, attempt), *also).values(values))
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        if values["status"] != JobStatus.QUEUED:
            _forget(db, job.kind, job.payload)
        return JobStatus(values["status"])


def _heartbeat(
    sessions: Sessions, job_id: int, attempt: int, every: float, stop: threading.Event
) -> None:
    """Keep the running job's heartbeat fresh while its handler works (between progress).

    On SQLite a handler's own transaction may hold the one write lock for a while (an import
    writing its rows): the beat then waits for the lock's timeout and is skipped; the next one
    tries again (see :class:`Timing` on the lapse this asks for).
    """
    while not stop.wait(every):
        try:
            with sessions.begin() as db:
                db.execute(
                    update(Job).where(*_this_run(job_id, attempt)).values(heartbeat_at=clock.now())
                )
        except OperationalError:
            log.warning("job %s: heartbeat skipped, the database is busy", job_id)


def run(
    sessions: Sessions,
    job_id: int,
    *,
    timing: Timing | None = None,
    stopping: threading.Event | None = None,
) -> None:
    """Run a claimed job to its end: done with its result, failed with a message to show,
    cancelled, or queued again (a repeatable kind's crash; the worker's stop)."""
    timing = timing or Timing()
    with sessions() as db:
        job = db.get(Job, job_id)
        assert job is not None
        attempt, kind = job.attempts, _KINDS.get(job.kind)
        context = JobContext(
            job_id=job.id,
            payload=dict(job.payload),
            created_by=job.created_by,
            sessions=sessions,
            progress=Progress(sessions, job.id, attempt, stopping=stopping),
        )
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(sessions, job_id, attempt, timing.beat, stop), daemon=True
    )
    beat.start()
    try:
        if kind is None:
            raise LookupError(job.kind)
        result = kind.handler(context)
    except Cancelled:
        _finish(sessions, job_id, attempt, status=JobStatus.CANCELLED, error=CANCELLED)
    except Released:
        _settle(
            sessions, job_id, attempt, now=clock.now(), backoff=timing.backoff, error=INTERRUPTED
        )
    except UserError as refused:
        first = refused.errors[0].message
        _finish(
            sessions,
            job_id,
            attempt,
            status=JobStatus.FAILED,
            error=first.text,
            error_params=dict(first.params),
        )
    except Exception as crash:
        # Only the type: an exception's message may carry patient data.
        log.error("job %s (%s) failed: %s", job_id, job.kind, type(crash).__name__)
        _settle(
            sessions,
            job_id,
            attempt,
            now=clock.now(),
            backoff=timing.backoff,
            error=FAILED_UNEXPECTEDLY,
        )
    else:
        _finish(sessions, job_id, attempt, status=JobStatus.DONE, progress=100, result=result or {})
    finally:
        stop.set()
        beat.join()


def run_here(sessions: Sessions, job_id: int, timing: Timing) -> threading.Thread | None:
    """Claim the job and run it in a thread of this process (a command that shows its
    progress); None when a worker took it first."""
    if claim(sessions, worker_name(), job_id) != job_id:
        return None
    worker = threading.Thread(target=run, args=(sessions, job_id), kwargs={"timing": timing})
    worker.start()
    return worker


def run_next(
    sessions: Sessions,
    worker: str | None = None,
    *,
    timing: Timing | None = None,
    stopping: threading.Event | None = None,
    now: datetime | None = None,
) -> int | None:
    """Claim and run one queued job that is due at ``now``; its id, or None when none is."""
    job_id = claim(sessions, worker or worker_name(), now=now)
    if job_id is not None:
        run(sessions, job_id, timing=timing, stopping=stopping)
    return job_id


def recover_lapsed(sessions: Sessions, *, timing: Timing, now: datetime) -> list[int]:
    """Take up the running jobs whose heartbeat is older than the lapse: their worker died.
    Each is queued again or failed as interrupted (:func:`_settle`), by a guarded update, so
    of two workers noticing the same job only one takes it. The ids taken up here."""
    cutoff = now - timing.lapse
    with sessions() as db:
        lapsed = db.execute(
            select(Job.id, Job.attempts).where(
                Job.status == JobStatus.RUNNING, Job.heartbeat_at < cutoff
            )
        ).all()
    taken = []
    for job_id, attempt in lapsed:
        if _settle(
            sessions,
            job_id,
            attempt,
            now=now,
            backoff=timing.backoff,
            error=INTERRUPTED,
            also=[Job.heartbeat_at < cutoff],
        ):
            log.warning("job %s: its worker stopped beating; taken up", job_id)
            taken.append(job_id)
    return taken


# --- cancellation and the jobs page ---------------------------------------------------------


def visible_to(actor: Actor) -> Select[Any]:
    """The jobs a reader may see, newest first: a platform admin all, anyone else their own."""
    stmt = select(Job)
    if not actor.is_admin:
        stmt = stmt.where(Job.created_by == actor.user_id)
    return stmt.order_by(Job.id.desc())


def get_visible(db: Session, actor: Actor, job_id: int) -> Job:
    """One job the reader may see (and so cancel); others' are 404."""
    job = db.get(Job, job_id)
    if job is None or not (actor.is_admin or job.created_by == actor.user_id):
        raise NotFound(Job.__tablename__, job_id)
    return job


def cancel(*, db: Session, job: Job, now: datetime) -> Job:
    """Ask that ``job`` stop: a queued one is cancelled at once (its claim is guarded by the
    status, so it never runs), a running one at its handler's next progress report. A job
    that ended meanwhile is left as it ended."""
    queued = db.execute(
        update(Job)
        .where(Job.id == job.id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.CANCELLED, cancel_requested=True, error=CANCELLED, finished_at=now)
    )
    if queued.rowcount == 1:  # type: ignore[attr-defined]
        _forget(db, job.kind, job.payload)
    else:
        db.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == JobStatus.RUNNING)
            .values(cancel_requested=True)
        )
    audit.record(db, action="cancel", entity=Job.__tablename__, entity_id=job.id)
    db.refresh(job)
    return job


# --- schedules ------------------------------------------------------------------------------

_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday: weekly periods start on Mondays


@dataclass(frozen=True)
class Schedule:
    """Work of ``kind`` done once in every period of length ``every`` (UTC, from midnight)."""

    kind: str
    every: timedelta

    def period_start(self, now: datetime) -> datetime:
        return _EPOCH + ((now - _EPOCH) // self.every) * self.every

    def run_key(self, start: datetime) -> str:
        return f"{self.kind}:{start:%Y-%m-%dT%H:%M}"


_SCHEDULES: dict[str, Schedule] = {}


def schedule(kind: str, *, every: timedelta) -> None:
    """Run jobs of ``kind`` once per period of ``every`` (``modules.py`` calls this)."""
    _SCHEDULES[kind] = Schedule(kind, every)


def schedules() -> tuple[Schedule, ...]:
    """The schedules registered."""
    return tuple(_SCHEDULES.values())


def enqueue_due(
    sessions: Sessions, *, now: datetime, due: Iterable[Schedule] | None = None
) -> list[int]:
    """Queue the job of each schedule's current period unless a worker already has; the ids
    queued by this call. The payload holds the period's start (:meth:`JobContext.as_of`)."""
    queued = []
    for each in schedules() if due is None else due:
        start = each.period_start(now)
        key = each.run_key(start)
        with sessions.begin() as db:
            # Looked for first: on SQLite even an insert that does nothing takes the write lock.
            if db.scalar(select(Job.id).where(Job.run_key == key)) is not None:
                continue
            job_id = db.scalar(
                dialect_insert(db)(Job)
                .values(
                    kind=each.kind,
                    payload={"period_start": start.isoformat()},
                    max_attempts=_KINDS[each.kind].max_attempts,
                    run_key=key,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=[Job.run_key])
                .returning(Job.id)
            )
            if job_id is not None:
                _notify(db)
                queued.append(job_id)
    return queued


# --- the probe ------------------------------------------------------------------------------

PROBE_JOB = "core.probe"
PROBING = N_("Holding the worker as asked")


def probe_job(context: JobContext) -> dict[str, Any]:
    """A job that shows the workers work: it holds its worker ``seconds`` (0 by default) in
    steps, reporting progress at each (so it can be cancelled), then records its run in the
    audit trail, whose rows are never removed: a job run twice would show there twice.
    ``hamkor jobs probe`` sends one; the tests count the runs of many."""
    seconds = float(context.payload.get("seconds", 0))
    steps = math.ceil(seconds / 0.1)
    for step in range(steps):
        context.progress(100 * step // steps, PROBING, force=True)
        time.sleep(seconds / steps)
    with context.sessions.begin() as db:
        audit.record(db, action="probe", entity=Job.__tablename__, entity_id=context.job_id)
    return {"worker": worker_name()}
