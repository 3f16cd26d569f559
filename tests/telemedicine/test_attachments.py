"""The files of a case: DICOM series de-identified for the centre abroad and read back, files
that are not what they say refused, originals kept from the centre, thumbnails a frame at a
time (issue 18). The DICOM files are built here with pydicom."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.care import service as care_service
from hamkor.care.models import ConsentDecision, ConsentKind, Patient
from hamkor.care.schemas import ConsentCreate
from hamkor.core import files, jobs
from hamkor.core.access import Actor
from hamkor.core.errors import UserError
from hamkor.core.models import AuditEntry
from hamkor.core.storage import Storage
from hamkor.settings import Settings, get_settings
from hamkor.telemedicine import attachments, thumbnails
from hamkor.telemedicine.attachments import Upload
from hamkor.telemedicine.models import CaseFile, CaseStatus, TeleCase
from tests.fixtures.core import ClientFactory, csrf_of
from tests.fixtures.directory import bearer
from tests.fixtures.files import PNG
from tests.fixtures.telemedicine import CaseFactory, TeleWorld

NAME, PATIENT_ID, BORN = "KARIMOVA^DILNOZA", "UZ-31503851234567", "20160315"
STUDY, SERIES = generate_uid(), generate_uid()


def instance(sop_uid: str, *, frames: int = 1) -> bytes:
    """One CT-like instance of the patient's study, with a private tag of the scanner."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = STUDY
    ds.SeriesInstanceUID = SERIES
    ds.PatientName = NAME
    ds.PatientID = PATIENT_ID
    ds.PatientBirthDate = BORN
    ds.StudyDate = "20251014"
    ds.InstitutionName = "Vakhidov Centre"
    ds.Modality = "OT"
    ds.BurnedInAnnotation = "NO"
    ds.Rows, ds.Columns = 32, 32
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    pixels = np.arange(frames * 32 * 32, dtype=np.uint16).reshape(frames, 32, 32) % 4096
    ds.PixelData = pixels.tobytes()
    block = ds.private_block(0x0009, "ACME SCANNER", create=True)
    block.add_new(0x01, "LO", "serial 0042, operator Karimov")
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _add(
    db: Session, world: TeleWorld, case: TeleCase, store: Storage, *uploads: tuple[str, bytes]
) -> list[CaseFile]:
    return attachments.add_files(
        db=db,
        actor=Actor.of(world.asker),
        case=case,
        uploads=[Upload(name, io.BytesIO(content)) for name, content in uploads],
        store=store,
        max_bytes=2**24,
    )


def _read(db: Session, store: Storage, row: CaseFile) -> pydicom.Dataset:
    (attachment,) = files.list_(db=db, owner=row)
    with files.open_(store=store, stored=attachment.stored) as handle:
        return pydicom.dcmread(handle)


def _assert_deidentified(copies: list[pydicom.Dataset], originals: set[str]) -> None:
    for copy in copies:
        text = str(copy)
        assert "KARIMOVA" not in text
        assert PATIENT_ID not in text
        assert BORN not in text
        assert "Vakhidov" not in text
        assert "operator" not in text  # the private tag is gone
        assert not any(element.tag.is_private for element in copy.iterall())
        uids = {copy.StudyInstanceUID, copy.SeriesInstanceUID, copy.SOPInstanceUID}
        assert not uids & originals
        assert copy.PatientIdentityRemoved == "YES"


def test_a_series_is_deidentified_alike_and_read_back(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory, store: Storage
) -> None:
    case = create_case(CaseStatus.SUBMITTED)
    sops = [generate_uid() for _ in range(3)]
    rows = _add(
        db, tele_world, case, store, *[(f"ct-{n}.dcm", instance(s)) for n, s in enumerate(sops)]
    )
    originals = [r for r in rows if not r.shared]
    shared = [r for r in rows if r.shared]
    assert (len(originals), len(shared)) == (3, 3)
    assert {r.original_id for r in shared} == {r.id for r in originals}
    copies = [_read(db, store, r) for r in shared]
    _assert_deidentified(copies, {STUDY, SERIES, *sops})
    assert len({c.StudyInstanceUID for c in copies}) == 1
    assert len({c.SeriesInstanceUID for c in copies}) == 1
    assert len({c.SOPInstanceUID for c in copies}) == 3
    assert len({str(c.StudyDate) for c in copies}) == 1
    assert str(copies[0].StudyDate) != "20251014"
    assert {r.study_uid for r in shared} == {copies[0].StudyInstanceUID}
    assert _read(db, store, originals[0]).PatientName == NAME


