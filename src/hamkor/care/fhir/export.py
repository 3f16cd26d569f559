"""Export the care data of programs as one FHIR collection Bundle.

A *collection*, not a *searchset*: the file is a set of resources handed over together (to the
visiting centre, to an archive), not the answer to a search, and it holds the Organizations,
Locations and Practitioners its records refer to so that every reference resolves inside it.

Every record is read through the care access policies, every patient exported is audited, and
patients who withdrew their consent to sharing data abroad are left out of an export to an
institution abroad. The modules built on care add their own resources (``sources``: the
teleconsultation cases), after care's; a resource two parts both hold (an Organization, a
Patient) is written once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hamkor.care import service as care
from hamkor.care.fhir import directory, outcomes, patients, referrals, scheduling, sources
from hamkor.care.fhir.resources import Resource, validated
from hamkor.care.models import (
    Appointment,
    Consent,
    Encounter,
    FollowUpTask,
    Patient,
    Procedure,
    Referral,
)
from hamkor.core import access, audit
from hamkor.core.access import Actor
from hamkor.core.db import Base, utcnow
from hamkor.directory.models import City, Institution, Person, Room
from hamkor.programs.models import Activity, Program

#: Told ``(resources built, resources to build)`` as the export goes, for a progress bar.
Progress = Callable[[int, int], None]
RowT = TypeVar("RowT", bound=Base)


@dataclass
class _Directory:
    """The directory rows the exported records refer to, each once."""

    institutions: dict[int, Institution] = field(default_factory=dict)
    cities: dict[int, City] = field(default_factory=dict)
    rooms: dict[int, Room] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)

    def institution(self, institution: Institution | None) -> None:
        if institution is not None:
            self.institutions[institution.id] = institution

    def room(self, room: Room) -> None:
        self.rooms[room.id] = room
        self.institution(room.institution)
        self.cities[room.institution.city_id] = room.institution.city

    def place(self, activity: Activity) -> None:
        if activity.room is not None:
            self.room(activity.room)
        else:
            self.cities[activity.city_id] = activity.city

    def person(self, person: Person) -> None:
        self.people[person.id] = person
        self.institution(person.institution)


def _restricted(db: Session, actor: Actor, stmt: Select[Any]) -> list[Any]:
    return list(db.scalars(access.restrict(stmt, actor)))


def _by_referral(
    db: Session, actor: Actor, model: type[RowT], referral_ids: Sequence[int]
) -> list[RowT]:
    column = model.referral_id  # type: ignore[attr-defined]
    stmt = select(model).where(column.in_(referral_ids)).order_by(model.id)  # type: ignore[attr-defined]
    return _restricted(db, actor, stmt)


def _programs(db: Session, actor: Actor, program_id: int | None) -> list[Program]:
    if program_id is not None:
        return [access.get_for(db, actor, Program, program_id)]
    return _restricted(db, actor, select(Program).order_by(Program.id))


def _shared(db: Session, found: list[Referral], recipient: Institution | None) -> list[Referral]:
    """The referrals whose patients' data may go to ``recipient``: those registered in the
    recipient's own country, and the others only with consent to sharing data abroad."""
    if recipient is None:
        return found
    abroad = {
        r.patient_id for r in found if r.patient.institution.country_id != recipient.country_id
    }
    allowed = care.shareable_abroad(db, abroad)
    return [r for r in found if r.patient_id not in abroad or r.patient_id in allowed]


@dataclass
class _Records:
    """The care rows of an export, each read through the access policies."""

    referrals: list[Referral]
    patients: dict[int, Patient]
    consents: list[Consent]
    bookings: list[Appointment]
    encounters: list[Encounter]
    procedures: list[Procedure]
    follow_ups: list[FollowUpTask]
    sessions: list[Activity]


