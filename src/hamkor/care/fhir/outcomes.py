"""What came of a visit: Encounters with their Conditions, Procedures, and follow-up CarePlans."""

from __future__ import annotations

from hamkor.care.fhir.directory import city_id, room_id, specialty_concept
from hamkor.care.fhir.referrals import reason
from hamkor.care.fhir.resources import Resource, identifier, reference
from hamkor.care.fhir.terms import (
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    FINDINGS_EXTENSION,
    RECOMMENDATION_EXTENSION,
    SNOMED,
    V3_ACT_CODE,
    code_system,
    coding,
    concept,
    sid,
)
from hamkor.care.models import (
    Diagnosis,
    Encounter,
    FollowUpStatus,
    FollowUpTask,
    Procedure,
    ProcedureOutcome,
)

_OUTCOMES = {
    ProcedureOutcome.SUCCESSFUL: ("385669000", "Successful"),
    ProcedureOutcome.PARTIALLY_SUCCESSFUL: ("385670004", "Partially successful"),
    ProcedureOutcome.UNSUCCESSFUL: ("385671000", "Unsuccessful"),
}
_CARE_PLAN_STATUSES = {
    FollowUpStatus.OPEN: "active",
    FollowUpStatus.DONE: "completed",
    FollowUpStatus.CANCELLED: "revoked",
}
_ACTIVITY_STATUSES = {
    FollowUpStatus.OPEN: "not-started",
    FollowUpStatus.DONE: "completed",
    FollowUpStatus.CANCELLED: "cancelled",
}


def encounter(record: Encounter) -> Resource:
    referral = record.referral
    resource: Resource = {
        "resourceType": "Encounter",
        "id": str(record.id),
        "extension": [
            {"url": FINDINGS_EXTENSION, "valueString": record.findings},
            {
                "url": RECOMMENDATION_EXTENSION,
                "valueCodeableConcept": concept(
                    code_system("recommendation"), record.recommendation
                ),
            },
        ],
        "identifier": [identifier(sid("encounter"), record.id)],
        "status": "finished",
        "class": coding(V3_ACT_CODE, "AMB", "ambulatory"),
        "serviceType": specialty_concept(referral.specialty),
        "subject": reference("Patient", referral.patient_id),
        "basedOn": [reference("ServiceRequest", referral.id)],
        "period": {"start": record.occurred_at},
        "diagnosis": [
            {"condition": reference("Condition", diagnosis.id), "rank": diagnosis.rank}
            for diagnosis in record.diagnoses
        ],
    }
    if record.specialist_id is not None:
        resource["participant"] = [{"individual": reference("Practitioner", record.specialist_id)}]
    if record.appointment_id is not None:
        resource["appointment"] = [reference("Appointment", record.appointment_id)]
    return resource


def condition(diagnosis: Diagnosis) -> Resource:
    record = diagnosis.encounter
    return {
        "resourceType": "Condition",
        "id": str(diagnosis.id),
        "identifier": [identifier(sid("diagnosis"), diagnosis.id)],
        "clinicalStatus": concept(CONDITION_CLINICAL, "active"),
        "verificationStatus": concept(CONDITION_VERIFICATION, "confirmed"),
        "category": [concept(CONDITION_CATEGORY, "encounter-diagnosis")],
        "code": {"coding": reason(diagnosis.icd10, "")["coding"]},
        "subject": reference("Patient", record.referral.patient_id),
        "encounter": reference("Encounter", record.id),
        "recordedDate": record.occurred_at,
    }


def procedure(record: Procedure) -> Resource:
    resource: Resource = {
        "resourceType": "Procedure",
        "id": str(record.id),
        "identifier": [identifier(sid("procedure"), record.id)],
        "basedOn": [reference("ServiceRequest", record.referral_id)],
        "status": "completed",
        "code": {"text": record.description},
        "subject": reference("Patient", record.referral.patient_id),
        "performedDateTime": record.performed_on.isoformat(),
        "performer": [
            {"actor": reference("Practitioner", surgeon.id)} for surgeon in record.surgeons
        ],
        "outcome": concept(SNOMED, *_OUTCOMES[record.outcome]),
        "complication": [{"text": record.complications}] if record.complications else [],
    }
    activity = record.activity
    if activity is not None:
        # Shown to trainees as a demonstration operation or intervention of the program.
        resource["category"] = concept(code_system("activity-kind"), activity.kind)
        place = room_id(activity.room) if activity.room else city_id(activity.city)
        resource["location"] = reference("Location", place)
    return resource


def care_plan(task: FollowUpTask) -> Resource:
    kind = concept(code_system("follow-up-kind"), task.kind)
    return {
        "resourceType": "CarePlan",
        "id": str(task.id),
        "identifier": [identifier(sid("follow-up"), task.id)],
        "status": _CARE_PLAN_STATUSES[task.status],
        "intent": "plan",
        "category": [kind],
        "subject": reference("Patient", task.referral.patient_id),
        "period": {"end": task.due_on.isoformat()},
        "created": task.created_at,
        "supportingInfo": [reference("ServiceRequest", task.referral_id)],
        "activity": [
            {
                "detail": {
                    "code": kind,
                    "status": _ACTIVITY_STATUSES[task.status],
                    "scheduledPeriod": {"end": task.due_on.isoformat()},
                    "performer": [reference("Organization", task.institution_id)],
                    "description": task.notes,
                }
            }
        ],
    }