def test_a_zip_of_the_series_later_maps_to_the_same_study(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory, store: Storage
) -> None:
    case = create_case(CaseStatus.SUBMITTED)
    first = _add(db, tele_world, case, store, ("ct-0.dcm", instance(generate_uid())))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for n in range(2):
            zipped.writestr(f"series/ct-{n + 1}.dcm", instance(generate_uid()))
    later = _add(db, tele_world, case, store, ("series.zip", archive.getvalue()))
    shared = [r for r in first + later if r.shared]
    assert len(shared) == 3
    assert len({r.study_uid for r in shared}) == 1
    other = create_case(CaseStatus.SUBMITTED)
    elsewhere = _add(db, tele_world, other, store, ("ct.dcm", instance(generate_uid())))
    assert {r.study_uid for r in elsewhere if r.shared} != {shared[0].study_uid}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("ct.dcm", PNG, "The file's content is .png, but its name ends in .dcm."),
        ("ct.dcm", b"\x00" * 128 + b"DICM" + b"\x02\x00garbage" * 4, "ct.dcm is not a DICOM"),
        ("notes.txt", b"just some text\n", "Files of this kind are not accepted here."),
    ],
    ids=["png-named-dcm", "broken-dicom", "text"],
)
def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_kept(
    db: Session,
    tele_world: TeleWorld,
    create_case: CaseFactory,
    store: Storage,
    name: str,
    content: bytes,
    message: str,
) -> None:
    case = create_case(CaseStatus.SUBMITTED)
    with pytest.raises(UserError) as refused, db.begin_nested():
        _add(db, tele_world, case, store, ("good.dcm", instance(generate_uid())), (name, content))
    (error,) = refused.value.errors
    assert error.field == "files"
    assert error.message.render("en").startswith(message)
    assert db.scalar(select(func.count()).select_from(CaseFile)) == 0


def test_a_zip_holding_something_else_is_refused(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory, store: Storage
) -> None:
    case = create_case(CaseStatus.SUBMITTED)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("ct-1.dcm", instance(generate_uid()))
        zipped.writestr("readme.exe", b"MZ\x90\x00" + bytes(60))
    with pytest.raises(UserError) as refused:
        _add(db, tele_world, case, store, ("series.zip", archive.getvalue()))
    assert refused.value.errors[0].message.render("en") == (
        "readme.exe in the archive is not a DICOM file."
    )


def test_withdrawn_consent_stops_new_files(
    db: Session,
    tele_world: TeleWorld,
    create_case: CaseFactory,
    store: Storage,
    tele_patient: Patient,
) -> None:
    case = create_case(CaseStatus.SUBMITTED, patient_id=tele_patient.id)
    care_service.record_consent(
        db=db,
        actor=tele_world.care.admin,
        patient=tele_patient,
        data=ConsentCreate(
            kind=ConsentKind.DATA_SHARING_ABROAD, decision=ConsentDecision.WITHDRAWN
        ),
    )
    with pytest.raises(UserError) as refused:
        _add(db, tele_world, case, store, ("ct.dcm", instance(generate_uid())))
    assert [e.field for e in refused.value.errors] == ["files"]


def test_the_centre_gets_the_copy_and_never_the_original(
    client_for: ClientFactory,
    db: Session,
    tele_world: TeleWorld,
    create_case: CaseFactory,
    store: Storage,
) -> None:
    case = create_case(CaseStatus.SUBMITTED)
    rows = _add(db, tele_world, case, store, ("ct.dcm", instance(generate_uid())))
    db.commit()
    original = next(r for r in rows if not r.shared)
    copy = next(r for r in rows if r.shared)
    centre = Actor.of(tele_world.coordinator)
    assert [r.id for r in attachments.list_files(db, centre, case)] == [copy.id]
    assert len(attachments.list_files(db, Actor.of(tele_world.asker), case)) == 2
    (original_file,) = files.list_(db=db, owner=original)
    (copy_file,) = files.list_(db=db, owner=copy)
    browser = client_for(tele_world.coordinator)
    assert browser.get(f"/files/{original_file.id}").status_code == 403
    download = browser.get(f"/files/{copy_file.id}")
    assert download.status_code == 200
    assert b"KARIMOVA" not in download.content


