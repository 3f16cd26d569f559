"""Import referrals, with their patients and consents, from a Bundle a hospital sends.

Each resource becomes the schema the intake form fills (``PatientCreate``, ``ConsentCreate``,
``ReferralCreate``) and goes through the same service functions, so a PINFL's check digit, an
ICD-10 code or a phone number is judged exactly as at the registrar's desk. Every problem of
every entry is reported at once, located in the Bundle; nothing is written unless all entries
are good (the writes happen in a savepoint that is rolled back on any problem).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from hamkor.care import identifiers
from hamkor.care import service as care
from hamkor.care.fhir import sources
from hamkor.care.fhir.bundles import Entry, Index, read_entries
from hamkor.care.fhir.names import names_of
from hamkor.care.fhir.patients import HOME_CITY_EXTENSION, RELATION_EXTENSION
from hamkor.care.fhir.referrals import PRIORITIES_OF_FHIR, icd10_display
from hamkor.care.fhir.resources import Resource, validated
from hamkor.care.fhir.terms import (
    BCP47,
    CONSENT_SCOPE,
    ICD10,
    PRIORITY_EXTENSION,
    PROGRAM_EXTENSION,
    code_system,
    identifier_kind,
    sid,
)
from hamkor.care.models import ConsentDecision, ConsentKind, Patient, PatientIdentifier
from hamkor.care.schemas import ConsentCreate, PatientCreate, ReferralCreate
from hamkor.core import access, audit
from hamkor.core.access import Actor
from hamkor.core.errors import FieldError, UserError, from_validation, problem
from hamkor.core.i18n import N_
from hamkor.core.importing import chunks
from hamkor.directory.models import City, Institution, Specialty
from hamkor.programs.models import Program
from hamkor.settings import get_settings

#: Resources written, and those only referred to (matched in the directory by identifier).
WRITTEN = ("Patient", "Consent", "ServiceRequest")
REFERRED = ("Organization", "Location")
#: Told ``(entries done, entries)`` as the import goes, for a progress bar.
Progress = Callable[[int, int], None]

#: The system of Hamkor's request categories other than a referral (a teleconsultation, which
#: ``hamkor fhir export`` holds too): such a ServiceRequest is read, never imported as one.
REQUEST_CATEGORY = code_system("request-category")


def other_request(resource: Resource) -> bool:
    """Whether a ServiceRequest is one of Hamkor's other requests, not a referral."""
    return any(
        coding.get("system") == REQUEST_CATEGORY
        for category in resource.get("category") or []
        if isinstance(category, dict)
        for coding in category.get("coding") or []
        if isinstance(coding, dict)
    )


#: A stand-in id to check a referral whose patient is not written (nothing is written then).
_CHECK_ONLY = 1
_CONSENT_KINDS_BY_SCOPE = {"patient-privacy": ConsentKind.DATA_SHARING_ABROAD}


@dataclass(frozen=True)
class Outcome:
    """What became of one entry: the record it made or matched, and the HTTP-like status."""

    index: int
    location: str | None
    status: str


@dataclass
class _Mapped:
    """A resource turned into a schema's input, with where each field came from."""

    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)

    def origin(self, field_name: str) -> str:
        """The element of the resource a schema field (``identifiers.0.value``) came from."""
        parts = field_name.split(".")
        for end in range(len(parts), 0, -1):
            key = ".".join(parts[:end])
            if key in self.origins:
                return self.origins[key]
        return ""


def _extension(resource: Resource, url: str) -> dict[str, Any] | None:
    for found in resource.get("extension") or []:
        if found.get("url") == url:
            return dict(found)
    return None


def _codes(concept: Any, system: str) -> list[tuple[int, str]]:
    """The codes of ``system`` in a CodeableConcept, with their position."""
    if not isinstance(concept, dict):
        return []
    return [
        (position, coding.get("code") or "")
        for position, coding in enumerate(concept.get("coding") or [])
        if coding.get("system") == system
    ]


