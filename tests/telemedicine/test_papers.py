"""The papers of a referral abroad: the invitation letter printed at ``invite`` in the patient's
language and the host's, the discharge summary's file at ``discharge``, both downloadable by the
referral's people only (issue 18)."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.care.models import Patient
from hamkor.core.access import Actor
from hamkor.core.errors import UserError
from hamkor.core.files import Attachment
from hamkor.core.models import AuditEntry
from hamkor.core.storage import Storage
from hamkor.settings import Settings
from hamkor.telemedicine import abroad, papers, service
from hamkor.telemedicine.abroad import AbroadAction, StepData
from hamkor.telemedicine.attachments import Upload
from hamkor.telemedicine.models import AbroadReferral, AbroadStatus, CaseStatus
from hamkor.telemedicine.schemas import Answer
from tests.fixtures.core import ClientFactory, csrf_of
from tests.fixtures.directory import bearer
from tests.fixtures.files import PDF, PNG
from tests.fixtures.telemedicine import NOW, CaseFactory, TeleWorld

MAX = Settings().file_max_bytes
NAME = "Karimova Dilnoza"
#: The label of the patient's name in Uzbek (the asker's country) and Kazakh (the centre's).
UZBEK_LABEL = "Bemor (pasportdagi kabi)"
KAZAKH_LABEL = "Пациент (төлқұжаттағыдай)"


@pytest.fixture
def referral(
    db: Session,
    tele_world: TeleWorld,
    create_case: CaseFactory,
    tele_patient: Patient,
    store: Storage,
) -> AbroadReferral:
    """A referral the centre has accepted: the next step is the invitation."""
    case = create_case(CaseStatus.ACCEPTED, patient_id=tele_patient.id)
    service.answer(
        db=db,
        actor=Actor.of(tele_world.assignee),
        case=case,
        data=Answer(answer="Reoperation in our centre.", recommendation="refer_abroad"),
        now=NOW,
    )
    found = abroad.recommend(db=db, actor=Actor.of(tele_world.asker), case=case, now=NOW)
    _take(db, tele_world, found, AbroadAction.ACCEPT, store)
    return found


def _take(
    db: Session,
    world: TeleWorld,
    referral: AbroadReferral,
    action: AbroadAction,
    store: Storage,
    data: StepData | None = None,
    summary: Upload | None = None,
    max_bytes: int = MAX,
) -> AbroadReferral:
    return abroad.take(
        db=db,
        actor=Actor.of(world.coordinator),
        referral=referral,
        action=action,
        data=data or StepData(),
        now=NOW,
        store=store,
        max_bytes=max_bytes,
        summary=summary,
    )


def _attachments(db: Session, referral: AbroadReferral) -> list[Attachment]:
    return list(
        db.scalars(
            select(Attachment).where(
                Attachment.owner_kind == AbroadReferral.__tablename__,
                Attachment.owner_id == referral.id,
            )
        )
    )


def _text(pdf: bytes) -> str:
    """The text of a PDF, its no-break spaces (of the dates' formats) as plain ones."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_the_letter_speaks_the_patients_language_and_the_hosts(
    db: Session, tele_world: TeleWorld, referral: AbroadReferral, store: Storage
) -> None:
    assert papers.letter_languages(referral) == ("uz", "kk")
    planned = StepData(
        travel_from=NOW.replace(month=11, day=17), travel_until=NOW.replace(month=11, day=28)
    )
    _take(db, tele_world, referral, AbroadAction.INVITE, store, planned)
    (letter,) = _attachments(db, referral)
    assert letter.name == f"invitation-letter-TA-2025-{referral.id:05d}.pdf"
    assert letter.stored.media_type == "application/pdf"
    with store.open(letter.sha256) as handle:
        text = _text(handle.read())
    assert f"{UZBEK_LABEL} {NAME}" in text
    assert f"{KAZAKH_LABEL} {NAME}" in text
    # Kazakh and Uzbek letters come through the embedded font as themselves.
    assert "Алматы, Қазақстан" in text
    assert "Tugʻilgan sana 15-mart, 1985" in text
    assert "Туған күні 1985 ж. 15 наурыз" in text
    assert "Жоспарланған мерзім 2025 ж. 17 қар. бастап 2025 ж. 28 қар. дейін" in text
    assert text.count(f"TA-2025-{referral.id:05d}") == 2


def test_a_patient_who_speaks_russian_gets_the_letter_in_russian(
    db: Session, referral: AbroadReferral
) -> None:
    referral.patient.languages = ["ru", "uz"]
    assert papers.letter_languages(referral) == ("ru", "kk")
    referral.patient.languages = ["kk"]
    assert papers.letter_languages(referral) == ("kk", "en")


def test_an_invitation_before_acceptance_writes_nothing(
    db: Session, tele_world: TeleWorld, referral: AbroadReferral, store: Storage
) -> None:
    referral.status = AbroadStatus.RECOMMENDED
    with pytest.raises(UserError) as refused:
        _take(db, tele_world, referral, AbroadAction.INVITE, store)
    assert refused.value.errors[0].message.text == "Only an accepted referral can be invited."
    assert (referral.status, _attachments(db, referral)) == (AbroadStatus.RECOMMENDED, [])


