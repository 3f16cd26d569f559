"""Patients and their consents as FHIR Patient and Consent resources."""

from __future__ import annotations

from collections.abc import Sequence

from hamkor.care.fhir.names import human_names
from hamkor.care.fhir.resources import Resource, identifier, reference
from hamkor.care.fhir.terms import (
    BCP47,
    CONSENT_SCOPE,
    LOINC,
    V2_0203,
    V3_ACT_CODE,
    code_system,
    coding,
    concept,
    extension_url,
    identifier_system,
    sid,
)
from hamkor.care.models import (
    Consent,
    ConsentDecision,
    ConsentKind,
    IdentifierKind,
    Patient,
    PatientIdentifier,
)
from hamkor.core.i18n import DEFAULT_LANGUAGE, localized

#: The home city of a patient, by its code: Address has no place for an identifier.
HOME_CITY_EXTENSION = extension_url("home-city")
#: How a representative who decided for the patient is related to them.
RELATION_EXTENSION = extension_url("representative-relation")

# HL7 v2 table 0203: NI is a national unique individual identifier, PPN a passport number.
_IDENTIFIER_TYPES = {
    IdentifierKind.UZ_PINFL: "NI",
    IdentifierKind.KZ_IIN: "NI",
    IdentifierKind.PASSPORT: "PPN",
}
_CONSENT_SCOPES = {
    ConsentKind.TREATMENT: "treatment",
    ConsentKind.TELEMEDICINE: "treatment",
    ConsentKind.DATA_SHARING_ABROAD: "patient-privacy",
}


def national_identifier(found: PatientIdentifier) -> Resource:
    return identifier(
        identifier_system(found.kind, found.issuer),
        found.value,
        use="official",
        type=concept(V2_0203, _IDENTIFIER_TYPES[found.kind]),
    )


def patient(record: Patient) -> Resource:
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(record.id),
        "identifier": [
            *(national_identifier(found) for found in record.identifiers),
            identifier(sid("patient"), record.id, use="secondary"),
        ],
        "active": record.merged_into_id is None,
        "name": human_names(record.names),
        "telecom": [{"system": "phone", "value": record.phone, "use": "mobile"}]
        if record.phone
        else [],
        "gender": record.sex,
        "birthDate": record.birth_date.isoformat(),
        "communication": [
            {"language": concept(BCP47, language), "preferred": position == 0}
            for position, language in enumerate(record.languages)
        ],
        "managingOrganization": reference("Organization", record.institution_id),
    }
    if record.home_city is not None:
        resource["address"] = [
            {
                "extension": [
                    {
                        "url": HOME_CITY_EXTENSION,
                        "valueIdentifier": identifier(sid("city"), record.home_city.code),
                    }
                ],
                "use": "home",
                "city": localized(record.home_city.names, DEFAULT_LANGUAGE),
                "country": record.home_city.country.code,
            }
        ]
    if record.merged_into_id is not None:
        resource["link"] = [
            {"other": reference("Patient", record.merged_into_id), "type": "replaced-by"}
        ]
    return resource


def _in_force(consents: Sequence[Consent]) -> set[int]:
    """The ids of the latest decision of each patient and kind: the ones in force."""
    latest: dict[tuple[int, ConsentKind], Consent] = {}
    for decision in consents:
        key = (decision.patient_id, decision.kind)
        current = latest.get(key)
        if current is None or (decision.decided_at, decision.id) > (
            current.decided_at,
            current.id,
        ):
            latest[key] = decision
    return {decision.id for decision in latest.values()}


def consents(decisions: Sequence[Consent]) -> list[Resource]:
    """One Consent per decision; the superseded ones are ``inactive`` (docs/fhir.md)."""
    in_force = _in_force(decisions)
    return [consent(decision, decision.id in in_force) for decision in decisions]


def consent(decision: Consent, in_force: bool) -> Resource:
    given = decision.decision == ConsentDecision.GIVEN
    performer = reference("Patient", decision.patient_id)
    if not decision.by_patient:
        performer = {"display": decision.representative_name}
        if decision.representative_relation:
            performer["extension"] = [
                {"url": RELATION_EXTENSION, "valueString": decision.representative_relation}
            ]
    return {
        "resourceType": "Consent",
        "id": str(decision.id),
        "identifier": [identifier(sid("consent"), decision.id)],
        "status": "active" if in_force else "inactive",
        "scope": concept(CONSENT_SCOPE, _CONSENT_SCOPES[decision.kind]),
        "category": [
            {
                "coding": [
                    coding(LOINC, "59284-0", "Patient Consent"),
                    coding(code_system("consent-kind"), decision.kind),
                ]
            }
        ],
        "patient": reference("Patient", decision.patient_id),
        "dateTime": decision.decided_at,
        "performer": [performer],
        "organization": [reference("Organization", decision.patient.institution_id)],
        "policyRule": concept(V3_ACT_CODE, "OPTIN" if given else "OPTOUT"),
        "provision": {"type": "permit" if given else "deny"},
    }
