"""Teleconsultation cases as FHIR R4 resources, in the e-referral pattern.

A case is a **ServiceRequest** (category ``teleconsultation`` of Hamkor's request categories,
so that it is never taken for one of care's waitlist referrals, whose category is SNOMED's
"Patient referral"), a **Task** that carries its workflow (status, requester, owner, the
deadline as the restriction's period), a **Communication** per message of the exchange (and
one for the answer), and a **DocumentReference** per file shared with the centre (the
de-identified copies; the originals stay at home). Each resource is validated by its R4B model
(``care.fhir.resources.validated``) before it leaves.

``SOURCE`` hands the cases to care's ``hamkor fhir export`` (wired by ``hamkor.modules``, since
care cannot import telemedicine), with the Organizations and Patients they refer to, so that
every reference resolves inside the Bundle.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from hamkor.care import service as care
from hamkor.care.fhir.directory import organization, specialty_concept
from hamkor.care.fhir.patients import patient
from hamkor.care.fhir.referrals import CONSULTATION, icd10_display
from hamkor.care.fhir.resources import Resource, identifier, reference, validated
from hamkor.care.fhir.responses import PREFIX
from hamkor.care.fhir.sources import Source
from hamkor.care.fhir.terms import ICD10, code_system, coding, concept, sid
from hamkor.core import audit
from hamkor.core.access import Actor, restrict
from hamkor.directory.models import Institution
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
    """A shared file, linked where the app serves it: beside the FHIR base, not under it."""
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
                    "url": f"{base.removesuffix(PREFIX)}/files/{file.file_id}",
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


def _cases(db: Session, actor: Actor, *where: ColumnElement[bool]) -> list[TeleCase]:
    """The cases the actor may see that match ``where``, each and its patient audited."""
    stmt = restrict(select(TeleCase), actor).where(*where).order_by(TeleCase.id)
    cases = list(db.scalars(stmt.options(selectinload(TeleCase.messages))))
    for case in cases:
        audit.record(db, action="export", entity="telemedicine_cases", entity_id=case.id)
        if case.patient_id is not None:
            audit.record(db, action="export", entity="patients", entity_id=case.patient_id)
    return cases


def export_cases(
    *, db: Session, actor: Actor, base: str, centre_id: int | None = None
) -> list[Resource]:
    """The cases the actor may see (of one centre) as validated resources; each case and its
    patient are audited as exported."""
    where = [] if centre_id is None else [TeleCase.centre_id == centre_id]
    return [
        validated(resource)
        for case in _cases(db, actor, *where)
        for resource in case_resources(db, case, base)
    ]


def _for_recipient(db: Session, cases: list[TeleCase], recipient: Institution) -> list[TeleCase]:
    """Of the cases already shared with ``recipient`` (it asked or answered them), those whose
    patient may still go to it: registered in its country, or consenting to sharing abroad."""
    abroad = {
        case.patient.id
        for case in cases
        if case.patient is not None and case.patient.institution.country_id != recipient.country_id
    }
    allowed = care.shareable_abroad(db, abroad)
    return [case for case in cases if case.patient_id not in abroad or case.patient_id in allowed]


def collect(
    db: Session, actor: Actor, base: str, program_id: int | None, recipient: Institution | None
) -> list[Resource]:
    """A program's cases (all the actor may see without ``program_id``; with ``recipient``,
    those between it and another institution) for care's export, preceded by the
    Organizations and Patients they refer to."""
    where: list[ColumnElement[bool]] = []
    if program_id is not None:
        where.append(TeleCase.program_id == program_id)
    if recipient is not None:
        where.append(
            or_(TeleCase.centre_id == recipient.id, TeleCase.asking_institution_id == recipient.id)
        )
    cases = _cases(db, actor, *where)
    if recipient is not None:
        cases = _for_recipient(db, cases, recipient)
    institutions = {i.id: i for c in cases for i in (c.asking_institution, c.centre)}
    patients = {c.patient.id: c.patient for c in cases if c.patient is not None}
    institutions |= {p.institution_id: p.institution for p in patients.values()}
    return [
        *(organization(institution) for _id, institution in sorted(institutions.items())),
        *(patient(record) for _id, record in sorted(patients.items())),
        *(resource for case in cases for resource in case_resources(db, case, base)),
    ]


SOURCE = Source(
    name="telemedicine",
    collect=collect,
    documentation={
        "ServiceRequest": (
            "Teleconsultation cases are exported by `hamkor fhir export` as ServiceRequests "
            "of category request-category#teleconsultation (ids tc-<n>); not served here."
        ),
        "Task": "The workflow of a teleconsultation case: status, requester, owner, deadline.",
        "Communication": "The messages of a teleconsultation case, and the centre's answer.",
        "DocumentReference": "The files of a teleconsultation case shared with the centre.",
    },
)


def bundle(resources: list[Resource], base: str) -> Resource:
    """A collection Bundle of the resources, each under its full URL."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
        ],
    }
