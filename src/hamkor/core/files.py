"""Stored files: documents and images that rows of the modules refer to.

A file is kept once, under the SHA-256 of its bytes (``StoredFile``), whoever uploads it and
however often. Rows refer to it through an ``Attachment``: the owning row's table and id, and
the name the file goes by there. The download route checks access on that owning row with the
owner module's own policy, so a file is exactly as visible as what it is attached to. A file
nothing refers to any more is removed by :func:`collect_garbage` (a job).

Before a file is kept it is checked by content (``core.filetypes``): its kind against what the
use allows, its name against its kind, and an archive against what it would expand to. Uploads
are read in chunks into a temporary file, hashed on the way, and reading stops as soon as one
is larger than allowed.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any, BinaryIO
from urllib.parse import quote

from sqlalchemy import BigInteger, ForeignKey, Index, String, exists, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, sessionmaker
from starlette.datastructures import UploadFile

from hamkor.core import filetypes, jobs
from hamkor.core.access import Actor
from hamkor.core.db import Base, utcnow
from hamkor.core.errors import FieldError, UserError
from hamkor.core.filetypes import FileKind
from hamkor.core.i18n import N_, Message
from hamkor.core.storage import Storage, storage_for
from hamkor.settings import get_settings

log = logging.getLogger("hamkor.files")

CHUNK_BYTES = 64 * 1024
#: The longest name a file keeps (the database column); longer ones are cut before the ending.
NAME_MAX = 200
#: A file nothing refers to is kept this long, for a form that stores the file first and
#: attaches it in a later request.
GRACE = timedelta(hours=1)

TOO_LARGE = N_("The file is larger than %(limit)s MB.")
EMPTY = N_("The file is empty.")


class StoredFile(Base):
    """The bytes of one file, kept once under their SHA-256, with what they were found to be."""

    __tablename__ = "stored_files"
    # A file's name may name a patient or a confidential matter: the trail, read by auditors
    # who see neither, keeps only which columns were written (issue 22).
    __audit_values__ = False

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    #: The name it was first uploaded under; each attachment keeps its own.
    original_name: Mapped[str] = mapped_column(String(NAME_MAX))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A row's reference to a stored file: an agreement's scan, a teleconsultation's images.

    ``owner_kind`` is the owning row's table and ``owner_id`` its id: by table name, so the
    core needs no import of the modules (as ``Membership`` refers to institutions).
    """

    __tablename__ = "attachments"
    __audit_values__ = False  # as StoredFile's
    __table_args__ = (Index("ix_attachments_owner", "owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(60))
    owner_id: Mapped[int]
    # RESTRICT: a stored file goes only once nothing refers to it (``collect_garbage``).
    sha256: Mapped[str] = mapped_column(
        ForeignKey("stored_files.sha256", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    stored: Mapped[StoredFile] = relationship(lazy="joined")


# --- names ------------------------------------------------------------------------------------


def safe_name(filename: str) -> str:
    """A file's own name without any directory, control or format characters, at most
    ``NAME_MAX`` characters with its ending kept; ``file`` when nothing is left."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(
        char
        for char in unicodedata.normalize("NFC", base)
        if not unicodedata.category(char).startswith("C")
    ).strip(" .")
    if not cleaned:
        return "file"
    if len(cleaned) <= NAME_MAX:
        return cleaned
    ending = filetypes.suffix(cleaned)[:20]
    return cleaned[: NAME_MAX - len(ending)] + ending


# --- putting a file -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Staged:
    """What reading an upload found out: its hash, size, first bytes, and if it is text."""

    sha256: str
    size: int
    head: bytes
    textual: bool


def _refused(
    field: str, text: str, params: dict[str, str] | None = None, status: int = 422
) -> UserError:
    return UserError([FieldError(field, Message(text, params or {}))], status_code=status)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.2f}".rstrip("0").rstrip(".")


def _stage(source: BinaryIO, into: IO[bytes], *, field: str, max_bytes: int) -> _Staged:
    """Copy ``source`` into a temporary file chunk by chunk, hashing it; stop reading at the
    first chunk past ``max_bytes`` (the rest of a huge upload is never read)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    textual = True
    while chunk := source.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise _refused(field, TOO_LARGE, {"limit": _megabytes(max_bytes)}, status=413)
        digest.update(chunk)
        if len(head) < filetypes.HEAD_BYTES:
            head += chunk[: filetypes.HEAD_BYTES - len(head)]
        textual = textual and filetypes.is_textual(chunk)
        into.write(chunk)
    if size == 0:
        raise _refused(field, EMPTY)
    into.seek(0)
    return _Staged(digest.hexdigest(), size, head, textual)


def given_name(source: UploadFile | BinaryIO, filename: str | None) -> str:
    """The name a file came with: ``filename``, else the upload's own."""
    return filename if filename is not None else getattr(source, "filename", None) or ""


def put(
    *,
    db: Session,
    store: Storage,
    actor: Actor,
    source: UploadFile | BinaryIO,
    allowed: frozenset[FileKind],
    max_bytes: int,
    filename: str | None = None,
    field: str = "file",
) -> StoredFile:
    """Check and keep a file; its row (an existing one when the same bytes were kept before).

    ``source`` is an upload or any binary stream; ``filename`` defaults to the upload's.
    Refusals are :class:`UserError` on ``field``: 413 too large, 422 empty, a kind ``allowed``
    lacks, a name that claims another kind, or an archive that would expand too much. The
    bytes reach the store before the row is flushed; if the request then rolls back, they stay
    until the same bytes are put again (the store holds nothing that is not a whole file).
    """
    stream = source.file if isinstance(source, UploadFile) else source
    given = given_name(source, filename)
    with tempfile.TemporaryFile() as handle:
        staged = _stage(stream, handle, field=field, max_bytes=max_bytes)
        try:
            kind = filetypes.check(
                filetypes.identify(staged.head, textual=staged.textual, filename=given), allowed
            )
            name = safe_name(filetypes.name_for(safe_name(given), kind))
            if kind.archive:
                filetypes.check_archive(handle, staged.size)
                handle.seek(0)
        except filetypes.Refused as refusal:
            raise _refused(field, refusal.message, refusal.params) from refusal
        stored = db.get(StoredFile, staged.sha256)
        if stored is None or not store.exists(staged.sha256):
            store.put(staged.sha256, handle)
    if stored is not None:
        return stored
    return _record(
        db,
        StoredFile(
            sha256=staged.sha256,
            size=staged.size,
            media_type=kind.media_type,
            original_name=name,
            created_by=actor.user_id,
        ),
    )


def _record(db: Session, stored: StoredFile) -> StoredFile:
    """Add the row; when another request kept the same bytes meanwhile, theirs."""
    try:
        with db.begin_nested():
            db.add(stored)
    except IntegrityError:
        existing = db.get(StoredFile, stored.sha256)
        if existing is None:
            raise
        return existing
    return stored


# --- references -----------------------------------------------------------------------------


def _owner_key(owner: Base) -> tuple[str, int]:
    identity = inspect(owner).mapper.primary_key_from_instance(owner)
    if len(identity) != 1 or not isinstance(identity[0], int):
        raise TypeError("files attach to rows with one integer primary key")
    return owner.__tablename__, identity[0]


def shown_name(name: str, stored: StoredFile) -> str:
    """The name a file is shown under: ``name`` made safe, with the extension of its kind."""
    try:
        return safe_name(filetypes.name_for(safe_name(name), filetypes.kind_of(stored.media_type)))
    except filetypes.Refused as refusal:
        raise _refused("name", refusal.message, refusal.params) from refusal


def attach(*, db: Session, actor: Actor, owner: Base, stored: StoredFile, name: str) -> Attachment:
    """Refer to ``stored`` from ``owner`` (a flushed row), under ``name``: the name this upload
    came with. Not the name the bytes were first stored under: the same bytes uploaded by
    another institution would show that one's file name, which may name a patient (issue 22).
    The caller has checked that ``actor`` may change ``owner``."""
    kind, owner_id = _owner_key(owner)
    shown = shown_name(name, stored)
    attachment = Attachment(
        owner_kind=kind,
        owner_id=owner_id,
        sha256=stored.sha256,
        stored=stored,
        name=shown,
        created_by=actor.user_id,
    )
    db.add(attachment)
    db.flush()
    return attachment


def list_(*, db: Session, owner: Base) -> Sequence[Attachment]:
    """The files attached to ``owner``, oldest first."""
    kind, owner_id = _owner_key(owner)
    return db.scalars(
        select(Attachment)
        .where(Attachment.owner_kind == kind, Attachment.owner_id == owner_id)
        .order_by(Attachment.id)
    ).all()


def referrers(*, db: Session, sha256: str) -> Sequence[Attachment]:
    """Every reference to the file of this hash."""
    return db.scalars(
        select(Attachment).where(Attachment.sha256 == sha256).order_by(Attachment.id)
    ).all()


def detach(*, db: Session, attachment: Attachment) -> None:
    """Drop a reference; the file itself goes with the next garbage collection if nothing
    else refers to it. The caller has checked that the actor may change the owner."""
    db.delete(attachment)
    db.flush()


def detach_all(*, db: Session, owner: Base) -> None:
    """Drop every reference of ``owner``: a module deleting a row calls this first, since
    SQLite may give a new row the id of the deleted one, which would inherit its files."""
    for attachment in list_(db=db, owner=owner):
        db.delete(attachment)
    db.flush()


def owner_model(attachment: Attachment) -> type[Base]:
    """The model of the row an attachment belongs to, found by its table name."""
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == attachment.owner_kind:
            model: type[Base] = mapper.class_
            return model
    raise LookupError(f"no model for table {attachment.owner_kind!r}")


# --- reading --------------------------------------------------------------------------------


def chunks(store: Storage, sha256: str) -> Iterator[bytes]:
    """The bytes of a stored file, chunk by chunk, for a download to stream. The file is
    opened now, so that a missing one fails before the response starts."""
    return _read_through(store.open(sha256))


def _read_through(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def open_(*, store: Storage, stored: StoredFile) -> BinaryIO:
    """The bytes of a stored file to read, for a module that processes them."""
    return store.open(stored.sha256)


def content_disposition(name: str) -> str:
    """``attachment`` with the name for every browser (RFC 6266): a plain ASCII ``filename``
    for old ones and the exact name, percent-encoded UTF-8, as ``filename*``."""
    ending = filetypes.suffix(name)
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = "".join(char if char.isalnum() or char in "-_.() " else "_" for char in plain)
    if not plain.strip("_ .") or plain.strip("_ .") == ending.strip("."):
        plain = "file" + ending
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


# --- garbage collection ---------------------------------------------------------------------

COLLECT_JOB = "files.collect"


def collect_job(context: jobs.JobContext) -> dict[str, Any]:
    """The job of garbage collection (daily), on the store of the process's settings: files
    older than the grace at the period's start."""
    removed = collect_garbage(
        sessions=context.sessions, store=storage_for(get_settings()), now=context.as_of()
    )
    return {"removed": len(removed)}


def _orphan_references(db: Session) -> list[Attachment]:
    """References whose owning row is gone (deleted without detaching its files)."""
    orphans: list[Attachment] = []
    kinds = db.scalars(select(Attachment.owner_kind).distinct()).all()
    for kind in kinds:
        table = Base.metadata.tables.get(kind)
        if table is None:
            continue
        (key,) = table.primary_key.columns
        orphans += db.scalars(
            select(Attachment).where(
                Attachment.owner_kind == kind, ~Attachment.owner_id.in_(select(key))
            )
        ).all()
    return orphans


def collect_garbage(
    *,
    sessions: sessionmaker[Session],
    store: Storage,
    older_than: timedelta = GRACE,
    now: datetime | None = None,
) -> list[str]:
    """Remove the files nothing refers to (and references to rows that are gone); the hashes
    removed. The rows go in one transaction and the bytes after it commits, so a failure
    leaves bytes without a row (put again, they are reused), never a row without bytes.
    ``now`` is the clock's unless given (a scheduled job's period start)."""
    cutoff = (now or utcnow()) - older_than
    with sessions.begin() as db:
        for orphan in _orphan_references(db):
            db.delete(orphan)
        db.flush()
        unreferenced = db.scalars(
            select(StoredFile).where(
                StoredFile.created_at < cutoff,
                ~exists().where(Attachment.sha256 == StoredFile.sha256),
            )
        ).all()
        removed = [stored.sha256 for stored in unreferenced]
        for stored in unreferenced:
            db.delete(stored)
    for sha256 in removed:
        store.delete(sha256)
    if removed:
        log.info("removed %d stored files nothing referred to", len(removed))
    return removed