def _denials(db: Session) -> list[str | None]:
    stmt = select(AuditEntry.entity_id).where(
        AuditEntry.action == "denied", AuditEntry.entity == AbroadReferral.__tablename__
    )
    return list(db.scalars(stmt))


def test_the_letter_is_for_the_referrals_people_only(
    app_client: TestClient,
    client_for: ClientFactory,
    db: Session,
    tele_world: TeleWorld,
    referral: AbroadReferral,
    store: Storage,
) -> None:
    db.commit()
    invited = app_client.post(
        f"/api/v1/telemedicine/abroad/{referral.id}/invite",
        json={},
        headers=bearer(db, tele_world.coordinator),
    )
    assert invited.status_code == 200
    (paper,) = invited.json()["papers"]
    assert paper["kind"] == "invitation-letter"
    address = f"/files/{paper['file_id']}"
    asked = client_for(tele_world.asker).get(address)
    assert (asked.status_code, asked.headers["content-type"]) == (200, "application/pdf")
    assert NAME in _text(asked.content)
    assert client_for(tele_world.outsider).get(address).status_code == 403
    db.expire_all()
    assert _denials(db) == [str(referral.id)]
    listed = app_client.get("/api/v1/telemedicine/abroad", headers=bearer(db, tele_world.asker))
    assert [p["file_id"] for p in listed.json()[0]["papers"]] == [paper["file_id"]]


@pytest.fixture
def treated(
    db: Session, tele_world: TeleWorld, referral: AbroadReferral, store: Storage
) -> AbroadReferral:
    referral.status = AbroadStatus.TREATED
    db.commit()
    return referral


@pytest.mark.parametrize(
    ("content", "limit", "status"),
    [(b"plain text, named as a PDF", MAX, 422), (PDF + bytes(4096), 1024, 413)],
    ids=["wrong-kind", "too-large"],
)
def test_a_wrong_or_too_large_summary_is_refused_and_nothing_is_written(
    db: Session,
    tele_world: TeleWorld,
    treated: AbroadReferral,
    store: Storage,
    content: bytes,
    limit: int,
    status: int,
) -> None:
    before = db.scalar(select(func.count()).select_from(Attachment))
    upload = Upload("vypiska.pdf", io.BytesIO(content))
    with pytest.raises(UserError) as refused:
        _take(
            db, tele_world, treated, AbroadAction.DISCHARGE, store, summary=upload, max_bytes=limit
        )
    assert ([e.field for e in refused.value.errors], refused.value.status_code) == (
        ["summary"],
        status,
    )
    assert treated.status == AbroadStatus.TREATED
    assert db.scalar(select(func.count()).select_from(Attachment)) == before


def test_a_discharge_needs_a_text_or_a_file(
    db: Session, tele_world: TeleWorld, treated: AbroadReferral, store: Storage
) -> None:
    with pytest.raises(UserError) as refused:
        _take(db, tele_world, treated, AbroadAction.DISCHARGE, store)
    assert [e.field for e in refused.value.errors] == ["note"]


def test_the_summary_file_goes_through_the_api_and_the_page(
    app_client: TestClient,
    client_for: ClientFactory,
    db: Session,
    tele_world: TeleWorld,
    treated: AbroadReferral,
) -> None:
    path = f"/api/v1/telemedicine/abroad/{treated.id}/discharge"
    centre = bearer(db, tele_world.coordinator)
    wrong = app_client.post(path, files={"summary": ("scan.png", PDF, "image/png")}, headers=centre)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "summary"
    done = app_client.post(path, files={"summary": ("scan.png", PNG, "image/png")}, headers=centre)
    assert (done.status_code, done.json()["status"], done.json()["note"]) == (200, "returned", "")
    (paper,) = done.json()["papers"]
    assert (paper["kind"], paper["name"]) == ("discharge-summary", "discharge-summary.png")
    asker = client_for(tele_world.asker)
    home = asker.get(f"/files/{paper['file_id']}")
    assert (home.status_code, home.content) == (200, PNG)
    page = asker.get("/telemedicine/abroad")
    assert f'href="/files/{paper["file_id"]}"' in page.text


def test_the_page_form_takes_the_summary_file(
    client_for: ClientFactory, db: Session, tele_world: TeleWorld, treated: AbroadReferral
) -> None:
    centre = client_for(tele_world.coordinator)
    token = csrf_of(centre.get("/telemedicine/abroad").text)
    path = f"/telemedicine/abroad/{treated.id}/discharge"
    wrong = centre.post(
        path,
        data={"csrf_token": token},
        files={"summary": ("vypiska.pdf", b"plain text", "application/pdf")},
        follow_redirects=False,
    )
    assert wrong.status_code == 422
    assert 'id="e-summary"' in wrong.text
    done = centre.post(
        path,
        data={"csrf_token": token},
        files={"summary": ("vypiska.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    db.expire_all()
    assert treated.status == AbroadStatus.RETURNED
    assert [a.name for a in _attachments(db, treated)] == ["discharge-summary.png"]