def test_thumbnails_are_made_a_frame_at_a_time_once(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory, store: Storage
) -> None:
    case = create_case(CaseStatus.SUBMITTED)
    rows = _add(db, tele_world, case, store, ("cine.dcm", instance(generate_uid(), frames=4)))
    copy = next(r for r in rows if r.shared)
    assert copy.frames == 4
    assert thumbnails.make_thumbnail(db, store, copy) is True
    assert thumbnails.make_thumbnail(db, store, copy) is False
    thumb = files.list_(db=db, owner=copy)[-1]
    assert thumb.name == thumbnails.THUMBNAIL_NAME
    with files.open_(store=store, stored=thumb.stored) as handle:
        image = Image.open(handle)
        assert image.size == (32, 32)
        assert image.getextrema() == (0, 255)


def test_several_files_through_the_page_and_the_api(
    client_for: ClientFactory, db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(CaseStatus.SUBMITTED)
    page = f"/telemedicine/{case.id}"
    asker = client_for(tele_world.asker)
    token = csrf_of(asker.get(page).text)
    chosen = [
        ("files", ("ct-1.dcm", instance(generate_uid()), "application/dicom")),
        ("files", ("ct-2.dcm", instance(generate_uid()), "application/dicom")),
        ("files", ("echo.png", PNG, "image/png")),
    ]
    saved = asker.post(
        f"{page}/files", data={"csrf_token": token}, files=chosen, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    assert asker.get(page).text.count("/files/") == 5  # two originals, two copies, the image
    centre = client_for(tele_world.coordinator)
    assert centre.get(page).text.count('href="/files/') == 3
    headers = bearer(db, tele_world.coordinator)
    api = centre.get(f"/api/v1/telemedicine/cases/{case.id}/files", headers=headers).json()
    assert [(f["kind"], f["shared"]) for f in api] == [
        ("dicom", True),
        ("dicom", True),
        ("image", True),
    ]
    refused = asker.post(
        f"{page}/files",
        data={"csrf_token": token},
        files=[("files", ("ct.dcm", PNG, "application/dicom"))],
        headers={"accept-language": "en"},
    )
    assert refused.status_code == 422
    assert "but its name ends in .dcm" in refused.text


def test_a_jpeg_2000_instance_is_read_deidentified_and_thumbnailed(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory, store: Storage
) -> None:
    dataset = pydicom.dcmread(io.BytesIO(instance(generate_uid())))
    dataset.compress(JPEG2000Lossless)
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    case = create_case(CaseStatus.SUBMITTED)
    rows = _add(db, tele_world, case, store, ("ct-j2k.dcm", buffer.getvalue()))
    copy = next(r for r in rows if r.shared)
    read_back = _read(db, store, copy)
    assert read_back.file_meta.TransferSyntaxUID == JPEG2000Lossless
    _assert_deidentified([read_back], {STUDY, SERIES, str(dataset.SOPInstanceUID)})
    assert thumbnails.make_thumbnail(db, store, copy) is True


def test_the_thumbnail_job_is_queued_by_the_upload_and_run_by_a_worker(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tele_world: TeleWorld,
    create_case: CaseFactory,
    store: Storage,
) -> None:
    monkeypatch.setenv("HAMKOR_VAR_DIR", str(settings.var_dir))  # the worker's store is this one
    get_settings.cache_clear()
    case = create_case(CaseStatus.SUBMITTED)
    rows = _add(db, tele_world, case, store, ("ct.dcm", instance(generate_uid())))
    db.commit()
    while jobs.run_next(session_factory, "test:1") is not None:
        pass
    copy = next(r for r in rows if r.shared)
    (described,) = [f for f in attachments.described(db, [copy])]
    assert described.thumbnail_id is not None
    (original,) = attachments.described(db, [r for r in rows if not r.shared])
    assert original.thumbnail_id is None  # the original is not shown abroad: no thumbnail
    get_settings.cache_clear()


FILE_TABLES = ("stored_files", "attachments", "case_files")


def test_the_same_file_on_two_cases_keeps_each_uploaders_name(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory, store: Storage
) -> None:
    """The bytes are kept once; the name is each upload's own. Shown the first uploader's,
    another institution's case listed "Karimova-echo.png" (issue 22, /telemedicine/{case_id}).
    Nor does the audit trail, which auditors read, keep the names (issue 22, /audit)."""
    first, second = create_case(CaseStatus.SUBMITTED), create_case(CaseStatus.SUBMITTED)
    (kept,) = _add(db, tele_world, first, store, ("Karimova-echo.png", PNG))
    (again,) = _add(db, tele_world, second, store, ("echo.png", PNG))
    (attachment,) = files.list_(db=db, owner=again)
    assert (kept.name, again.name, attachment.name) == ("Karimova-echo.png", "echo.png", "echo.png")
    trail = db.scalars(select(AuditEntry.changes).where(AuditEntry.entity.in_(FILE_TABLES)))
    assert "Karimova" not in str(list(trail))
