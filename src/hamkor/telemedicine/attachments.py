"""The files of a case: images, PDFs and DICOM series, and the copy shared abroad.

An upload carries one file or several, or a ZIP of a series. Each file is kept by the core
(checked by its content: a file that is not what its name says is refused there) and judged
again here: a DICOM file must be one pydicom reads (with the pylibjpeg plugins for compressed
transfer syntaxes). A DICOM file goes abroad only as a **de-identified copy**: ``dicognito``
applies the PS3.15 basic profile (names and identifiers replaced, dates shifted, UIDs
remapped), seeded by the case's secret so that every file of the case is treated alike (the
same study UID across a series, the same shift of dates), then the private tags are removed.
The copy is read back before it is kept: a copy that still holds the patient's name, an
identifier or an original UID is never stored.

One file is in memory at a time: the members of a ZIP are read one by one, each stored before
the next is opened.
"""

from __future__ import annotations

import io
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, BinaryIO, cast

import pydicom
from dicognito.anonymizer import Anonymizer
from pydicom.errors import InvalidDicomError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core import files, filetypes, jobs
from hamkor.core.access import Actor, restrict
from hamkor.core.errors import UserError, refuse_any
from hamkor.core.files import Attachment, StoredFile
from hamkor.core.i18n import N_
from hamkor.core.storage import Storage
from hamkor.telemedicine.models import OPEN_STATUSES, CaseFile, CaseStatus, FileKind, TeleCase
from hamkor.telemedicine.schemas import CaseFileRead
from hamkor.telemedicine.service import author_id, consent_problems
from hamkor.telemedicine.thumbnails import THUMBNAIL_JOB, THUMBNAIL_NAME

#: What a case accepts: images, PDFs, DICOM files, and ZIPs of DICOM files.
ACCEPTED = frozenset({filetypes.PDF, filetypes.PNG, filetypes.JPEG, filetypes.DICOM, filetypes.ZIP})
_KINDS = {
    filetypes.PDF.media_type: FileKind.PDF,
    filetypes.PNG.media_type: FileKind.IMAGE,
    filetypes.JPEG.media_type: FileKind.IMAGE,
    filetypes.DICOM.media_type: FileKind.DICOM,
}
#: The most files one upload (counting the members of a ZIP) may bring.
MAX_FILES = 2000

UNREADABLE_DICOM = N_("%(name)s is not a DICOM file that can be read.")
NOT_DICOM_MEMBER = N_("%(name)s in the archive is not a DICOM file.")
TOO_MANY = N_("Send at most %(limit)s files at once.")
NOT_NOW = N_("Files can be added only to a draft or an open case.")


class DeidentificationFailed(Exception):
    """The de-identified copy read back still holds something of the original: a bug of the
    profile or the library, never the user's input, so it is no translated refusal."""


@dataclass(frozen=True)
class Upload:
    """One file as sent: its name and its bytes to read."""

    name: str
    stream: BinaryIO


def _check_case(db: Session, case: TeleCase) -> None:
    if case.status not in (CaseStatus.DRAFT, *OPEN_STATUSES):
        raise UserError.one("files", NOT_NOW)
    refuse_any(consent_problems(db, case.patient_id, "files"))


def add_files(
    *,
    db: Session,
    actor: Actor,
    case: TeleCase,
    uploads: list[Upload],
    store: Storage,
    max_bytes: int,
) -> list[CaseFile]:
    """Keep the uploaded files on the case (a ZIP as the DICOM files it holds); each DICOM
    file with its de-identified copy; a thumbnail job queued for each image shared."""
    _check_case(db, case)
    kept: list[CaseFile] = []
    anonymizer = Anonymizer(seed=case.deid_seed)
    for upload in uploads:
        stored = files.put(
            db=db,
            store=store,
            actor=actor,
            source=upload.stream,
            allowed=ACCEPTED,
            max_bytes=max_bytes,
            filename=upload.name,
            field="files",
        )
        if stored.media_type == filetypes.ZIP.media_type:
            for name, member in _members(store, stored):
                kept += _keep(
                    db,
                    actor,
                    case,
                    store,
                    anonymizer,
                    _put_member(db, actor, store, name, member, max_bytes),
                    _member_name(name),
                )
        else:
            kept += _keep(db, actor, case, store, anonymizer, stored, upload.name)
        if len(kept) > MAX_FILES:
            raise UserError.one("files", TOO_MANY, limit=MAX_FILES)
    return kept


