"""A case as FHIR: ServiceRequest (set apart from care's referrals) + Task + Communication +
DocumentReference, each validated by its R4B model (issue 18)."""

from __future__ import annotations

import io

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy.orm import Session

from hamkor.care.fhir.referrals import REFERRAL_CATEGORY
from hamkor.core.access import Actor
from hamkor.core.storage import Storage
from hamkor.telemedicine import attachments, fhir, service
from hamkor.telemedicine.models import CaseStatus
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