class _Importer:
    """One import: the Bundle's entries, the directory look-ups, the records made so far."""

    def __init__(
        self, db: Session, actor: Actor, entries: Sequence[Entry], program_code: str | None
    ) -> None:
        self.db = db
        self.actor = actor
        self.index = Index(entries)
        self.program_code = program_code
        self.patients: dict[int, int] = {}  # entry index → patient id
        self.outcomes: list[Outcome] = []
        self.errors: list[FieldError] = []
        #: Directory records by code, and the patients registered: loaded once and held for the
        #: whole import. Every entry asked the database for each code it named, and the
        #: services, which look the records up by id again, found none of them in the session's
        #: identity map (it keeps only what something holds) and asked again: an 8 MB Bundle
        #: took 31 s (issue 15).
        self._records: dict[tuple[str, str], Any] = {}
        self._registered_here: list[Patient] = []
        #: Registered patients by national identifier, asked for all Patient entries at once.
        self._holders: dict[tuple[str, str, str], int] = {}

    def load_holders(self, entries: Sequence[Entry]) -> None:
        """The patients already holding the identifiers of the Bundle's Patient entries, in a
        few queries rather than one (with a search by birth date) per entry."""
        wanted: set[tuple[str, str, str]] = set()
        for entry in entries:
            if entry.resource_type != "Patient":
                continue
            for found in entry.resource.get("identifier") or []:
                kind = identifier_kind(str(found.get("system") or ""))
                if kind is None:
                    continue
                try:
                    value = identifiers.validate(kind[0], str(found.get("value") or ""), kind[1])[0]
                except identifiers.ValidationError:
                    continue  # refused with its entry
                wanted.add((str(kind[0]), kind[1], value))
        for chunk in chunks(value for _kind, _issuer, value in wanted):
            stmt = select(
                PatientIdentifier.kind,
                PatientIdentifier.issuer,
                PatientIdentifier.value,
                PatientIdentifier.patient_id,
            ).where(PatientIdentifier.value.in_(chunk))
            for kind_of, issuer, value, patient_id in self.db.execute(stmt):
                if (str(kind_of), issuer, value) in wanted:
                    self._holders[(str(kind_of), issuer, value)] = patient_id

    def _holder(self, data: PatientCreate) -> int | None:
        keys = ((str(i.kind), i.issuer or "", i.value) for i in data.identifiers)
        return next((self._holders[key] for key in keys if key in self._holders), None)

    # --- references -----------------------------------------------------------------------

    def _code_id(self, column: InstrumentedAttribute[str], code: str) -> int | None:
        key = (str(column), code)
        if key not in self._records:
            self._records[key] = self.db.scalar(select(column.class_).where(column == code))
        found = self._records[key]
        return int(found.id) if found is not None else None

    def _identified(self, reference: Any, system: str) -> str | None:
        """The value under ``system`` of what a Reference points to: an entry of the Bundle, or
        the Reference's own identifier."""
        if not isinstance(reference, dict):
            return None
        target = self.index.target(reference)
        identifiers = target.resource.get("identifier") or [] if target else []
        if isinstance(reference.get("identifier"), dict):
            identifiers = [reference["identifier"], *identifiers]
        for found in identifiers:
            if found.get("system") == system and found.get("value"):
                return str(found["value"])
        return None

    def institution(self, reference: Any) -> int | None:
        code = self._identified(reference, sid("institution"))
        return self._code_id(Institution.code, code) if code else None

    def city(self, reference: Any) -> int | None:
        code = self._identified(reference, sid("city"))
        return self._code_id(City.code, code) if code else None

    def patient(self, reference: Any) -> int | None:
        """A patient of this Bundle already imported, or one registered here by identifier."""
        target = self.index.target(reference)
        if target is not None:
            return self.patients.get(target.index)
        if not isinstance(reference, dict) or not isinstance(reference.get("identifier"), dict):
            return None
        return self._registered(reference["identifier"])

    def _registered(self, identifier: dict[str, Any]) -> int | None:
        """The patient the actor may see who holds this national identifier."""
        kind = identifier_kind(str(identifier.get("system") or ""))
        if kind is None:
            return None
        try:
            value = identifiers.validate(kind[0], str(identifier.get("value") or ""), kind[1])[0]
        except identifiers.ValidationError:
            return None
        stmt = (
            select(Patient.id)
            .join(PatientIdentifier, PatientIdentifier.patient_id == Patient.id)
            .where(
                PatientIdentifier.kind == kind[0],
                PatientIdentifier.issuer == kind[1],
                PatientIdentifier.value == value,
            )
        )
        found = self.db.scalar(access.restrict(stmt, self.actor))
        return int(found) if found is not None else None

    # --- entries --------------------------------------------------------------------------

    def _schema(self, entry: Entry, schema: type[BaseModel], mapped: _Mapped) -> Any:
        """The schema's input, or ``None`` with the problems recorded at their elements."""
        self.errors += [FieldError(entry.at(e.field), e.message) for e in mapped.errors]
        try:
            return schema.model_validate(mapped.data)
        except ValidationError as error:
            self._located(entry, mapped, from_validation(error))
            return None

    def _located(self, entry: Entry, mapped: _Mapped, error: UserError) -> None:
        # An element the mapping already refused (an unknown institution) is told about once.
        refused = {problem.field for problem in mapped.errors}
        for item in error.errors:
            origin = mapped.origin(item.field)
            if origin not in refused:
                self.errors.append(FieldError(entry.at(origin), item.message))

    def _write(self, entry: Entry, mapped: _Mapped, write: Callable[[], Any]) -> Any:
        """Run a service function in a savepoint; its refusal is recorded at the elements."""
        try:
            with self.db.begin_nested():
                return write()
        except UserError as error:
            self._located(entry, mapped, error)
            return None

    def patient_entry(self, entry: Entry) -> None:
        mapped = _patient(self, entry.resource)
        data = self._schema(entry, PatientCreate, mapped)
        if data is None or mapped.errors:
            return
        holder = self._holder(data)
        if holder is not None and self._visible(holder):
            # The hospital sent a patient we know: the referral joins their record.
            self.patients[entry.index] = holder
            self.outcomes.append(Outcome(entry.index, f"Patient/{holder}", "200 OK"))
            return
        made = self._write(
            entry, mapped, lambda: care.create_patient(db=self.db, actor=self.actor, data=data)
        )
        if made is not None:
            self.patients[entry.index] = made.id
            self._registered_here.append(made)
            for i in data.identifiers:  # a later entry of the same patient joins this record
                self._holders[(str(i.kind), i.issuer or "", i.value)] = made.id
            self.outcomes.append(Outcome(entry.index, f"Patient/{made.id}", "201 Created"))

    def _visible(self, patient_id: int) -> bool:
        patient = self.db.get(Patient, patient_id)
        return patient is not None and access.can(self.db, self.actor, access.Action.VIEW, patient)

    def consent_entry(self, entry: Entry) -> None:
        patient_id = self._patient_of(entry, "patient")
        mapped = _consent(entry.resource)
        data = self._schema(entry, ConsentCreate, mapped)
        if data is None or mapped.errors or patient_id is None:
            return
        made = self._write(
            entry,
            mapped,
            lambda: care.record_consent(
                db=self.db,
                actor=self.actor,
                patient=access.get_for(
                    self.db, self.actor, Patient, patient_id, access.Action.CHANGE
                ),
                data=data,
            ),
        )
        if made is not None:
            self.outcomes.append(Outcome(entry.index, f"Consent/{made.id}", "201 Created"))

    def _patient_of(self, entry: Entry, element: str) -> int | None:
        """The patient an entry refers to; a problem unless it is there, or is a patient entry
        of the Bundle that was refused (that entry's problems are reported already)."""
        reference = entry.resource.get(element)
        found = self.patient(reference)
        target = self.index.target(reference)
        if found is None and (target is None or target.resource_type != "Patient"):
            self.errors.append(
                problem(
                    entry.at(element),
                    N_(
                        "Refer to a Patient of this Bundle, or to a registered patient by "
                        "national identifier."
                    ),
                )
            )
        return found

    def referral_entry(self, entry: Entry) -> None:
        if other_request(entry.resource):
            self.referred_entry(entry)
            return
        patient_id = self._patient_of(entry, "subject")
        mapped = _referral(self, entry.resource)
        # Checked even when its patient was refused, so that every problem is told at once.
        mapped.data["patient_id"] = patient_id or _CHECK_ONLY
        data = self._schema(entry, ReferralCreate, mapped)
        if data is None or mapped.errors or patient_id is None:
            return
        made = self._write(
            entry, mapped, lambda: care.create_referral(db=self.db, actor=self.actor, data=data)
        )
        if made is not None:
            self.outcomes.append(Outcome(entry.index, f"ServiceRequest/{made.id}", "201 Created"))

    def referred_entry(self, entry: Entry) -> None:
        """An Organization or Location is matched in the directory when a record uses it."""
        self.outcomes.append(Outcome(entry.index, None, "200 OK"))

    def program(self, resource: Resource) -> tuple[int | None, FieldError | None]:
        extension = _extension(resource, PROGRAM_EXTENSION)
        code = ((extension or {}).get("valueIdentifier") or {}).get("value") or self.program_code
        if not code:
            return None, problem(
                "extension",
                N_("Name the program: our program extension, or the program of the import."),
            )
        found = self._code_id(Program.code, str(code))
        if found is None:
            return None, problem(
                "extension", N_("No program has the code %(code)s."), code=str(code)[:40]
            )
        return found, None


