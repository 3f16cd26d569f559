"""Stored files: judged by their bytes, bounded in size and in what archives expand to, kept
once by hash, and removed when nothing refers to them any more."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import UploadFile

from hamkor.core import files, filetypes
from hamkor.core.access import Actor
from hamkor.core.errors import UserError
from hamkor.core.storage import LocalStorage
from hamkor.directory.models import Specialty
from tests.fixtures.files import ELF, PDF, PNG, WINDOWS_EXE, PutFile, declaring, docx, xlsx


def _refusal(error: pytest.ExceptionInfo[UserError]) -> tuple[int, str, str]:
    (item,) = error.value.errors
    return error.value.status_code, item.field, item.message.text


def test_a_file_is_kept_under_the_sha256_of_its_bytes(
    put_file: PutFile, store: LocalStorage
) -> None:
    stored = put_file(PDF, "Договор о сотрудничестве.pdf")

    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (stored.size, stored.media_type) == (len(PDF), "application/pdf")
    assert stored.original_name == "Договор о сотрудничестве.pdf"
    with store.open(stored.sha256) as kept:
        assert kept.read() == PDF


def test_the_same_bytes_are_kept_once_whatever_their_name(put_file: PutFile, db: Session) -> None:
    first = put_file(PDF, "contract.pdf")
    second = put_file(PDF, "copy of contract.pdf")

    assert second is first
    assert db.scalars(select(files.StoredFile)).all() == [first]


def test_png_bytes_under_a_pdf_name_are_refused(put_file: PutFile) -> None:
    with pytest.raises(UserError) as refused:
        put_file(PNG, "scan.pdf")

    assert _refusal(refused) == (422, "document", filetypes.NAME_DISAGREES)
    assert refused.value.errors[0].message.params == {"found": ".png", "extension": ".pdf"}


@pytest.mark.parametrize("program", [ELF, WINDOWS_EXE], ids=["linux", "windows"])
def test_a_program_is_refused_whatever_its_name(put_file: PutFile, program: bytes) -> None:
    with pytest.raises(UserError) as refused:
        put_file(program, "results.pdf")

    assert _refusal(refused) == (422, "document", filetypes.TYPE_NOT_ALLOWED)


def test_a_kind_the_use_does_not_accept_is_refused_naming_what_it_accepts(
    put_file: PutFile,
) -> None:
    with pytest.raises(UserError) as refused:
        put_file(PDF, "report.pdf", allowed=filetypes.IMAGES)

    assert refused.value.errors[0].message.params == {"allowed": ".jpg, .png"}


def test_a_refusal_reads_in_the_readers_language(put_file: PutFile) -> None:
    with pytest.raises(UserError) as refused:
        put_file(ELF, "results.pdf")

    russian = refused.value.errors[0].message.render("ru")
    assert russian.startswith("Файлы такого вида здесь не принимаются")


class _Endless(io.RawIOBase):
    """A gigabyte of upload that counts how much of it was read."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        self.read_bytes += count
        return count


def test_an_upload_past_the_limit_is_refused_without_reading_the_rest(
    db: Session, store: LocalStorage, uploader: Actor
) -> None:
    body = _Endless(2**30)
    upload = UploadFile(io.BufferedReader(body), filename="scan.pdf")

    with pytest.raises(UserError) as refused:
        files.put(
            db=db,
            store=store,
            actor=uploader,
            source=upload,
            allowed=filetypes.DOCUMENTS,
            max_bytes=2**20,
            field="document",
        )

    assert _refusal(refused) == (413, "document", files.TOO_LARGE)
    assert refused.value.errors[0].message.params == {"limit": "1"}
    assert body.read_bytes <= 2**20 + files.CHUNK_BYTES + io.DEFAULT_BUFFER_SIZE


def test_an_empty_file_is_refused(put_file: PutFile) -> None:
    with pytest.raises(UserError) as refused:
        put_file(b"", "empty.pdf")

    assert _refusal(refused) == (422, "document", files.EMPTY)


def test_a_document_declaring_gigabytes_is_refused_before_anything_opens_it(
    put_file: PutFile, store: LocalStorage
) -> None:
    bomb = declaring(
        docx(**{"word/media/image1.png": b"x" * 100}), "word/media/image1.png", 2**32 - 1
    )
    assert len(bomb) < 2000

    with pytest.raises(UserError) as refused:
        put_file(bomb, "report.docx")

    assert _refusal(refused) == (422, "document", filetypes.EXPANDS_TOO_MUCH)
    assert not store.exists(hashlib.sha256(bomb).hexdigest())


def test_a_zip_expanding_thousands_of_times_its_size_is_refused(put_file: PutFile) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", bytes(filetypes.RATIO_FLOOR_BYTES + 2**20))

    with pytest.raises(UserError) as refused:
        put_file(buffer.getvalue(), "data.zip", allowed=frozenset({filetypes.ZIP}))

    assert _refusal(refused) == (422, "document", filetypes.EXPANDS_TOO_MUCH)


def test_a_spreadsheet_as_excel_writes_it_is_accepted(put_file: PutFile) -> None:
    stored = put_file(xlsx(), "roadmap.xlsx")

    assert stored.media_type == filetypes.XLSX.media_type


def test_text_is_csv_or_plain_text_by_its_name_in_any_encoding(put_file: PutFile) -> None:
    rows = "Фамилия;Город\nАлиев;Ташкент\n"

    as_csv = put_file(rows.encode("cp1251"), "patients.csv")
    as_text = put_file(rows.encode(), "notes.txt")

    assert (as_csv.media_type, as_text.media_type) == ("text/csv", "text/plain")


