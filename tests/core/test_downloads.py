"""A stored file is served only to whoever may see the row it is attached to, as a download."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.care.models import Patient
from hamkor.core import files
from hamkor.core.access import Actor
from hamkor.core.models import AuditEntry, Role
from tests.fixtures.care import CareWorld, PatientFactory
from tests.fixtures.core import ClientFactory, UserFactory
from tests.fixtures.files import PDF, PutFile


@pytest.fixture
def patient(create_patient: PatientFactory) -> Patient:
    return create_patient("Aliyev Bobur")


@pytest.fixture
def referral_letter(
    db: Session, put_file: PutFile, uploader: Actor, patient: Patient
) -> files.Attachment:
    stored = put_file(PDF, "scan.pdf")
    attachment = files.attach(
        db=db, actor=uploader, owner=patient, stored=stored, name="Направление Алиева.pdf"
    )
    db.commit()
    return attachment


def test_the_registrar_of_the_patients_institution_downloads_it(
    client_for: ClientFactory, care_world: CareWorld, referral_letter: files.Attachment
) -> None:
    response = client_for(care_world.registrar).get(f"/files/{referral_letter.id}")

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="file.pdf"; filename*=UTF-8'
        "''%D0%9D%D0%B0%D0%BF%D1%80%D0%B0%D0%B2%D0%BB%D0%B5%D0%BD%D0%B8%D0%B5"
        "%20%D0%90%D0%BB%D0%B8%D0%B5%D0%B2%D0%B0.pdf"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_a_download_is_written_in_the_patients_trail(
    db: Session,
    client_for: ClientFactory,
    care_world: CareWorld,
    referral_letter: files.Attachment,
    patient: Patient,
) -> None:
    client_for(care_world.registrar).get(f"/files/{referral_letter.id}")

    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "download").order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    assert (entry.actor_name, entry.entity, entry.entity_id) == (
        "registrar",
        "patients",
        str(patient.id),
    )


def test_a_registrar_of_another_institution_is_refused_and_the_refusal_audited(
    db: Session,
    client_for: ClientFactory,
    create_user: UserFactory,
    care_world: CareWorld,
    referral_letter: files.Attachment,
    patient: Patient,
) -> None:
    stranger = create_user(
        Role.REGISTRAR, institution_id=care_world.days.syzganov.id, username="stranger"
    )

    response = client_for(stranger).get(f"/files/{referral_letter.id}")

    assert response.status_code == 403
    assert PDF not in response.content
    denial = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "denied", AuditEntry.actor_name == "stranger")
    ).one()
    assert (denial.entity, denial.entity_id) == ("patients", str(patient.id))


def test_nobody_logged_out_gets_a_file(
    app_client: TestClient, referral_letter: files.Attachment
) -> None:
    response = app_client.get(f"/files/{referral_letter.id}", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_an_attachment_that_does_not_exist_is_not_found(
    client_for: ClientFactory, care_world: CareWorld
) -> None:
    assert client_for(care_world.registrar).get("/files/999999").status_code == 404