# --- from resources to the intake schemas ------------------------------------------------------

_UNKNOWN_INSTITUTION = N_(
    "No institution of the directory has this identifier; refer to an Organization with an "
    "identifier of the system %(system)s."
)
_UNKNOWN_CITY = N_(
    "No city of the directory has this identifier; refer to a Location with an identifier of "
    "the system %(system)s."
)


def _institution(importer: _Importer, mapped: _Mapped, reference: Any, element: str) -> int | None:
    if reference is None:
        return None
    found = importer.institution(reference)
    if found is None:
        mapped.errors.append(problem(element, _UNKNOWN_INSTITUTION, system=sid("institution")))
    return found


def _patient(importer: _Importer, resource: Resource) -> _Mapped:
    mapped = _Mapped(
        origins={
            "names": "name",
            "birth_date": "birthDate",
            "sex": "gender",
            "institution_id": "managingOrganization",
            "home_city_id": "address",
            "phone": "telecom",
            "languages": "communication",
            "identifiers": "identifier",
        }
    )
    data = mapped.data
    data["names"] = names_of(resource.get("name") or [])
    data["birth_date"] = resource.get("birthDate")
    data["sex"] = resource.get("gender")
    data["identifiers"] = []
    for position, found in enumerate(resource.get("identifier") or []):
        kind = identifier_kind(str(found.get("system") or ""))
        if kind is None:
            continue  # our own record id, or a hospital's number: not a national identifier
        number = len(data["identifiers"])
        data["identifiers"].append(
            {"kind": kind[0], "issuer": kind[1], "value": found.get("value")}
        )
        for schema_field, element in (("", ""), (".value", ".value"), (".issuer", ".system")):
            mapped.origins[f"identifiers.{number}{schema_field}"] = (
                f"identifier[{position}]{element}"
            )
    for position, telecom in enumerate(resource.get("telecom") or []):
        if telecom.get("system") == "phone" and telecom.get("value"):
            data["phone"] = telecom["value"]
            mapped.origins["phone"] = f"telecom[{position}].value"
            break
    data["languages"] = []
    for position, communication in enumerate(resource.get("communication") or []):
        for _coding, code in _codes(communication.get("language"), BCP47)[:1]:
            mapped.origins[f"languages.{len(data['languages'])}"] = f"communication[{position}]"
            data["languages"].append(code)
    data["institution_id"] = _institution(
        importer, mapped, resource.get("managingOrganization"), "managingOrganization"
    )
    for position, address in enumerate(resource.get("address") or []):
        extension = _extension(address, HOME_CITY_EXTENSION)
        if extension is not None:
            element = f"address[{position}].extension"
            reference = {"identifier": extension.get("valueIdentifier")}
            data["home_city_id"] = importer.city(reference)
            if data["home_city_id"] is None:
                mapped.errors.append(problem(element, _UNKNOWN_CITY, system=sid("city")))
            break
    return mapped


