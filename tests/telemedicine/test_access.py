"""Who reaches a teleconsultation case, through the JSON API: the asking institution, the
centre's coordinators once it is submitted, and its assignee; every view and every denial in
the audit trail, nothing of a case in the logs (issue 18)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.care.models import Patient
from hamkor.core.models import AuditEntry, Role, User
from hamkor.telemedicine.models import CaseStatus, TeleCase
from tests.fixtures.core import UserFactory
from tests.fixtures.directory import bearer
from tests.fixtures.telemedicine import CaseFactory, TeleWorld, case_body


def _entries(db: Session, action: str, entity: str) -> list[str | None]:
    rows = db.scalars(
        select(AuditEntry.entity_id)
        .where(AuditEntry.action == action, AuditEntry.entity == entity)
        .order_by(AuditEntry.id)
    )
    return list(rows)


def _get(client: TestClient, db: Session, user: User, path: str) -> int:
    return client.get(path, headers=bearer(db, user)).status_code


def _listed(client: TestClient, db: Session, user: User) -> set[int]:
    found = client.get("/api/v1/telemedicine/cases", headers=bearer(db, user))
    assert found.status_code == 200, found.text
    return {item["id"] for item in found.json()["items"]}


def test_each_side_sees_its_cases_and_no_other(
    app_client: TestClient,
    db: Session,
    tele_world: TeleWorld,
    create_case: CaseFactory,
    create_user: UserFactory,
) -> None:
    draft = create_case(CaseStatus.DRAFT)
    submitted = create_case(CaseStatus.SUBMITTED)
    accepted = create_case(CaseStatus.ACCEPTED)
    days = tele_world.care.days
    other_specialist = create_user(Role.SPECIALIST, institution_id=days.syzganov.id)
    auditor = create_user(Role.AUDITOR)
    expected = {
        tele_world.asker: {draft.id, submitted.id, accepted.id},
        tele_world.coordinator: {submitted.id, accepted.id},
        tele_world.assignee: {accepted.id},
        other_specialist: set(),
        tele_world.outsider: set(),
        auditor: set(),
    }
    for user, ids in expected.items():
        assert _listed(app_client, db, user) == ids, user.username
        for case in (draft, submitted, accepted):
            status = _get(app_client, db, user, f"/api/v1/telemedicine/cases/{case.id}")
            assert status == (200 if case.id in ids else 403), (user.username, case.id)


def test_direct_access_by_others_is_a_403_in_the_audit_trail(
    app_client: TestClient, db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(CaseStatus.SUBMITTED)
    path = f"/api/v1/telemedicine/cases/{case.id}"
    assert _get(app_client, db, tele_world.outsider, path) == 403
    assert _get(app_client, db, tele_world.outsider, "/api/v1/telemedicine/cases/999999") == 404
    answered = app_client.post(
        f"{path}/answer",
        json={"answer": "Operate.", "recommendation": "refer_abroad"},
        headers=bearer(db, tele_world.outsider),
    )
    assert answered.status_code == 403
    assert _entries(db, "denied", "telemedicine_cases") == [str(case.id)] * 2


def test_an_answer_by_someone_not_assigned_is_refused_and_audited(
    app_client: TestClient, db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(CaseStatus.ACCEPTED)
    response = app_client.post(
        f"/api/v1/telemedicine/cases/{case.id}/answer",
        json={"answer": "Operate.", "recommendation": "refer_abroad"},
        headers=bearer(db, tele_world.coordinator),
    )
    assert response.status_code == 403
    db.expire_all()
    assert db.get(TeleCase, case.id).status == CaseStatus.ACCEPTED  # type: ignore[union-attr]
    assert _entries(db, "denied", "telemedicine_cases") == [str(case.id)]


def test_every_view_is_audited_with_its_patient(
    app_client: TestClient,
    db: Session,
    tele_world: TeleWorld,
    create_case: CaseFactory,
    tele_patient: Patient,
) -> None:
    patient_id = tele_patient.id
    case = create_case(CaseStatus.SUBMITTED, patient_id=patient_id)
    headers = bearer(db, tele_world.coordinator)
    assert app_client.get(f"/api/v1/telemedicine/cases/{case.id}", headers=headers).is_success
    assert app_client.get("/api/v1/telemedicine/cases", headers=headers).is_success
    assert _entries(db, "view", "telemedicine_cases") == [str(case.id)] * 2
    assert str(patient_id) in _entries(db, "view", "patients")
    created = db.scalar(
        select(AuditEntry).where(
            AuditEntry.entity == "telemedicine_cases", AuditEntry.action == "create"
        )
    )
    assert created is not None
    assert "mitral" not in str(created.changes)


def test_the_whole_way_through_the_api(
    app_client: TestClient, db: Session, tele_world: TeleWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    asker = bearer(db, tele_world.asker)
    centre = bearer(db, tele_world.coordinator)
    assignee = bearer(db, tele_world.assignee)
    created = app_client.post(
        "/api/v1/telemedicine/cases", json=case_body(tele_world), headers=asker
    )
    assert created.status_code == 201, created.text
    path = f"/api/v1/telemedicine/cases/{created.json()['id']}"
    steps = [
        ("submit", None, asker),
        ("accept", {"assignee_id": tele_world.assignee.id}, centre),
        ("answer", {"answer": "Treat at home.", "recommendation": "treat_locally"}, assignee),
        ("close", {"visit_avoided": True}, asker),
    ]
    for step, body, headers in steps:
        response = app_client.post(f"{path}/{step}", json=body, headers=headers)
        assert response.status_code == 200, (step, response.text)
    done = app_client.get(path, headers=asker).json()
    assert (done["status"], done["visit_avoided"]) == ("closed", True)
    assert [h["to_status"] for h in done["history"]] == [
        "draft",
        "submitted",
        "accepted",
        "answered",
        "closed",
    ]
    message = app_client.post(f"{path}/messages", json={"body": "Thanks"}, headers=asker)
    assert message.status_code == 422
    assert message.json()["errors"][0]["field"] == "body"
    assert "mitral" not in caplog.text.lower()
    assert "Treat at home" not in caplog.text


def test_a_refused_step_names_the_status_field(
    app_client: TestClient, db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(CaseStatus.DRAFT)
    response = app_client.post(
        f"/api/v1/telemedicine/cases/{case.id}/close",
        json={"visit_avoided": False},
        headers=bearer(db, tele_world.asker),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "status", "message": "Only an answered case can be closed."}
    ]