@contextmanager
def _opened(store: Storage, stored: StoredFile) -> Iterator[BinaryIO]:
    handle = files.open_(store=store, stored=stored)
    try:
        yield handle
    finally:
        handle.close()


def _members(store: Storage, stored: StoredFile) -> Iterator[tuple[str, IO[bytes]]]:
    """The files of a ZIP, one open at a time (the core checked its directory's sizes)."""
    with _opened(store, stored) as handle, zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            with archive.open(info) as member:
                yield info.filename, member


def _member_name(name: str) -> str:
    """A ZIP member's file name, without the folders it was in."""
    return name.rsplit("/", 1)[-1]


def _put_member(
    db: Session, actor: Actor, store: Storage, name: str, member: IO[bytes], max_bytes: int
) -> StoredFile:
    """A member of a series' ZIP, kept as the DICOM file it must be."""
    try:
        return files.put(
            db=db,
            store=store,
            actor=actor,
            source=cast(BinaryIO, member),
            allowed=frozenset({filetypes.DICOM}),
            max_bytes=max_bytes,
            filename=_member_name(name),
            field="files",
        )
    except UserError as error:
        if error.status_code == 413:
            raise
        raise UserError.one("files", NOT_DICOM_MEMBER, name=name[:100]) from error


def _keep(
    db: Session,
    actor: Actor,
    case: TeleCase,
    store: Storage,
    anonymizer: Anonymizer,
    stored: StoredFile,
    name: str,
) -> list[CaseFile]:
    """Keep one file on the case under ``name``, the name it was uploaded with (the same bytes
    may have been stored before under another institution's name)."""
    kind = _KINDS[stored.media_type]
    if kind != FileKind.DICOM:
        shared = _row(db, actor, case, stored, name, kind, shared=True)
        if kind == FileKind.IMAGE:
            _queue_thumbnail(db, shared)
        return [shared]
    original = _read(store, stored, name)
    row = _row(db, actor, case, stored, name, kind, shared=False, dataset=original)
    copy = _deidentify(original, anonymizer)
    copy_name = f"deidentified-{row.id}.dcm"
    copy_stored = files.put(
        db=db,
        store=store,
        actor=actor,
        source=io.BytesIO(copy),
        allowed=frozenset({filetypes.DICOM}),
        max_bytes=len(copy) + 1,
        filename=copy_name,
        field="files",
    )
    copy_read = _read(store, copy_stored, copy_name)
    shared_copy = _row(
        db, actor, case, copy_stored, copy_name, kind, shared=True, dataset=copy_read
    )
    shared_copy.original_id = row.id
    _queue_thumbnail(db, shared_copy)
    return [row, shared_copy]


def _read(store: Storage, stored: StoredFile, name: str) -> pydicom.Dataset:
    """A kept DICOM file, read whole (one instance: a frame or a few); refused when pydicom
    cannot read it cleanly or it names no instance, as a file that only looks like DICOM.
    pydicom reads damaged files leniently and says so in a warning: a warning refuses too."""
    with _opened(store, stored) as handle, warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            dataset = pydicom.dcmread(handle)
            named = bool(dataset.get("SOPInstanceUID")) and bool(dataset.get("SOPClassUID"))
        except (InvalidDicomError, UserWarning, ValueError, EOFError, OSError, KeyError) as error:
            raise _unreadable(name) from error
    if not named:
        raise _unreadable(name)
    return dataset


def _unreadable(name: str) -> UserError:
    return UserError.one("files", UNREADABLE_DICOM, name=name[:100])