def _records(
    db: Session, actor: Actor, program_id: int | None, recipient: Institution | None
) -> _Records:
    program_ids = [program.id for program in _programs(db, actor, program_id)]
    stmt = select(Referral).where(Referral.program_id.in_(program_ids)).order_by(Referral.id)
    chosen = _shared(db, _restricted(db, actor, stmt), recipient)
    referral_ids = [referral.id for referral in chosen]
    patients_ = {
        referral.patient_id: referral.patient
        for referral in sorted(chosen, key=lambda referral: referral.patient_id)
    }
    consents = select(Consent).where(Consent.patient_id.in_(patients_)).order_by(Consent.id)
    return _Records(
        referrals=chosen,
        patients=patients_,
        consents=_restricted(db, actor, consents),
        bookings=_by_referral(db, actor, Appointment, referral_ids),
        encounters=_by_referral(db, actor, Encounter, referral_ids),
        procedures=_by_referral(db, actor, Procedure, referral_ids),
        follow_ups=_by_referral(db, actor, FollowUpTask, referral_ids),
        sessions=[
            session
            for program_id_ in program_ids
            for session in care.consultation_sessions(db=db, actor=actor, program_id=program_id_)
        ],
    )


def _places(records: _Records) -> _Directory:
    """The directory rows the records refer to."""
    places = _Directory()
    for patient in records.patients.values():
        places.institution(patient.institution)
    for referral in records.referrals:
        places.institution(referral.referring_institution)
        places.cities.update({city.id: city for city in referral.cities})
    for session in records.sessions:
        places.place(session)
        places.institution(session.institution)
        for lead in session.leads:
            places.person(lead)
    for encounter in records.encounters:
        if encounter.specialist is not None:
            places.person(encounter.specialist)
    for procedure in records.procedures:
        for surgeon in procedure.surgeons:
            places.person(surgeon)
        if procedure.activity is not None:
            places.place(procedure.activity)
    for task in records.follow_ups:
        places.institution(task.institution)
    return places


def _sorted(rows: dict[int, RowT]) -> list[RowT]:
    return [row for _id, row in sorted(rows.items())]


def collect(
    db: Session, actor: Actor, program_id: int | None, recipient: Institution | None
) -> list[Resource]:
    """The unvalidated resources of the export, in the bundle's order; patients are audited."""
    records = _records(db, actor, program_id, recipient)
    places = _places(records)
    for patient_id in records.patients:
        audit.record(db, action="view", entity="patients", entity_id=patient_id, note="FHIR export")
    return [
        *(directory.organization(row) for row in _sorted(places.institutions)),
        *(directory.city_location(row) for row in _sorted(places.cities)),
        *(directory.room_location(row) for row in _sorted(places.rooms)),
        *(directory.practitioner(row) for row in _sorted(places.people)),
        *(directory.practitioner_role(row) for row in _sorted(places.people)),
        *(patients.patient(row) for row in records.patients.values()),
        *patients.consents(records.consents),
        *(referrals.service_request(row) for row in records.referrals),
        *(scheduling.schedule(session) for session in records.sessions),
        *(
            scheduling.slot(session, found)
            for session in records.sessions
            for found in care.session_slots(db, session)
        ),
        *(
            scheduling.appointment(booking, care.slot_minutes(db, booking.activity))
            for booking in records.bookings
        ),
        *(outcomes.encounter(row) for row in records.encounters),
        *(outcomes.condition(d) for row in records.encounters for d in row.diagnoses),
        *(outcomes.procedure(row) for row in records.procedures),
        *(outcomes.care_plan(row) for row in records.follow_ups),
    ]


def _once(resources: list[Resource]) -> list[Resource]:
    """The resources with each type and id once, the first kept."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for resource in resources:
        key = (resource["resourceType"], str(resource["id"]))
        if key not in seen:
            seen.add(key)
            kept.append(resource)
    return kept


def export_bundle(
    *,
    db: Session,
    actor: Actor,
    base: str,
    program_id: int | None = None,
    recipient: Institution | None = None,
    progress: Progress | None = None,
) -> Resource:
    """The care data of one program (all the actor may see without ``program_id``) and what
    the registered sources add to it, as a collection Bundle; each resource is validated by its
    R4B model as it is added."""
    resources = _once(
        collect(db, actor, program_id, recipient)
        + [
            resource
            for source in sources.registered()
            for resource in source.collect(db, actor, base, program_id, recipient)
        ]
    )
    entries = []
    for done, resource in enumerate(resources, start=1):
        checked = validated(resource)
        entries.append(
            {"fullUrl": f"{base}/{checked['resourceType']}/{checked['id']}", "resource": checked}
        )
        if progress is not None:
            progress(done, len(resources))
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "type": "collection",
        "timestamp": utcnow().isoformat(),
        "entry": entries,
    }
