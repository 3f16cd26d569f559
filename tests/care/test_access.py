"""Who reaches a patient: per role, through the JSON API, with every view and denial audited.

A registrar sees the patients of their institution (and those booked at its desk), a specialist
the patients booked with them, a program coordinator those referred to the program, an auditor
the audit trail and no patient, a platform admin everyone. Patient data never reaches the logs
or an error page.
"""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.app import create_app
from hamkor.care import booking, service
from hamkor.care.models import Appointment, ConsentKind, Encounter, Patient, Procedure, Sex
from hamkor.care.schemas import BookingCreate
from hamkor.core.models import AuditEntry, Role, User
from hamkor.programs.models import ActivityKind
from hamkor.settings import Settings
from tests.fixtures.care import CareWorld, PatientFactory, ReferralFactory, make_pinfl
from tests.fixtures.core import ClientFactory, UserFactory
from tests.fixtures.directory import bearer
from tests.fixtures.programs import ActivityFactory, ProgramFactory, submit


def _entries(db: Session, action: str) -> list[tuple[str, str | None]]:
    rows = db.execute(
        select(AuditEntry.entity, AuditEntry.entity_id)
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.id)
    )
    return [(entity, entity_id) for entity, entity_id in rows]


@pytest.fixture
def api(app_client: TestClient, db: Session) -> TestClient:
    return app_client


def _get(client: TestClient, db: Session, user: User, path: str) -> int:
    return client.get(path, headers=bearer(db, user)).status_code


@pytest.fixture
def samarkand_patient(create_patient: PatientFactory, care_world: CareWorld) -> Patient:
    """A patient registered by another institution (the Samarkand hospital)."""
    return create_patient("Rahimov Jasur", institution_id=care_world.days.samarkand_hospital.id)


def test_each_role_sees_its_own_patients(
    api: TestClient,
    db: Session,
    care_world: CareWorld,
    create_user: UserFactory,
    create_program: ProgramFactory,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    samarkand_patient: Patient,
) -> None:
    booked = create_patient("Aliyev Bobur")
    waiting = create_patient("Karimova Dilnoza")
    referral = create_referral(booked)
    create_referral(waiting)
    booking.book(
        db=db,
        actor=care_world.admin,
        data=BookingCreate(referral_id=referral.id, activity_id=care_world.session.id),
    )
    db.commit()
    other = create_program(
        code="OTHER", guest=care_world.days.kazakhstan, host=care_world.days.uzbekistan
    )
    other_program_coordinator = create_user(Role.PROGRAM_COORDINATOR, program_id=other.id)
    auditor = create_user(Role.AUDITOR)
    expected = {
        care_world.registrar: {booked.id, waiting.id},
        care_world.specialist: {booked.id},
        care_world.days.coordinator: {booked.id, waiting.id},
        other_program_coordinator: set(),
        auditor: set(),
    }
    for user, ids in expected.items():
        found = api.get("/api/v1/care/patients", headers=bearer(db, user))
        assert found.status_code == 200, user.username
        assert {p["id"] for p in found.json()} == ids, user.username
    assert samarkand_patient.id not in expected[care_world.registrar]


def test_another_institutions_patient_is_refused_and_audited(
    api: TestClient, db: Session, care_world: CareWorld, samarkand_patient: Patient
) -> None:
    for path in ("/api/v1/care/patients/{id}", "/api/v1/care/patients/{id}/record"):
        status = _get(api, db, care_world.registrar, path.format(id=samarkand_patient.id))
        assert status == 403
    assert _entries(db, "denied") == [("patients", str(samarkand_patient.id))] * 2


def test_an_auditor_reads_the_trail_but_no_patient(
    api: TestClient,
    db: Session,
    care_world: CareWorld,
    create_user: UserFactory,
    create_patient: PatientFactory,
) -> None:
    patient = create_patient()
    auditor = create_user(Role.AUDITOR)
    assert _get(api, db, auditor, f"/api/v1/care/patients/{patient.id}") == 403