def _consent(resource: Resource) -> _Mapped:
    mapped = _Mapped(
        origins={
            "kind": "category",
            "decision": "provision.type",
            "decided_at": "dateTime",
            "representative_name": "performer[0].display",
            "representative_relation": "performer[0].extension",
        }
    )
    kinds = [
        code
        for concept in resource.get("category") or []
        for _position, code in _codes(concept, code_system("consent-kind"))
    ]
    scopes = [code for _position, code in _codes(resource.get("scope"), CONSENT_SCOPE)]
    if not kinds and scopes:
        kinds = [_CONSENT_KINDS_BY_SCOPE.get(scopes[0], ConsentKind.TREATMENT)]
    decisions = {"permit": ConsentDecision.GIVEN, "deny": ConsentDecision.WITHDRAWN}
    performer = (resource.get("performer") or [{}])[0]
    by_patient = not performer or bool(performer.get("reference"))
    relation = _extension(performer, RELATION_EXTENSION) or {}
    mapped.data.update(
        kind=kinds[0] if kinds else None,
        decision=decisions.get(str((resource.get("provision") or {}).get("type"))),
        decided_at=resource.get("dateTime"),
        by_patient=by_patient,
        representative_name=None if by_patient else performer.get("display"),
        representative_relation=None if by_patient else relation.get("valueString"),
    )
    return mapped


