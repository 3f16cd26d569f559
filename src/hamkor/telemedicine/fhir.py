"""Teleconsultation cases as FHIR R4 resources, in the e-referral pattern.

A case is a **ServiceRequest** (category ``teleconsultation`` of Hamkor's request categories,
so that it is never taken for one of care's waitlist referrals, whose category is SNOMED's
"Patient referral"), a **Task** that carries its workflow (status, requester, owner, the
deadline as the restriction's period), a **Communication** per message of the exchange (and
one for the answer), and a **DocumentReference** per file shared with the centre (the
de-identified copies; the originals stay at home). Each resource is validated by its R4B model
(``care.fhir.resources.validated``) before it leaves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hamkor.care.fhir.directory import specialty_concept
from hamkor.care.fhir.referrals import CONSULTATION, icd10_display
from hamkor.care.fhir.resources import Resource, identifier, reference, validated
from hamkor.care.fhir.terms import ICD10, code_system, coding, concept, sid
from hamkor.core import audit
from hamkor.core.access import Actor, restrict
from hamkor.telemedicine.attachments import described
from hamkor.telemedicine.models import (
    CaseFile,
    CaseMessage,
    CaseStatus,
    TeleCase,
    Urgency,
)
from hamkor.telemedicine.schemas import CaseFileRead
from hamkor.telemedicine.service import case_label

#: The category that sets a teleconsultation apart from care's referrals.
TELECONSULTATION = concept(code_system("request-category"), "teleconsultation", "Teleconsultation")
RECOMMENDATION_SYSTEM = code_system("teleconsultation-recommendation")

REQUEST_STATUS: dict[CaseStatus, str] = {
    CaseStatus.DRAFT: "draft",
    CaseStatus.SUBMITTED: "active",
    CaseStatus.ACCEPTED: "active",
    CaseStatus.ANSWERED: "active",
    CaseStatus.CLOSED: "completed",
    CaseStatus.DECLINED: "revoked",
}
TASK_STATUS: dict[CaseStatus, str] = {
    CaseStatus.DRAFT: "draft",
    CaseStatus.SUBMITTED: "requested",
    CaseStatus.ACCEPTED: "accepted",
    CaseStatus.ANSWERED: "completed",
    CaseStatus.CLOSED: "completed",
    CaseStatus.DECLINED: "rejected",
}
PRIORITY = {Urgency.URGENT: "urgent", Urgency.ROUTINE: "routine"}


def _id(case: TeleCase, suffix: str = "") -> str:
    return f"tc-{case.id}{suffix}"


def _subject(case: TeleCase) -> Resource:
    """The patient of care, or for an anonymous case a reference that names nobody."""
    if case.patient_id is None:
        return {"display": "Anonymous patient"}
    return reference("Patient", case.patient_id)


def service_request(case: TeleCase) -> Resource:
    return {
        "resourceType": "ServiceRequest",
        "id": _id(case),
        "identifier": [identifier(sid("teleconsultation"), case_label(case))],
        "status": REQUEST_STATUS[CaseStatus(case.status)],
        "intent": "order",
        "category": [TELECONSULTATION],
        "priority": PRIORITY[Urgency(case.urgency)],
        "code": CONSULTATION,
        "subject": _subject(case),
        "authoredOn": case.submitted_at,
        "requester": reference("Organization", case.asking_institution_id),
        "performer": [reference("Organization", case.centre_id)],
        "performerType": specialty_concept(case.specialty),
        "reasonCode": [{"coding": [coding(ICD10, c, icd10_display(c))]} for c in case.icd10],
        "note": [{"text": case.question}, {"text": case.clinical_summary}],
    }


def task(case: TeleCase) -> Resource:
    found: Resource = {
        "resourceType": "Task",
        "id": _id(case),
        "basedOn": [reference("ServiceRequest", _id(case))],
        "status": TASK_STATUS[CaseStatus(case.status)],
        "intent": "order",
        "priority": PRIORITY[Urgency(case.urgency)],
        "focus": reference("ServiceRequest", _id(case)),
        "for": _subject(case),
        "authoredOn": case.created_at,
        "lastModified": case.updated_at,
        "requester": reference("Organization", case.asking_institution_id),
        "owner": reference(
            "Organization",
            case.centre_id,
            case.assignee.display_name if case.assignee is not None else None,
        ),
        "restriction": {"period": {"start": case.submitted_at, "end": case.due_at}},
    }
    if case.decline_reason:
        found["statusReason"] = {"text": case.decline_reason}
    if case.recommendation:
        found["output"] = [
            {
                "type": {"text": "recommendation"},
                "valueCodeableConcept": concept(RECOMMENDATION_SYSTEM, case.recommendation),
            }
        ]
    return found


def communication(case: TeleCase, message: CaseMessage) -> Resource:
    found: Resource = {
        "resourceType": "Communication",
        "id": _id(case, f"-m{message.id}"),
        "basedOn": [reference("ServiceRequest", _id(case))],
        "status": "completed",
        "subject": _subject(case),
        "sent": message.at,
        "payload": [{"contentString": message.body}],
    }
    if message.author is not None:
        found["sender"] = {"display": message.author.display_name}
    if message.reply_to_id is not None:
        found["inResponseTo"] = [reference("Communication", _id(case, f"-m{message.reply_to_id}"))]
    return found


def answer(case: TeleCase) -> Resource:
    """The centre's answer, as the Communication that answers the request."""
    return {
        "resourceType": "Communication",
        "id": _id(case, "-answer"),
        "basedOn": [reference("ServiceRequest", _id(case))],
        "status": "completed",
        "subject": _subject(case),
        "sent": case.answered_at,
        "sender": reference("Organization", case.centre_id),
        "recipient": [reference("Organization", case.asking_institution_id)],
        "payload": [{"contentString": case.answer}],
    }