def _row(
    db: Session,
    actor: Actor,
    case: TeleCase,
    stored: StoredFile,
    name: str,
    kind: FileKind,
    *,
    shared: bool,
    dataset: pydicom.Dataset | None = None,
) -> CaseFile:
    row = CaseFile(
        case_id=case.id,
        kind=kind,
        name=files.shown_name(name, stored),
        shared=shared,
        uploaded_by_id=author_id(actor),
    )
    if dataset is not None:
        row.study_uid = _uid(dataset, "StudyInstanceUID")
        row.series_uid = _uid(dataset, "SeriesInstanceUID")
        row.frames = int(dataset.get("NumberOfFrames", 1) or 1)
    db.add(row)
    db.flush()
    files.attach(db=db, actor=actor, owner=row, stored=stored, name=name)
    return row


def _uid(dataset: pydicom.Dataset, keyword: str) -> str | None:
    value = str(dataset.get(keyword, "") or "")
    return value[:64] or None


#: Elements whose original value must not survive in the shared copy.
_IDENTIFYING = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "OtherPatientIDs",
    "AccessionNumber",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "StudyDate",
    "InstitutionName",
    "ReferringPhysicianName",
)


def _deidentify(original: pydicom.Dataset, anonymizer: Anonymizer) -> bytes:
    """The bytes of the de-identified copy of ``original``, checked by reading them back."""
    dataset = pydicom.dcmread(io.BytesIO(_bytes_of(original)))
    anonymizer.anonymize(dataset)
    dataset.remove_private_tags()
    copy = _bytes_of(dataset)
    _check_copy(original, pydicom.dcmread(io.BytesIO(copy)))
    return copy


def _bytes_of(dataset: pydicom.Dataset) -> bytes:
    with tempfile.SpooledTemporaryFile(max_size=64 * 2**20) as handle:
        dataset.save_as(handle, enforce_file_format=True)
        handle.seek(0)
        return handle.read()


def _check_copy(original: pydicom.Dataset, copy: pydicom.Dataset) -> None:
    """Refuse to keep a copy that still carries an identifying value or a private tag."""
    for keyword in _IDENTIFYING:
        before, after = original.get(keyword), copy.get(keyword)
        if before is not None and str(before).strip() and str(before) == str(after):
            raise DeidentificationFailed(keyword)
    if any(element.tag.is_private for element in copy.iterall()):
        raise DeidentificationFailed("private tags")


def _queue_thumbnail(db: Session, row: CaseFile) -> None:
    jobs.enqueue(db=db, kind=THUMBNAIL_JOB, payload={"case_file_id": row.id}, created_by=None)


def list_files(db: Session, actor: Actor, case: TeleCase) -> list[CaseFile]:
    """The case's files the actor may open: the shared ones, and the originals too for the
    asking side (the same rule as ``/files/{id}`` applies, through the access policy)."""
    stmt = select(CaseFile).where(CaseFile.case_id == case.id).order_by(CaseFile.id)
    return list(db.scalars(restrict(stmt, actor)))


def attachments_of(db: Session, rows: list[CaseFile]) -> dict[int, list[Attachment]]:
    """The stored files of each row (its file, then its thumbnail), in one query."""
    found: dict[int, list[Attachment]] = {row.id: [] for row in rows}
    if not rows:
        return found
    stmt = (
        select(Attachment)
        .where(
            Attachment.owner_kind == CaseFile.__tablename__,
            Attachment.owner_id.in_(list(found)),
        )
        .order_by(Attachment.id)
    )
    for attachment in db.scalars(stmt):
        found[attachment.owner_id].append(attachment)
    return found


def described(db: Session, rows: list[CaseFile]) -> list[CaseFileRead]:
    """The rows with the attachments to download them by (the file, then its thumbnail)."""
    stored = attachments_of(db, rows)
    return [
        CaseFileRead(
            id=row.id,
            kind=row.kind,
            name=row.name,
            shared=row.shared,
            original_id=row.original_id,
            study_uid=row.study_uid,
            series_uid=row.series_uid,
            frames=row.frames,
            file_id=next((a.id for a in stored[row.id] if a.name != THUMBNAIL_NAME), None),
            thumbnail_id=next((a.id for a in stored[row.id] if a.name == THUMBNAIL_NAME), None),
        )
        for row in rows
    ]
