"""What a file is, judged by its bytes rather than its name, and which kinds each use accepts.

A name says nothing: ``report.pdf`` may hold a program. The first bytes are matched against
known signatures (``filetype``, pure Python, since a fresh machine has no libmagic); a file no
signature matches is text when it holds no control characters. Office documents are ZIP
archives, and an archive is refused when it declares more data than it may expand to, before
anything (openpyxl, a preview) opens it: ``zipfile`` will not inflate a member past its
declared size, so the declared sizes are the bound.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import BinaryIO

import filetype

from hamkor.core.i18n import N_

#: How many leading bytes the signatures are matched against (``filetype`` reads 8 KiB).
HEAD_BYTES = 8192
#: An archive may expand to at most this many bytes, all members together.
ARCHIVE_MAX_EXPANDED_BYTES = 256 * 2**20
#: ... and at most this many times its own size, once it expands past ``RATIO_FLOOR_BYTES``
#: (a small document's XML compresses well and harms nobody).
ARCHIVE_MAX_RATIO = 200
RATIO_FLOOR_BYTES = 16 * 2**20
#: A document has tens of members; tens of thousands are an attack on whoever lists them.
ARCHIVE_MAX_MEMBERS = 10_000

# Control characters other than tab, line feed, form feed and carriage return: their presence
# makes a file binary, whatever its encoding (UTF-8 or the CP1251 of older spreadsheets).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class FileKind:
    """A kind of file the platform keeps: its media type and the name endings it goes by."""

    media_type: str
    extensions: tuple[str, ...]
    archive: bool = False

    @property
    def extension(self) -> str:
        return self.extensions[0]


PDF = FileKind("application/pdf", (".pdf",))
PNG = FileKind("image/png", (".png",))
JPEG = FileKind("image/jpeg", (".jpg", ".jpeg"))
DOCX = FileKind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
    archive=True,
)
XLSX = FileKind(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), archive=True
)
ODT = FileKind("application/vnd.oasis.opendocument.text", (".odt",), archive=True)
ZIP = FileKind("application/zip", (".zip",), archive=True)
TEXT = FileKind("text/plain", (".txt",))
CSV = FileKind("text/csv", (".csv",))
DICOM = FileKind("application/dicom", (".dcm",))

KINDS: tuple[FileKind, ...] = (PDF, PNG, JPEG, DOCX, XLSX, ODT, ZIP, TEXT, CSV, DICOM)
_BY_MEDIA_TYPE = {kind.media_type: kind for kind in KINDS}
_KNOWN_ENDINGS = frozenset(ending for kind in KINDS for ending in kind.extensions)

#: What the uses of the platform accept: documents of an agreement or a request...
DOCUMENTS: frozenset[FileKind] = frozenset({PDF, DOCX, XLSX, ODT, TEXT, CSV, PNG, JPEG})
#: ... photographs and scans ...
IMAGES: frozenset[FileKind] = frozenset({PNG, JPEG})
#: ... and what a teleconsultation may carry: documents and DICOM images.
CLINICAL: frozenset[FileKind] = DOCUMENTS | {DICOM}


class Refused(Exception):
    """Why a file was refused: a message id of the catalogs and its values."""

    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


TYPE_NOT_ALLOWED = N_("Files of this kind are not accepted here. Accepted: %(allowed)s.")
NAME_DISAGREES = N_(
    "The file's content is %(found)s, but its name ends in %(extension)s. Rename it or "
    "choose the right file."
)
EXPANDS_TOO_MUCH = N_(
    "The archive would expand to too much data to be opened safely. Upload the document "
    "without what makes it so large."
)
DAMAGED_ARCHIVE = N_("The file is damaged and cannot be read.")


def accepted(kinds: frozenset[FileKind]) -> str:
    """The name endings of ``kinds``, as a refusal lists them (``.csv, .docx, .pdf``)."""
    return ", ".join(sorted(kind.extension for kind in kinds))


def identify(head: bytes, *, textual: bool, filename: str) -> FileKind | None:
    """The kind of a file from its first bytes (``HEAD_BYTES`` of them); ``textual`` tells
    whether the whole file was free of control characters. A text file is CSV or plain text
    by its name, the one thing its bytes cannot tell. None: a kind we do not keep."""
    media_type = filetype.guess_mime(head)
    if media_type is not None:
        return _BY_MEDIA_TYPE.get(media_type)
    if textual and head:
        return CSV if suffix(filename) == ".csv" else TEXT
    return None


def kind_of(media_type: str) -> FileKind:
    """The kind a stored file was found to be, by its media type."""
    return _BY_MEDIA_TYPE[media_type]


def is_textual(chunk: bytes) -> bool:
    """Whether ``chunk`` holds no control characters (checked chunk by chunk as it streams)."""
    return _CONTROL.search(chunk) is None


def suffix(filename: str) -> str:
    return PurePath(filename).suffix.lower()


def check(kind: FileKind | None, allowed: frozenset[FileKind]) -> FileKind:
    """The kind, if ``allowed`` has it."""
    if kind is None or kind not in allowed:
        raise Refused(TYPE_NOT_ALLOWED, allowed=accepted(allowed))
    return kind


def name_for(filename: str, kind: FileKind) -> str:
    """The name to keep a file under: its own when its ending fits its content, with the
    right ending added when it has another (``scan`` → ``scan.pdf``, ``x.html`` →
    ``x.html.png``), so that a download never opens as something else on the reader's
    computer. A name ending in another kind we know is a lie, and refused."""
    ending = suffix(filename)
    if ending in kind.extensions:
        return filename
    if ending in _KNOWN_ENDINGS:
        raise Refused(NAME_DISAGREES, found=kind.extension, extension=ending)
    return filename + kind.extension


def check_archive(source: BinaryIO, size: int) -> None:
    """Refuse an archive that declares too many members or too much data, from its central
    directory alone: no member is inflated."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise Refused(DAMAGED_ARCHIVE) from error
    if len(members) > ARCHIVE_MAX_MEMBERS:
        raise Refused(EXPANDS_TOO_MUCH)
    expanded = sum(member.file_size for member in members)
    if expanded > ARCHIVE_MAX_EXPANDED_BYTES:
        raise Refused(EXPANDS_TOO_MUCH)
    if expanded > RATIO_FLOOR_BYTES and expanded > ARCHIVE_MAX_RATIO * max(size, 1):
        raise Refused(EXPANDS_TOO_MUCH)