def _reason(resource: Resource, mapped: _Mapped) -> None:
    """The first reason with an ICD-10 coding: its code, and its words (or the WHO title)."""
    for position, reason in enumerate(resource.get("reasonCode") or []):
        codes = _codes(reason, ICD10)
        if codes:
            coding_position, code = codes[0]
            element = f"reasonCode[{position}]"
            display = reason["coding"][coding_position].get("display")
            mapped.data["icd10"] = code
            mapped.data["reason"] = reason.get("text") or display or icd10_display(code) or code
            mapped.origins["icd10"] = f"{element}.coding[{coding_position}].code"
            mapped.origins["reason"] = f"{element}.text"
            return
    mapped.errors.append(
        problem(
            "reasonCode",
            N_("Give the reason as an ICD-10 coding (system %(system)s)."),
            system=ICD10,
        )
    )


def _specialty(importer: _Importer, resource: Resource, mapped: _Mapped) -> None:
    system = code_system("specialty")
    codes = _codes(resource.get("performerType"), system)
    if not codes:
        mapped.errors.append(
            problem(
                "performerType",
                N_("Give the specialty as a coding of the system %(system)s."),
                system=system,
            )
        )
        return
    position, code = codes[0]
    mapped.origins["specialty_id"] = f"performerType.coding[{position}].code"
    mapped.data["specialty_id"] = importer._code_id(Specialty.code, code)
    if mapped.data["specialty_id"] is None:
        mapped.errors.append(
            problem(
                mapped.origins["specialty_id"],
                N_("No specialty has the code %(code)s."),
                code=code[:60],
            )
        )


def _when(resource: Resource, mapped: _Mapped) -> None:
    """The days the patient can come: the Timing's events, or the one occurrence."""
    events = (resource.get("occurrenceTiming") or {}).get("event") or []
    if resource.get("occurrenceDateTime"):
        events = [resource["occurrenceDateTime"]]
        mapped.origins["days"] = "occurrenceDateTime"
    else:
        mapped.origins.update(
            {
                f"days.{position}": f"occurrenceTiming.event[{position}]"
                for position in range(len(events))
            }
        )
    mapped.data["days"] = [str(event)[:10] for event in events]