def test_a_name_without_the_ending_of_its_content_gets_it(put_file: PutFile) -> None:
    stored = put_file(PNG, "photo from the ward")

    assert stored.original_name == "photo from the ward.png"


def test_a_name_keeps_no_directory_and_no_control_characters() -> None:
    assert files.safe_name("..\\..\\windows\\system.ini") == "system.ini"
    assert files.safe_name("../../etc/pass\x00wd\u202e.txt") == "passwd.txt"
    assert files.safe_name("") == "file"


def test_a_long_name_is_cut_before_its_ending() -> None:
    name = files.safe_name("а" * 500 + ".pdf")

    assert len(name) == files.NAME_MAX
    assert name.endswith("а.pdf")


def test_a_download_names_the_file_for_old_and_new_browsers() -> None:
    header = files.content_disposition('Отчёт "итоги" 2025.pdf')

    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82%20%22" in header
    plain = header.split('filename="')[1].split('"')[0]
    assert plain.isascii()
    assert plain.endswith(".pdf")


# --- garbage collection ---------------------------------------------------------------------


@pytest.fixture
def specialty(db: Session) -> Specialty:
    row = Specialty(code="telemedicine-test", names={"en": "Telemedicine"})
    db.add(row)
    db.flush()
    return row


def test_garbage_collection_removes_the_files_nothing_refers_to_and_only_those(
    db: Session,
    session_factory: sessionmaker[Session],
    put_file: PutFile,
    store: LocalStorage,
    uploader: Actor,
    specialty: Specialty,
) -> None:
    kept = put_file(PDF, "kept.pdf").sha256
    dropped = put_file(PNG, "dropped.png").sha256
    files.attach(
        db=db,
        actor=uploader,
        owner=specialty,
        stored=db.get_one(files.StoredFile, kept),
        name="scan.pdf",
    )
    db.commit()

    removed = files.collect_garbage(sessions=session_factory, store=store, older_than=timedelta(0))

    assert removed == [dropped]
    assert (store.exists(kept), store.exists(dropped)) == (True, False)
    assert db.scalars(select(files.StoredFile.sha256)).all() == [kept]


def test_a_file_stored_moments_ago_is_kept_for_the_form_that_attaches_it(
    db: Session, session_factory: sessionmaker[Session], put_file: PutFile, store: LocalStorage
) -> None:
    fresh = put_file(PDF, "fresh.pdf")
    db.commit()

    assert files.collect_garbage(sessions=session_factory, store=store) == []
    assert store.exists(fresh.sha256)


def test_a_file_detached_from_its_row_is_collected(
    db: Session,
    session_factory: sessionmaker[Session],
    put_file: PutFile,
    store: LocalStorage,
    uploader: Actor,
    specialty: Specialty,
) -> None:
    stored = put_file(PDF)
    attachment = files.attach(
        db=db, actor=uploader, owner=specialty, stored=stored, name="scan.pdf"
    )
    files.detach(db=db, attachment=attachment)
    db.commit()

    removed = files.collect_garbage(sessions=session_factory, store=store, older_than=timedelta(0))

    assert removed == [stored.sha256]


def test_a_file_whose_row_was_deleted_is_collected(
    db: Session,
    session_factory: sessionmaker[Session],
    put_file: PutFile,
    store: LocalStorage,
    uploader: Actor,
    specialty: Specialty,
) -> None:
    stored = put_file(PDF)
    files.attach(db=db, actor=uploader, owner=specialty, stored=stored, name="scan.pdf")
    db.delete(specialty)
    db.commit()

    removed = files.collect_garbage(sessions=session_factory, store=store, older_than=timedelta(0))

    assert removed == [stored.sha256]
    assert db.scalars(select(files.Attachment)).all() == []


def test_a_file_shared_by_two_rows_stays_while_one_refers_to_it(
    db: Session,
    session_factory: sessionmaker[Session],
    put_file: PutFile,
    store: LocalStorage,
    uploader: Actor,
    specialty: Specialty,
) -> None:
    other = Specialty(code="radiology-test", names={"en": "Radiology"})
    db.add(other)
    stored = put_file(PDF)
    first = files.attach(db=db, actor=uploader, owner=specialty, stored=stored, name="scan.pdf")
    files.attach(db=db, actor=uploader, owner=other, stored=stored, name="the same.pdf")
    files.detach(db=db, attachment=first)
    db.commit()

    assert (
        files.collect_garbage(sessions=session_factory, store=store, older_than=timedelta(0)) == []
    )
    assert [a.name for a in files.referrers(db=db, sha256=stored.sha256)] == ["the same.pdf"]


def test_detaching_all_of_a_row_leaves_the_others_attached(
    db: Session, put_file: PutFile, uploader: Actor, specialty: Specialty
) -> None:
    other = Specialty(code="radiology-test", names={"en": "Radiology"})
    db.add(other)
    stored = put_file(PDF)
    files.attach(db=db, actor=uploader, owner=specialty, stored=stored, name="scan.pdf")
    files.attach(db=db, actor=uploader, owner=other, stored=stored, name="scan.pdf")

    files.detach_all(db=db, owner=specialty)

    assert files.list_(db=db, owner=specialty) == []
    assert len(files.list_(db=db, owner=other)) == 1
