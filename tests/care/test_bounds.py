"""Care takes no text past its bound and no date past its range, through the API and the pages:
each refusal names the field, in the reader's language, and nothing is stored (issue 15)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.care.models import Patient, Sex
from tests.fixtures.care import CareWorld, PatientFactory, make_pinfl
from tests.fixtures.core import ClientFactory
from tests.fixtures.directory import bearer
from tests.fixtures.programs import submit

LONG_NAME = "Нурматов " * 600  # 5,400 characters


def _patients(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Patient)) or 0


def _patient_body(care_world: CareWorld, **changes: Any) -> dict[str, Any]:
    born = date(1970, 2, 1)
    return {
        "names": {"ru": "Нурматов Азиз"},
        "birth_date": born.isoformat(),
        "sex": "male",
        "identifiers": [{"kind": "uz_pinfl", "value": make_pinfl(born, Sex.MALE)}],
        "institution_id": care_world.days.vakhidov.id,
        **changes,
    }


def test_a_5400_character_name_through_the_api_is_refused_naming_the_field(
    app_client: TestClient, db: Session, care_world: CareWorld
) -> None:
    assert len(LONG_NAME) == 5400
    headers = {**bearer(db, care_world.registrar), "accept-language": "ru"}

    response = app_client.post(
        "/api/v1/care/patients",
        json=_patient_body(care_world, names={"ru": LONG_NAME}),
        headers=headers,
    )

    assert response.status_code == 422, response.text
    assert response.json() == {
        "detail": "Некоторые поля требуют исправления.",
        "errors": [{"field": "names.ru", "message": "Должно быть не более 300 символов."}],
    }
    assert _patients(db) == 0


def test_a_5400_character_name_from_the_intake_page_is_shown_beside_its_box(
    client_for: ClientFactory, db: Session, care_world: CareWorld
) -> None:
    born = date(1978, 11, 2)
    form = {
        "names.ru": LONG_NAME,
        "birth_date": born.isoformat(),
        "sex": "male",
        "identifiers.0.kind": "uz_pinfl",
        "identifiers.0.value": make_pinfl(born, Sex.MALE, 31),
        "institution_id": str(care_world.days.vakhidov.id),
    }

    response = submit(
        client_for(care_world.registrar), "/care/patients/new", "/care/patients", form
    )

    assert response.status_code == 422
    assert '<div class="field invalid">\n    <label for="f-names.ru"' in response.text
    assert '<p class="error">Must be at most 300 characters.</p>' in response.text
    assert _patients(db) == 0


def test_a_referral_reason_past_4000_characters_is_refused(
    app_client: TestClient, db: Session, care_world: CareWorld, create_patient: PatientFactory
) -> None:
    patient = create_patient()
    body = {
        "patient_id": patient.id,
        "program_id": care_world.days.program.id,
        "specialty_id": care_world.days.cardiac_surgery.id,
        "reason": "x" * 4001,
        "icd10": "I05.0",
        "referring_institution_id": care_world.days.vakhidov.id,
    }

    response = app_client.post(
        "/api/v1/care/referrals", json=body, headers=bearer(db, care_world.registrar)
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "reason", "message": "Must be at most 4000 characters."}
    ]


def test_a_birth_date_in_the_future_is_refused_through_the_api(
    app_client: TestClient, db: Session, care_world: CareWorld
) -> None:
    body = _patient_body(care_world, birth_date="9999-12-31", identifiers=[])

    response = app_client.post(
        "/api/v1/care/patients", json=body, headers=bearer(db, care_world.registrar)
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "birth_date", "message": "Enter a birth date between 1900 and today."}
    ]


def test_an_operation_in_the_year_2999_is_refused(
    app_client: TestClient, db: Session, care_world: CareWorld, create_patient: PatientFactory
) -> None:
    body = {
        "referral_id": 1,
        "description": "Mitral valve repair",
        "performed_on": "2999-10-14",
        "outcome": "successful",
        "surgeon_ids": [care_world.days.surgeon.id],
    }

    response = app_client.post(
        "/api/v1/care/procedures", json=body, headers=bearer(db, care_world.specialist)
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "performed_on", "message": "Enter a date between the years 2000 and 2100."}
    ]


def test_the_specialists_day_far_in_the_future_is_refused_naming_the_day(
    client_for: ClientFactory, care_world: CareWorld
) -> None:
    response = client_for(care_world.specialist).get(
        "/care/today?day=9999-12-31", headers={"accept-language": "en"}
    )

    assert response.status_code == 422
    assert "<code>day</code>: Enter a date between the years 1900 and 2100." in response.text


def test_a_search_for_patients_past_its_bound_is_refused(
    app_client: TestClient, db: Session, care_world: CareWorld
) -> None:
    response = app_client.get(
        "/api/v1/care/patients", params={"q": "x" * 201}, headers=bearer(db, care_world.registrar)
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "q", "message": "Must be at most 200 characters."}
    ]
