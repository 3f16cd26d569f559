"""Booking and intake through the JSON API: the same rules, translated messages, nothing written."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.care.models import Appointment, Patient, Sex
from tests.fixtures.care import CareWorld, PatientFactory, ReferralFactory, make_pinfl
from tests.fixtures.directory import bearer


def _count(db: Session, model: type[Appointment] | type[Patient]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_a_registrar_books_and_cancels_through_the_api(
    app_client: TestClient,
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    headers = bearer(db, care_world.registrar)
    referral = create_referral(create_patient())
    booked = app_client.post(
        "/api/v1/care/appointments",
        json={"referral_id": referral.id, "activity_id": care_world.session.id, "slot": 2},
        headers=headers,
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["slot"] == 2
    slots = app_client.get(f"/api/v1/care/sessions/{care_world.session.id}/slots", headers=headers)
    assert [s["appointment_id"] is not None for s in slots.json()] == [False, False, True]
    again = app_client.post(
        "/api/v1/care/appointments",
        json={"referral_id": referral.id, "activity_id": care_world.session.id},
        headers={**headers, "accept-language": "ru"},
    )
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "referral_id"
    assert "уже" in again.json()["errors"][0]["message"]
    cancelled = app_client.post(
        f"/api/v1/care/appointments/{booked.json()['id']}/cancel", headers=headers
    )
    assert cancelled.json()["status"] == "cancelled"
    assert _count(db, Appointment) == 1


def test_intake_through_the_api_refuses_a_bad_pinfl_by_field(
    app_client: TestClient, db: Session, care_world: CareWorld
) -> None:
    born = date(1970, 2, 1)
    valid = make_pinfl(born, Sex.MALE)
    wrong = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    body: dict[str, object] = {
        "names": {"ru": "Нурматов Азиз"},
        "birth_date": born.isoformat(),
        "sex": "male",
        "identifiers": [{"kind": "uz_pinfl", "value": wrong}],
        "institution_id": care_world.days.vakhidov.id,
    }
    before = _count(db, Patient)
    response = app_client.post(
        "/api/v1/care/patients", json=body, headers=bearer(db, care_world.registrar)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "identifiers.0.value"
    assert "PINFL" in response.json()["errors"][0]["message"]
    assert _count(db, Patient) == before
    body["identifiers"] = [{"kind": "uz_pinfl", "value": valid}]
    created = app_client.post(
        "/api/v1/care/patients", json=body, headers=bearer(db, care_world.registrar)
    )
    assert created.status_code == 201, created.text
