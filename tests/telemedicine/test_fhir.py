"""A case as FHIR: ServiceRequest (set apart from care's referrals) + Task + Communication +
DocumentReference, each validated by its R4B model (issue 18)."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.care.fhir.export import export_bundle
from hamkor.care.fhir.importing import import_bundle
from hamkor.care.fhir.referrals import REFERRAL_CATEGORY
from hamkor.care.models import Patient, Referral
from hamkor.core.access import Actor
from hamkor.core.storage import Storage
from hamkor.telemedicine import attachments, fhir, service
from hamkor.telemedicine.models import CaseFile, CaseStatus
from hamkor.telemedicine.schemas import MessageCreate
from tests.fixtures.telemedicine import NOW, CaseFactory, TeleWorld
from tests.telemedicine.test_attachments import instance

BASE = "https://hamkor.example/fhir"


def test_an_answered_case_exports_as_the_e_referral_pattern(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory, store: Storage
) -> None:
    case = create_case(CaseStatus.ANSWERED, urgency="urgent")
    asker = Actor.of(tele_world.asker)
    question = service.post_message(
        db=db, actor=asker, case=case, data=MessageCreate(body="Which dose?"), now=NOW
    )
    service.post_message(
        db=db,
        actor=Actor.of(tele_world.assignee),
        case=case,
        data=MessageCreate(body="The usual one.", reply_to_id=question.id),
        now=NOW,
    )
    attachments.add_files(
        db=db,
        actor=asker,
        case=case,
        uploads=[attachments.Upload("ct.dcm", io.BytesIO(instance("1.2.826.0.1.3680043.8.498.1")))],
        store=store,
        max_bytes=2**24,
    )
    db.commit()
    resources = fhir.export_cases(db=db, actor=asker, base=BASE)
    kinds = [r["resourceType"] for r in resources]
    assert kinds == [
        "ServiceRequest",
        "Task",
        "Communication",
        "Communication",
        "Communication",
        "DocumentReference",
    ]
    request, task = resources[0], resources[1]
    assert request["category"] == [fhir.TELECONSULTATION]
    assert request["category"] != [REFERRAL_CATEGORY]
    assert (request["status"], request["priority"]) == ("active", "urgent")
    assert request["reasonCode"][0]["coding"][0]["code"] == "I05.0"
    assert (task["status"], task["owner"]["display"]) == ("completed", "centre-surgeon")
    assert task["restriction"]["period"]["end"].startswith("2025-10-21T09:00:00")
    assert task["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == "see_at_next_visit"
    reply = resources[3]
    assert reply["inResponseTo"] == [{"reference": f"Communication/tc-{case.id}-m{question.id}"}]
    (document,) = [r for r in resources if r["resourceType"] == "DocumentReference"]
    assert document["content"][0]["attachment"]["contentType"] == "application/dicom"
    rows = db.scalars(select(CaseFile).where(CaseFile.case_id == case.id, CaseFile.shared)).all()
    (shared,) = attachments.described(db, list(rows))
    url = document["content"][0]["attachment"]["url"]
    assert url == f"https://hamkor.example/files/{shared.file_id}"  # beside /fhir, where served
    bundle = Bundle.model_validate(fhir.bundle(resources, BASE))
    assert len(bundle.entry or []) == 6


def test_an_anonymous_draft_names_nobody_and_another_centre_exports_nothing(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(CaseStatus.DRAFT)
    (request, task) = fhir.export_cases(db=db, actor=Actor.of(tele_world.asker), base=BASE)
    assert request["subject"] == {"display": "Anonymous patient"}
    assert (request["status"], task["status"]) == ("draft", "draft")
    assert case.id
    assert fhir.export_cases(db=db, actor=Actor.of(tele_world.outsider), base=BASE) == []


def _references(value: object) -> set[str]:
    """Every relative reference (``Type/id``) in a resource, however deep."""
    if isinstance(value, dict):
        found = {value["reference"]} if isinstance(value.get("reference"), str) else set()
        return found.union(*(_references(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_references(item) for item in value))
    return set()


def _case_ids(bundle: dict[str, Any]) -> set[str]:
    requests = (e["resource"] for e in bundle["entry"])
    return {
        r["id"] for r in requests if r["resourceType"] == "ServiceRequest" and r["id"][:3] == "tc-"
    }


def test_cases_go_into_cares_fhir_export_through_the_wiring(
    db: Session,
    tele_world: TeleWorld,
    create_case: CaseFactory,
    tele_patient: Patient,
    app_client: TestClient,
) -> None:
    case = create_case(CaseStatus.ANSWERED, patient_id=tele_patient.id)
    create_case(CaseStatus.SUBMITTED, program_id=None)
    program_id = tele_world.care.days.program.id
    bundle = export_bundle(
        db=db, actor=Actor.of(tele_world.asker), base=BASE, program_id=program_id
    )
    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    held = {f"{r['resourceType']}/{r['id']}" for r in resources}
    ours = [r for r in resources if str(r["id"]).startswith("tc-")]
    assert [r["resourceType"] for r in ours] == [
        "ServiceRequest", "Task", "Communication",
    ]  # fmt: skip
    assert {r["id"] for r in ours} == {f"tc-{case.id}", f"tc-{case.id}-answer"}
    assert ours[0]["category"] == [fhir.TELECONSULTATION]
    # Every reference resolves inside the Bundle: the case's patient and institutions too.
    assert _references(ours) <= held
    assert f"Patient/{tele_patient.id}" in held
    assert len(held) == len(resources)  # each resource once
    outsider = export_bundle(db=db, actor=Actor.of(tele_world.outsider), base=BASE)
    assert _case_ids(outsider) == set()
    days = tele_world.care.days
    for recipient, expected in ((days.samarkand_hospital, set()), (days.syzganov, {case.id})):
        sent = export_bundle(db=db, actor=Actor.of(tele_world.asker), base=BASE,
                             program_id=program_id, recipient=recipient)  # fmt: skip
        assert _case_ids(sent) == {f"tc-{i}" for i in expected}
    statement = app_client.get("/fhir/metadata").json()
    listed = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {"Task", "Communication", "DocumentReference"} <= set(listed)
    assert "teleconsultation" in listed["ServiceRequest"]["documentation"]
    assert "interaction" not in listed["Task"]


def test_an_exported_case_is_never_imported_as_a_referral(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    create_case(CaseStatus.SUBMITTED)
    resources = fhir.export_cases(db=db, actor=Actor.of(tele_world.asker), base=BASE)
    referrals = select(func.count()).select_from(Referral)
    before = db.scalar(referrals)
    outcomes = import_bundle(
        db=db,
        actor=tele_world.care.admin,
        bundle=fhir.bundle(resources, BASE),
        program_code=tele_world.care.days.program.code,
    )
    assert [o.status for o in outcomes] == ["200 OK", "200 OK"]
    assert db.scalar(referrals) == before