def _referral(importer: _Importer, resource: Resource) -> _Mapped:
    mapped = _Mapped(
        origins={
            "patient_id": "subject",
            "program_id": "extension",
            "specialty_id": "performerType",
            "priority": "priority",
            "referring_institution_id": "requester",
            "city_ids": "locationReference",
            "reason": "reasonCode",
            "icd10": "reasonCode",
        }
    )
    if resource.get("status") != "active":
        mapped.errors.append(
            problem("status", N_("Only active referrals are imported (status active)."))
        )
    program_id, refused = importer.program(resource)
    mapped.data["program_id"] = program_id
    mapped.errors += [refused] if refused else []
    _specialty(importer, resource, mapped)
    _reason(resource, mapped)
    ours = _extension(resource, PRIORITY_EXTENSION)
    if ours is not None:
        mapped.data["priority"] = ours.get("valueInteger")
        mapped.origins["priority"] = "extension"
    elif resource.get("priority"):
        mapped.data["priority"] = PRIORITIES_OF_FHIR.get(resource["priority"])
    mapped.data["referring_institution_id"] = _institution(
        importer, mapped, resource.get("requester"), "requester"
    )
    mapped.data["city_ids"] = []
    for position, reference in enumerate(resource.get("locationReference") or []):
        city = importer.city(reference)
        if city is None:
            element = f"locationReference[{position}]"
            mapped.errors.append(problem(element, _UNKNOWN_CITY, system=sid("city")))
        else:
            mapped.data["city_ids"].append(city)
    _when(resource, mapped)
    return mapped


# --- the import ------------------------------------------------------------------------------

_ORDER = {"Patient": 0, "Consent": 1, "ServiceRequest": 2}


def _entry_number(error: FieldError) -> int:
    digits = error.field.removeprefix("entry[").split("]", 1)[0]
    return int(digits) if digits.isdigit() else -1


def _of_sources() -> set[str]:
    """The types the modules built on care add to its export (``sources``): a Bundle that
    ``hamkor fhir export`` wrote is taken back, those resources read and left alone."""
    return {name for source in sources.registered() for name in source.documentation}


def import_bundle(
    *,
    db: Session,
    actor: Actor,
    bundle: Any,
    program_code: str | None = None,
    progress: Progress | None = None,
    max_entries: int | None = None,
) -> list[Outcome]:
    """Import the Bundle's referrals with their patients and consents, all or nothing.

    Refused with a :class:`UserError` listing every problem of every entry, located in the
    Bundle; then nothing of it is written (not even its audit entry). A Bundle of more than
    ``max_entries`` entries (``HAMKOR_IMPORT_MAX_ROWS`` by default) is refused at once.
    """
    limit = max_entries or get_settings().import_max_rows
    entries, errors = read_entries(bundle, (*WRITTEN, *REFERRED, *_of_sources()), limit)
    if progress is not None:
        # Told before the session first asks the database: a job on SQLite then writes its
        # progress and takes the one write lock for the import (``core.import_jobs``).
        progress(0, len(entries))
    importer = _Importer(db, actor, entries, program_code)
    importer.errors += errors
    importer.load_holders(entries)
    handlers = {
        "Patient": importer.patient_entry,
        "Consent": importer.consent_entry,
        "ServiceRequest": importer.referral_entry,
    }
    ordered = sorted(entries, key=lambda entry: (_ORDER.get(entry.resource_type, 3), entry.index))
    with db.begin_nested():
        for done, entry in enumerate(ordered, start=1):
            handlers.get(entry.resource_type, importer.referred_entry)(entry)
            if progress is not None:
                progress(done, len(ordered))
        if importer.errors:
            raise UserError(sorted(importer.errors, key=_entry_number))
    created = sum(1 for outcome in importer.outcomes if outcome.status.startswith("201"))
    audit.record(
        db, action="import", entity="referrals", entity_id=None, note=f"FHIR: {created} created"
    )
    return sorted(importer.outcomes, key=lambda outcome: outcome.index)


def response_bundle(outcomes: Sequence[Outcome]) -> Resource:
    """The transaction-response: per entry, what became of it."""
    return validated(
        {
            "resourceType": "Bundle",
            "type": "transaction-response",
            "entry": [
                {"response": {"status": outcome.status, "location": outcome.location}}
                for outcome in outcomes
            ],
        }
    )