def test_every_view_of_a_record_is_audited_without_its_values(
    api: TestClient, db: Session, care_world: CareWorld, create_patient: PatientFactory
) -> None:
    patient = create_patient("Yusupova Nodira")
    assert _get(api, db, care_world.registrar, f"/api/v1/care/patients/{patient.id}") == 200
    assert ("patients", str(patient.id)) in _entries(db, "view")
    created = db.scalar(
        select(AuditEntry).where(AuditEntry.entity == "patients", AuditEntry.action == "create")
    )
    assert created is not None
    assert set(created.changes.values()) == {"changed"}
    assert "Yusupova" not in str(created.changes)


def test_the_whole_record_is_exported_for_the_patient(
    api: TestClient,
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    patient = create_patient()
    referral = create_referral(patient)
    exported = api.get(
        f"/api/v1/care/patients/{patient.id}/record", headers=bearer(db, care_world.registrar)
    )
    assert exported.status_code == 200
    body = exported.json()
    assert body["patient"]["names"] == {"uz": "Aliyev Bobur"}
    assert [r["id"] for r in body["referrals"]] == [referral.id]
    assert [c["kind"] for c in body["consents"]] == ["treatment"]
    assert body["status_history"][0]["to_status"] == "waiting"
    assert ("patients", str(patient.id)) in _entries(db, "export")


def test_patient_data_never_reaches_logs_or_error_pages(
    settings: Settings,
    session_factory: object,
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = create_patient("Toʻxtayeva Saodat")

    def crash(**_kwargs: object) -> None:
        raise RuntimeError(f"boom with {patient.names} {patient.identifiers[0].value}")

    monkeypatch.setattr(service, "export_record", crash)
    with TestClient(create_app(settings, session_factory), raise_server_exceptions=False) as c:
        caplog.set_level(logging.DEBUG)
        response = c.get(
            f"/api/v1/care/patients/{patient.id}/record",
            headers=bearer(db, care_world.registrar),
        )
        page = c.get(f"/api/v1/care/patients/{patient.id}/record", headers={"accept": "text/html"})
    assert response.status_code == 500
    secrets = ("Saodat", patient.identifiers[0].value)
    for text in (response.text, page.text, caplog.text):
        assert not any(secret in text for secret in secrets)
    assert "RuntimeError" in caplog.text


def test_a_booking_into_a_session_out_of_sight_or_of_another_kind_is_refused(
    api: TestClient,
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    create_program: ProgramFactory,
    create_activity: ActivityFactory,
) -> None:
    """The booking reads referral and session in one statement, which then finds nothing; the
    refusal must still say which and why, as for any record."""
    days = care_world.days
    ours = create_referral(create_patient("Aliyev Bobur"))
    elsewhere = create_activity(  # a program the registrar's centre takes no part in
        create_program(),
        city=days.tashkent,
        kind=ActivityKind.CONSULTATION_SESSION,
        institution=days.syzganov,
        specialty=days.cardiac_surgery,
    )
    lecture = create_activity(days.program, city=days.tashkent, institution=days.vakhidov)
    db.commit()
    headers = bearer(db, care_world.registrar)

    def book(activity_id: int) -> int:
        body = {"referral_id": ours.id, "activity_id": activity_id}
        return api.post("/api/v1/care/appointments", json=body, headers=headers).status_code

    assert book(elsewhere.id) == 403
    assert _entries(db, "denied") == [("activities", str(elsewhere.id))]
    assert book(lecture.id) == 404  # a master class is no consultation session
    assert db.scalar(select(func.count()).select_from(Appointment)) == 0


def test_booking_goes_through_the_access_choke_point_and_is_audited(
    api: TestClient,
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    samarkand_patient: Patient,
) -> None:
    """The booking loads referral and session through the access choke point and writes
    through the ORM: the refusals and the trail are those of every other route."""
    headers = bearer(db, care_world.registrar)
    session_id = care_world.session.id

    def book(referral_id: int, activity_id: int = session_id) -> int:
        body = {"referral_id": referral_id, "activity_id": activity_id}
        return api.post("/api/v1/care/appointments", json=body, headers=headers).status_code

    theirs = create_referral(samarkand_patient)
    ours = create_referral(create_patient("Aliyev Bobur"))
    db.commit()
    assert book(theirs.id) == 403
    assert _entries(db, "denied") == [("referrals", str(theirs.id))]
    assert book(10**6) == 404  # no such referral
    assert book(ours.id, 10**6) == 404  # no such session
    assert db.scalar(select(func.count()).select_from(Appointment)) == 0
    before = db.scalar(select(func.max(AuditEntry.id)))
    assert book(ours.id) == 201
    written = db.execute(
        select(AuditEntry.action, AuditEntry.entity, AuditEntry.changes, AuditEntry.actor_id)
        .where(
            AuditEntry.id > before,
            AuditEntry.action.in_(["create", "update"]),
            AuditEntry.entity != "api_tokens",  # the token's last use, noted once a minute
        )
        .order_by(AuditEntry.id)
    ).all()
    assert [(action, entity) for action, entity, _, _ in written] == [
        ("create", "appointments"),
        ("create", "referral_status_changes"),
        ("update", "referrals"),
    ]
    assert {actor for *_, actor in written} == {care_world.registrar.id}
    for _, _, changes, _ in written:  # health data: which columns changed, never their values
        assert set(changes.values()) == {"changed"}
    assert set(written[2][2]) == {"status"}


def test_a_registrar_writes_no_clinical_record_and_the_refusal_is_audited(
    api: TestClient,
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    create_activity: ActivityFactory,
) -> None:
    """Issue 15: encounters and procedures as registrar were written with no specialist."""
    patient = create_patient("Aliyev Bobur", consents=(ConsentKind.TREATMENT,))
    referral = create_referral(patient)
    appointment = booking.book(
        db=db,
        actor=care_world.admin,
        data=BookingCreate(referral_id=referral.id, activity_id=care_world.session.id),
    )
    operation = create_activity(
        care_world.days.program,
        city=care_world.days.tashkent,
        kind=ActivityKind.DEMONSTRATION_OPERATION,
    )
    db.commit()
    encounter = {
        "appointment_id": appointment.id,
        "findings": "Mitral stenosis",
        "diagnoses": ["I05.0"],
        "recommendation": "operation",
    }
    procedure = {
        "referral_id": referral.id,
        "activity_id": operation.id,
        "description": "Mitral valve repair",
        "performed_on": "2025-10-13",
        "outcome": "successful",
        "surgeon_ids": [care_world.days.surgeon.id],
    }

    def post(user: User, path: str, body: dict[str, object]) -> int:
        return api.post(path, json=body, headers=bearer(db, user)).status_code

    registrar = care_world.registrar
    assert post(registrar, "/api/v1/care/encounters", encounter) == 403
    assert post(registrar, "/api/v1/care/procedures", procedure) == 403
    assert _entries(db, "denied") == [("encounters", None), ("procedures", None)]
    assert db.scalar(select(func.count()).select_from(Encounter)) == 0
    assert db.scalar(select(func.count()).select_from(Procedure)) == 0
    assert post(care_world.specialist, "/api/v1/care/encounters", encounter) == 201
    assert post(care_world.specialist, "/api/v1/care/procedures", procedure) == 201


def _probes(db: Session) -> list[tuple[str, str | None]]:
    rows = db.execute(
        select(AuditEntry.entity, AuditEntry.entity_id)
        .where(AuditEntry.action == "denied", AuditEntry.note == "probe")
        .order_by(AuditEntry.id)
    )
    return [(entity, entity_id) for entity, entity_id in rows]


def _registration(patient: Patient, institution_id: int) -> dict[str, object]:
    """Another person's registration carrying ``patient``'s number."""
    identifier = patient.identifiers[0]
    return {
        "names": {"uz": "Boshqa Odam"},
        "birth_date": patient.birth_date.isoformat(),
        "sex": "male",
        "identifiers": [{"kind": identifier.kind, "value": identifier.value}],
        "institution_id": institution_id,
    }


def test_a_number_of_a_patient_out_of_reach_names_no_record_and_is_audited(
    api: TestClient,
    db: Session,
    care_world: CareWorld,
    create_user: UserFactory,
    samarkand_patient: Patient,
) -> None:
    record = f"record {samarkand_patient.id}"
    body = _registration(samarkand_patient, care_world.days.vakhidov.id)
    refused = api.post("/api/v1/care/patients", json=body, headers=bearer(db, care_world.registrar))
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["identifiers"]
    assert record not in refused.json()["errors"][0]["message"]
    assert _probes(db) == [("patients", str(samarkand_patient.id))]
    samarkand = care_world.days.samarkand_hospital
    their_registrar = create_user(Role.REGISTRAR, institution_id=samarkand.id)
    body = _registration(samarkand_patient, samarkand.id)
    told = api.post("/api/v1/care/patients", json=body, headers=bearer(db, their_registrar))
    assert record in told.json()["errors"][0]["message"]
    assert _probes(db) == [("patients", str(samarkand_patient.id))]


def test_a_name_and_birth_date_out_of_reach_names_no_record_and_is_audited(
    client_for: ClientFactory, db: Session, care_world: CareWorld, samarkand_patient: Patient
) -> None:
    client = client_for(care_world.registrar)
    form = {
        "names.uz": "Rahimov Jasur",
        "birth_date": samarkand_patient.birth_date.isoformat(),
        "sex": "male",
        "identifiers.0.kind": "uz_pinfl",
        "identifiers.0.value": make_pinfl(samarkand_patient.birth_date, Sex.MALE, 77),
        "institution_id": str(care_world.days.vakhidov.id),
    }
    warned = submit(client, "/care/patients/new", "/care/patients", form)
    assert warned.status_code == 422
    assert "at another institution" in warned.text
    assert f"record {samarkand_patient.id}" not in warned.text
    assert _probes(db) == [("patients", str(samarkand_patient.id))]


def test_a_program_coordinator_registers_no_patient_they_could_not_open(
    api: TestClient, db: Session, care_world: CareWorld, samarkand_patient: Patient
) -> None:
    coordinator = care_world.days.coordinator
    body = _registration(samarkand_patient, care_world.days.samarkand_hospital.id)
    body["identifiers"] = [
        {"kind": "uz_pinfl", "value": make_pinfl(samarkand_patient.birth_date, Sex.MALE, 88)}
    ]
    refused = api.post("/api/v1/care/patients", json=body, headers=bearer(db, coordinator))
    assert refused.status_code == 403
    assert _entries(db, "denied") == [("patients", None)]
    assert _count(db, Patient) == 1


def _count(db: Session, model: type[Patient]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_every_list_names_each_patient_it_shows_in_the_audit_trail(
    api: TestClient,
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    samarkand_patient: Patient,
) -> None:
    booked = create_patient("Aliyev Bobur")
    waiting = create_patient("Karimova Dilnoza")
    referral = create_referral(booked)
    create_referral(waiting)
    booking.book(
        db=db,
        actor=care_world.admin,
        data=BookingCreate(referral_id=referral.id, activity_id=care_world.session.id),
    )
    db.commit()
    both = {str(booked.id), str(waiting.id)}
    expected = {
        "/api/v1/care/patients": both,
        "/api/v1/care/referrals": both,
        "/fhir/Patient": both,
        "/fhir/ServiceRequest": both,
        "/fhir/Appointment": {str(booked.id)},
    }
    headers = bearer(db, care_world.registrar)
    for path, shown in expected.items():
        last = db.scalar(select(func.max(AuditEntry.id))) or 0
        assert api.get(path, headers=headers).status_code == 200, path
        named = db.scalars(
            select(AuditEntry.entity_id).where(
                AuditEntry.id > last, AuditEntry.action == "view", AuditEntry.entity == "patients"
            )
        )
        assert set(named) == shown, path
