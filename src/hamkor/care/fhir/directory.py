"""The directory as FHIR: institutions are Organizations, cities and rooms Locations, people
Practitioners with one PractitionerRole each (their institution and specialties)."""

from __future__ import annotations

from typing import Any

from hamkor.care.fhir.names import human_names, translated
from hamkor.care.fhir.resources import Resource, identifier, reference
from hamkor.care.fhir.terms import (
    BCP47,
    LOCATION_TYPE,
    ORGANIZATION_TYPE,
    code_system,
    coding,
    concept,
    sid,
)
from hamkor.core.i18n import DEFAULT_LANGUAGE, localized
from hamkor.directory.models import City, Institution, InstitutionKind, Person, Room, Specialty

# HL7's organization types are coarser than ours; our own kind travels beside them.
_ORGANIZATION_TYPES = {
    InstitutionKind.MINISTRY: "govt",
    InstitutionKind.RESEARCH_CENTRE: "prov",
    InstitutionKind.HOSPITAL: "prov",
    InstitutionKind.CLINIC: "prov",
    InstitutionKind.UNIVERSITY: "edu",
    InstitutionKind.PHARMA: "bus",
    InstitutionKind.IT_COMPANY: "bus",
    InstitutionKind.COMPANY: "bus",
    InstitutionKind.GOVERNMENT_AGENCY: "govt",
    InstitutionKind.OTHER: "other",
}


def city_id(city: City) -> str:
    return f"city-{city.id}"


def room_id(room: Room) -> str:
    return f"room-{room.id}"


def specialty_concept(specialty: Specialty) -> dict[str, Any]:
    """A specialty of our vocabulary, named in the default language."""
    return concept(
        code_system("specialty"), specialty.code, localized(specialty.names, DEFAULT_LANGUAGE)
    )


def _address(city: City) -> dict[str, Any]:
    return {"city": localized(city.names, DEFAULT_LANGUAGE), "country": city.country.code}


def organization(institution: Institution) -> Resource:
    return {
        "resourceType": "Organization",
        "id": str(institution.id),
        "identifier": [identifier(sid("institution"), institution.code)],
        "active": True,
        "type": [
            {
                "coding": [
                    coding(ORGANIZATION_TYPE, _ORGANIZATION_TYPES[institution.kind]),
                    coding(code_system("institution-kind"), institution.kind),
                ]
            }
        ],
        **translated("name", institution.names),
        "address": [_address(institution.city)],
    }


def city_location(city: City) -> Resource:
    return {
        "resourceType": "Location",
        "id": city_id(city),
        "identifier": [identifier(sid("city"), city.code)],
        "status": "active",
        "mode": "instance",
        **translated("name", city.names),
        "physicalType": concept(LOCATION_TYPE, "area"),
        "address": _address(city),
        "position": {"latitude": city.latitude, "longitude": city.longitude},
    }


def room_location(room: Room) -> Resource:
    return {
        "resourceType": "Location",
        "id": room_id(room),
        "identifier": [identifier(sid("room"), f"{room.institution.code}/{room.code}")],
        "status": "active",
        "mode": "instance",
        **translated("name", room.names),
        "type": [concept(code_system("room-kind"), room.kind)],
        "physicalType": concept(LOCATION_TYPE, "ro"),
        "managingOrganization": reference("Organization", room.institution_id),
        "partOf": reference("Location", city_id(room.institution.city)),
    }


def practitioner(person: Person) -> Resource:
    telecom = [
        {"system": system, "value": value}
        for system, value in (("phone", person.phone), ("email", person.email))
        if value
    ]
    return {
        "resourceType": "Practitioner",
        "id": str(person.id),
        "identifier": [identifier(sid("person"), person.code)] if person.code else [],
        "active": True,
        "name": human_names(person.names),
        "telecom": telecom,
        "communication": [concept(BCP47, language) for language in person.languages],
    }


def practitioner_role(person: Person) -> Resource:
    """The person's place of work and specialties (one role per person)."""
    role: Resource = {
        "resourceType": "PractitionerRole",
        "id": str(person.id),
        "active": True,
        "practitioner": reference("Practitioner", person.id),
        "specialty": [specialty_concept(s) for s in person.specialties],
    }
    if person.institution_id is not None:
        role["organization"] = reference("Organization", person.institution_id)
    if any(person.position.values()):
        role["code"] = [{"text": localized(person.position, DEFAULT_LANGUAGE)}]
    return role