def document_reference(case: TeleCase, file: CaseFileRead, base: str) -> Resource:
    return {
        "resourceType": "DocumentReference",
        "id": _id(case, f"-f{file.id}"),
        "status": "current",
        "subject": _subject(case),
        "description": file.name,
        "content": [
            {
                "attachment": {
                    "contentType": _media_type(file),
                    "url": f"{base}/files/{file.file_id}",
                    "title": file.name,
                }
            }
        ],
        "context": {"related": [reference("ServiceRequest", _id(case))]},
    }


def _media_type(file: CaseFileRead) -> str:
    return {"dicom": "application/dicom", "pdf": "application/pdf"}.get(file.kind, "image/png")


def case_resources(db: Session, case: TeleCase, base: str) -> list[Resource]:
    """The resources of one case, unvalidated, in the bundle's order."""
    shared = list(
        db.scalars(
            select(CaseFile)
            .where(CaseFile.case_id == case.id, CaseFile.shared.is_(True))
            .order_by(CaseFile.id)
        )
    )
    resources = [service_request(case), task(case)]
    resources += [communication(case, message) for message in case.messages]
    if case.answer:
        resources.append(answer(case))
    resources += [document_reference(case, f, base) for f in described(db, shared) if f.file_id]
    return resources


def export_cases(
    *, db: Session, actor: Actor, base: str, centre_id: int | None = None
) -> list[Resource]:
    """The cases the actor may see (of one centre) as validated resources; each case and its
    patient are audited as exported."""
    stmt = restrict(select(TeleCase), actor).order_by(TeleCase.id)
    if centre_id is not None:
        stmt = stmt.where(TeleCase.centre_id == centre_id)
    cases = db.scalars(stmt.options(selectinload(TeleCase.messages))).all()
    found: list[Any] = []
    for case in cases:
        audit.record(db, action="export", entity="telemedicine_cases", entity_id=case.id)
        if case.patient_id is not None:
            audit.record(db, action="export", entity="patients", entity_id=case.patient_id)
        found += [validated(resource) for resource in case_resources(db, case, base)]
    return found


def bundle(resources: list[Resource], base: str) -> Resource:
    """A collection Bundle of the resources, each under its full URL."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
        ],
    }
