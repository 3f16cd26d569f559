"""Booking and intake through the JSON API: the same rules, translated messages, nothing written."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.care import service
from hamkor.care.models import Appointment, FollowUpKind, Patient, Sex
from hamkor.care.schemas import FollowUpCreate
from hamkor.core.models import AuditEntry, Role
from tests.fixtures.care import CareWorld, PatientFactory, ReferralFactory, make_pinfl
from tests.fixtures.core import UserFactory
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


def test_the_routes_of_a_record_load_it_for_change_before_the_service(
    app_client: TestClient,
    db: Session,
    care_world: CareWorld,
    create_user: UserFactory,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    """Consent, merge, withdrawal and a follow-up done: the record of the address (and the
    duplicate of a merge) is loaded for change first, 404 when there is none and an audited
    403 when it is another centre's; the service then trusts it."""
    patient = create_patient("Aliyev Bobur")
    duplicate = create_patient("Aliev Bobur")
    referral = create_referral(patient)
    task = service.create_follow_up(
        db=db,
        actor=care_world.admin,
        data=FollowUpCreate(
            referral_id=referral.id,
            institution_id=care_world.days.samarkand_hospital.id,
            kind=FollowUpKind.IN_PERSON,
            due_on=date(2025, 11, 15),
        ),
    )
    db.commit()
    calls = [
        (
            f"/api/v1/care/patients/{patient.id}/consents",
            {"kind": "telemedicine", "decision": "given"},
        ),
        (f"/api/v1/care/patients/{patient.id}/merge", {"merge_id": duplicate.id}),
        (f"/api/v1/care/referrals/{referral.id}/withdraw", None),
        (f"/api/v1/care/follow-ups/{task.id}/done", None),
    ]
    stranger = bearer(
        db, create_user(Role.REGISTRAR, institution_id=care_world.days.samarkand_hospital.id)
    )
    for path, body in calls:
        assert app_client.post(path, json=body, headers=stranger).status_code == 403
    denied = db.scalars(select(AuditEntry.entity).where(AuditEntry.action == "denied")).all()
    assert denied == ["patients", "patients", "referrals", "follow_up_tasks"]
    headers = bearer(db, care_world.registrar)
    missing = f"/api/v1/care/patients/{patient.id}/merge"
    assert app_client.post(missing, json={"merge_id": 10**6}, headers=headers).status_code == 404
    answers = [app_client.post(path, json=body, headers=headers) for path, body in calls]
    assert [answer.status_code for answer in answers] == [201, 200, 200, 200]
    assert answers[1].json()["aliases"] == ["Aliev Bobur"]
    assert answers[2].json()["status"] == "withdrawn"
    assert answers[3].json()["status"] == "done"
