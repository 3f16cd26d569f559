"""The identifier systems, code systems and extensions Hamkor's FHIR resources use.

Our own records are identified under ``https://hamkor.example/fhir/sid/<kind>``; national
identifiers use the systems documented in ``docs/fhir.md`` (no official URI or OID for
Uzbekistan's PINFL or Kazakhstan's IIN is published in HL7's registry, so they are ours too);
passports follow HL7's ``http://hl7.org/fhir/sid/passport-<ISO 3166 alpha-3>`` pattern.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel.core import get_global

from hamkor.care.models import IdentifierKind

#: ``fhirVersion`` of what we serve: the R4B models of ``fhir.resources`` (the R4 line).
FHIR_VERSION = "4.3.0"
FHIR_JSON = "application/fhir+json"

HAMKOR = "https://hamkor.example/fhir"
#: The base of ``fullUrl`` in files exported on the command line (the API uses its own address).
DEFAULT_BASE = HAMKOR


def sid(kind: str) -> str:
    """The identifier system of one kind of Hamkor record (``institution``, ``referral``)."""
    return f"{HAMKOR}/sid/{kind}"


def code_system(name: str) -> str:
    """A code system of Hamkor's own vocabulary (``specialty``, ``recommendation``)."""
    return f"{HAMKOR}/CodeSystem/{name}"


def extension_url(name: str) -> str:
    """An extension of Hamkor's, defined in ``docs/fhir.md``."""
    return f"{HAMKOR}/StructureDefinition/{name}"


ICD10 = "http://hl7.org/fhir/sid/icd-10"
BCP47 = "urn:ietf:bcp:47"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
LOCATION_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
LANGUAGE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/language"
TRANSLATION_EXTENSION = "http://hl7.org/fhir/StructureDefinition/translation"

PINFL_SYSTEM = sid("uz-pinfl")
IIN_SYSTEM = sid("kz-iin")
PASSPORT_PREFIX = "http://hl7.org/fhir/sid/passport-"

PROGRAM_EXTENSION = extension_url("program")
PRIORITY_EXTENSION = extension_url("referral-priority")
REFERRAL_STATUS_EXTENSION = extension_url("referral-status")
FINDINGS_EXTENSION = extension_url("encounter-findings")
RECOMMENDATION_EXTENSION = extension_url("encounter-recommendation")


def identifier_system(kind: IdentifierKind, issuer: str) -> str:
    """The system of a national identifier (``issuer`` is the ISO 3166 alpha-2 country)."""
    if kind == IdentifierKind.UZ_PINFL:
        return PINFL_SYSTEM
    if kind == IdentifierKind.KZ_IIN:
        return IIN_SYSTEM
    return PASSPORT_PREFIX + alpha3(issuer)


def identifier_kind(system: str) -> tuple[IdentifierKind, str] | None:
    """The kind and issuing country (alpha-2) of a national identifier's system, if it is one."""
    if system == PINFL_SYSTEM:
        return IdentifierKind.UZ_PINFL, "UZ"
    if system == IIN_SYSTEM:
        return IdentifierKind.KZ_IIN, "KZ"
    if system.startswith(PASSPORT_PREFIX):
        country = alpha2(system.removeprefix(PASSPORT_PREFIX))
        return (IdentifierKind.PASSPORT, country) if country else None
    return None


def _alpha2_by_alpha3() -> dict[str, str]:
    """ISO 3166 alpha-3 → alpha-2, from CLDR's territory aliases (Babel ships them)."""
    aliases: Mapping[str, list[str]] = get_global("territory_aliases")
    return {
        code: targets[0]
        for code, targets in aliases.items()
        if len(code) == 3 and code.isalpha() and len(targets) == 1
    }


_ALPHA2 = _alpha2_by_alpha3()
_ALPHA3 = {alpha_2: alpha_3 for alpha_3, alpha_2 in _ALPHA2.items()}


def alpha3(alpha_2: str) -> str:
    """The alpha-3 code of a country's alpha-2 code (``UZ`` → ``UZB``)."""
    return _ALPHA3.get(alpha_2.upper(), alpha_2.upper())


def alpha2(alpha_3: str) -> str | None:
    """The alpha-2 code of a country's alpha-3 code, or ``None`` for an unknown one."""
    return _ALPHA2.get(alpha_3.upper())


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    """A Coding (``display`` left out when not known)."""
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    """A CodeableConcept of one coding."""
    return {"coding": [coding(system, code, display)]}
