"""Large imports as jobs: the file is kept in the database, a worker imports it with progress.

An import of a few hundred rows is done in the request. One of thousands took minutes in one
request (issue 15: 20,000 referrals held a transaction for over 10 minutes), so above
``HAMKOR_IMPORT_JOB_ROWS`` rows the page keeps the file (:class:`ImportFile`), queues a job on
the job machinery (``core.jobs``) and shows its progress; a worker of any app process runs the
same import as the request would, as the same user, still all or nothing in one transaction,
and the job's result is the row-by-row report. The file is deleted when the job ends: it holds
patient data.

On SQLite, whose one write lock the import's transaction holds from its first write to its
commit, the progress is written while the rows are read and checked, not while they are
written: another connection's write would wait for that lock.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, BinaryIO, Protocol

from sqlalchemy import ForeignKey, LargeBinary, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from hamkor.core import jobs
from hamkor.core.access import Actor, NotFound
from hamkor.core.audit import AuditActor, act_as
from hamkor.core.db import WRITE_LOCK_AT_ONCE, Base, utcnow
from hamkor.core.i18n import N_
from hamkor.core.importing import ImportResult, Limits, Progress, Stage, count_rows
from hamkor.core.models import User
from hamkor.core.web import Ctx, Upload, client_address, settings_of

#: Files of jobs that never ran to their end (a process killed) are deleted after this.
KEEP_FILES = timedelta(days=1)

#: The part of the progress bar each stage fills, up to its end: reading is fast, writing not.
_STAGE_SPAN = {Stage.READING: (0, 30), Stage.CHECKING: (30, 40), Stage.WRITING: (40, 100)}
_STAGE_NOTE = {
    Stage.READING: N_("Reading and checking the rows"),
    Stage.CHECKING: N_("Checking the rows against the records"),
    Stage.WRITING: N_("Writing the rows"),
}
#: Said on SQLite once the rows are checked: the progress stops there until the import ends.
WRITING_ALL = N_("Checking and writing the rows; the import ends with all of them or none")


class ImportFile(Base):
    """An uploaded file waiting for its import job; deleted when the job ends.

    Its content (patients' names and numbers) never reaches the audit trail, only that it was
    written and deleted.
    """

    __tablename__ = "import_files"
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Protocol):
    """What an import job ends with: its report, kept as the job's result."""

    def to_json(self) -> dict[str, Any]: ...


#: What a module runs for a job of its kind: the import of ``file`` by ``actor`` with the
#: job's options, reporting progress; the same function its page calls for a small file.
Runner = Callable[[Session, Actor, BinaryIO, Mapping[str, Any], Progress], Report]


def start(
    *,
    db: Session,
    actor: Actor,
    file: BinaryIO,
    filename: str,
    kind: str,
    options: Mapping[str, Any],
    back: str,
    address: str | None,
    limits: Limits,
    job_rows: int,
    run_now: Callable[[BinaryIO], ImportResult],
) -> ImportResult | jobs.Job:
    """Import ``file`` at once when it has at most ``job_rows`` rows, else queue it as a job.

    The file is read through once first (refused at once when it breaks a limit, has another
    type or no header), which also counts its rows.
    """
    rows = count_rows(file, limits)
    if rows <= job_rows:
        return run_now(file)
    payload = {**options, "rows": rows, "back": back, "address": address}
    return queue(
        db=db, actor=actor, content=file.read(), filename=filename, kind=kind, payload=payload
    )


def queue(
    *,
    db: Session,
    actor: Actor,
    content: bytes,
    filename: str,
    kind: str,
    payload: Mapping[str, Any],
) -> jobs.Job:
    """Keep ``content`` and queue the job of ``kind`` that imports it; ``payload`` holds the
    job's options, ``rows`` (the rows in all, for the progress) and ``address`` (the client's,
    for the audit trail)."""
    db.execute(delete(ImportFile).where(ImportFile.created_at < utcnow() - KEEP_FILES))
    kept = ImportFile(filename=filename[:255], content=content, created_by=actor.user_id)
    db.add(kept)
    db.flush()
    payload = {**payload, "file_id": kept.id}
    return jobs.enqueue(db=db, kind=kind, payload=payload, created_by=actor.user_id)


def start_upload(
    ctx: Ctx,
    upload: Upload,
    *,
    kind: str,
    back: str,
    run_now: Callable[[BinaryIO, Limits], ImportResult],
    options: Mapping[str, Any] | None = None,
) -> ImportResult | jobs.Job:
    """:func:`start` for a page's upload, with the limits of the app's settings; ``back`` is
    the page the job's page links back to."""
    settings = settings_of(ctx.request)
    limits = Limits.of(settings)
    return start(
        db=ctx.db,
        actor=ctx.actor,
        file=upload.file,
        filename=upload.filename,
        kind=kind,
        options=options or {},
        back=back,
        address=client_address(ctx.request),
        limits=limits,
        job_rows=settings.import_job_rows,
        run_now=lambda file: run_now(file, limits),
    )


def forget(db: Session, payload: Mapping[str, Any]) -> None:
    """Delete the file of an import job that ended without its handler (its worker killed,
    cancelled while queued): it holds patient data and no run will read it again."""
    db.execute(delete(ImportFile).where(ImportFile.id == payload.get("file_id")))


def get_job(db: Session, actor: Actor, job_id: int) -> jobs.Job:
    """An import job for the page that follows it: only its own user's (others' are 404)."""
    job = db.get(jobs.Job, job_id)
    if job is None or job.created_by != actor.user_id or "file_id" not in job.payload:
        raise NotFound(jobs.Job.__tablename__, job_id)
    return job


def result_of(job: jobs.Job) -> ImportResult | None:
    """The report of a finished import job (None while it runs or when it failed)."""
    return ImportResult.from_json(job.result) if job.result is not None else None


class _JobProgress:
    """The import's progress as the job's percentage, note and figures (rows done, in all).

    On SQLite (``single_writer``) the progress is written while the rows are read, which asks
    nothing of the database; then, once, the note that the rows are being checked and written,
    and the import's session begins its transaction with the write lock (``WRITE_LOCK_AT_ONCE``):
    a transaction that read first could not write after another connection's commit (a
    progress note, a heartbeat, a page's audit row), and no other connection may write while
    the import holds the lock anyway.
    """

    def __init__(
        self, progress: jobs.Progress, total: int | None, db: Session, *, single_writer: bool
    ) -> None:
        self.progress = progress
        self.total = total
        self.db = db
        self.single_writer = single_writer
        self.silent = False

    def __call__(self, stage: Stage, done: int, total: int | None) -> None:
        if self.silent:
            return
        total = total or self.total
        first, last = _STAGE_SPAN[stage]
        share = min(1.0, done / total) if total else 0.0
        percent = int(first + (last - first) * share)
        if self.single_writer and stage is not Stage.READING:
            self.silent = True
            self.progress(percent, WRITING_ALL, force=True, total=total, indeterminate=True)
            if not self.db.in_transaction():
                self.db.connection(execution_options={WRITE_LOCK_AT_ONCE: True})
            return
        self.progress(percent, _STAGE_NOTE[stage], force=done == total, done=done, total=total)


def handler(runner: Runner) -> jobs.Handler:
    """The job handler of an import kind: run ``runner`` on the kept file as the user who
    uploaded it, commit (what a refusal leaves is only its audit of refused probes), delete
    the file, and return the report."""

    def handle(context: jobs.JobContext) -> dict[str, Any]:
        file_id = int(context.payload["file_id"])
        try:
            with context.sessions() as db:
                kept = db.get(ImportFile, file_id)
                user = db.get(User, context.created_by) if context.created_by else None
                if kept is None or user is None or not user.is_active:
                    raise NotFound(ImportFile.__tablename__, file_id)
                content = io.BytesIO(kept.content)
                actor = Actor.of(user)
                acting = AuditActor(user.id, user.username, context.payload.get("address"))
            # The import's own session, asked nothing before the rows are read (see above).
            with context.sessions() as db:
                act_as(db, acting)
                report = _JobProgress(
                    context.progress,
                    context.payload.get("rows"),
                    db,
                    single_writer=db.get_bind().dialect.name == "sqlite",
                )
                result = runner(db, actor, content, context.payload, report)
                db.commit()
        finally:
            with context.sessions.begin() as db:
                db.execute(delete(ImportFile).where(ImportFile.id == file_id))
        return result.to_json()

    return handle
