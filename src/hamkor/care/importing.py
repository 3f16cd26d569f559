"""Bulk import of referrals, with their patients, from CSV or XLSX (all or nothing).

One row is one referral of one patient. The patient is found by their national identifier
(registered already, or on an earlier row of the file) or registered from the row; the referral
is then put on the program's waitlist. Rows refer to programs, specialties, institutions and
cities by code. Every row is checked against the database first, then the rows are written by
the same service functions as the pages (so an import obeys every rule a form does). The format
is in ``docs/formats/referral-import.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.care import service
from hamkor.care.models import (
    ConsentDecision,
    ConsentKind,
    IdentifierKind,
    Patient,
    PatientIdentifier,
    Referral,
    Sex,
)
from hamkor.care.schemas import (
    ConsentCreate,
    Icd10,
    IdentifierIn,
    PatientCreate,
    Phone,
    Priority,
    ReferralCreate,
    Text,
)
from hamkor.core import access
from hamkor.core.access import Action, Actor
from hamkor.core.errors import from_validation
from hamkor.core.forms import BlankIsNone
from hamkor.core.i18n import N_, Message
from hamkor.core.importing import (
    ImportResult,
    ParsedRow,
    Progress,
    RowError,
    duplicates,
    ids_by_code,
    read_sheet,
    run_import,
    unknown_codes,
)
from hamkor.core.names import Names
from hamkor.directory.models import City, Institution, Specialty
from hamkor.directory.schemas import CellList, Code
from hamkor.programs.models import Program
from hamkor.programs.schemas import Day, Required


class ReferralRow(BaseModel):
    """A line of a referral import: the patient (found by identifier, or registered) and the
    referral. Several languages, cities, days or consents are joined by ``;``."""

    names: Names
    birth_date: Annotated[date, Required]
    sex: Annotated[Sex, Required]
    identifier_kind: Annotated[IdentifierKind, Required]
    identifier: Annotated[str, Required, Field(max_length=40)]
    identifier_issuer: Annotated[str | None, BlankIsNone] = None
    phone: Annotated[Phone | None, BlankIsNone] = None
    languages: Annotated[list[str], CellList] = Field(default_factory=list)
    home_city: Annotated[Code | None, BlankIsNone] = None
    institution: Code
    consents: Annotated[list[ConsentKind], CellList] = Field(default_factory=list)
    program: Code
    specialty: Code
    icd10: Icd10
    reason: Text
    priority: Priority = 3
    referring_institution: Code
    cities: Annotated[list[Code], CellList] = Field(default_factory=list)
    days: Annotated[list[Day], CellList] = Field(default_factory=list)


def _patient_of(row: ReferralRow) -> dict[str, Any]:
    """The row's patient in the terms of :class:`PatientCreate` (ids filled in later)."""
    return {
        "names": row.names,
        "birth_date": row.birth_date,
        "sex": row.sex,
        "identifiers": [
            {"kind": row.identifier_kind, "value": row.identifier, "issuer": row.identifier_issuer}
        ],
        "phone": row.phone,
        "languages": row.languages,
        "confirm_new": True,
    }


class ReferralImport:
    """Referrals with their patients; a patient already registered is found by identifier."""

    entity = Referral.__tablename__
    schema = ReferralRow

    def __init__(self, db: Session, actor: Actor) -> None:
        self.db = db
        self.actor = actor
        self.programs: dict[str, int] = {}
        self.specialties: dict[str, int] = {}
        self.institutions: dict[str, int] = {}
        self.cities: dict[str, int] = {}
        self.patients: dict[tuple[str, str, str], int] = {}

    def _load(self, rows: Sequence[ParsedRow[ReferralRow]]) -> None:
        data = [row.data for row in rows]
        self.programs = ids_by_code(
            self.db, select(Program.code, Program.id), Program.code, {d.program for d in data}
        )
        self.specialties = ids_by_code(
            self.db,
            select(Specialty.code, Specialty.id),
            Specialty.code,
            {d.specialty for d in data},
        )
        institution_codes = {d.institution for d in data} | {d.referring_institution for d in data}
        self.institutions = ids_by_code(
            self.db, select(Institution.code, Institution.id), Institution.code, institution_codes
        )
        city_codes = {c for d in data for c in d.cities} | {
            d.home_city for d in data if d.home_city
        }
        self.cities = ids_by_code(self.db, select(City.code, City.id), City.code, city_codes)

    def check(self, rows: Sequence[ParsedRow[ReferralRow]]) -> list[RowError]:
        self._load(rows)
        errors = [
            *unknown_codes(rows, lambda d: [d.program], self.programs, "program"),
            *unknown_codes(rows, lambda d: [d.specialty], self.specialties, "specialty"),
            *unknown_codes(rows, lambda d: [d.institution], self.institutions, "institution"),
            *unknown_codes(
                rows,
                lambda d: [d.referring_institution],
                self.institutions,
                "referring_institution",
            ),
            *unknown_codes(rows, lambda d: d.cities, self.cities, "cities"),
            *unknown_codes(
                rows, lambda d: [d.home_city] if d.home_city else [], self.cities, "home_city"
            ),
        ]
        errors += duplicates(rows, lambda d: (*self._key(d), d.program, d.specialty), "specialty")
        for row in rows:
            errors += self._check_row(row)
        return errors

    def _check_row(self, row: ParsedRow[ReferralRow]) -> list[RowError]:
        """What only this row can be refused for: its patient by the intake rules, the
        institution the importer registers for, a patient they may not change, the days."""
        data = row.data
        institution_id = self.institutions.get(data.institution)
        try:
            PatientCreate.model_validate(
                {**_patient_of(data), "institution_id": institution_id or 1}
            )
        except ValidationError as error:
            return [
                RowError(row.line, _column(item.field), item.message)
                for item in from_validation(error).errors
            ]
        errors: list[RowError] = []
        if institution_id is not None and not service.may_register_for(self.actor, institution_id):
            message = Message(N_("You register patients for your own institution only."))
            errors.append(RowError(row.line, "institution", message))
        holder = self._holder(data)
        if holder is not None and not access.can(
            self.db, self.actor, Action.CHANGE, self.db.get_one(Patient, holder)
        ):
            errors.append(RowError(row.line, "identifier", self._registered(holder)))
        if holder is not None and service.already_waiting(
            self.db,
            holder,
            self.programs.get(data.program, 0),
            self.specialties.get(data.specialty, 0),
        ):
            errors.append(RowError(row.line, "specialty", Message(service.ALREADY_WAITING)))
        program = self.db.get(Program, self.programs.get(data.program, 0))
        if program is not None and any(
            not program.starts_on <= day <= program.ends_on for day in data.days
        ):
            message = Message(
                N_("Choose days between %(first)s and %(last)s, the program's dates."),
                {"first": program.starts_on.isoformat(), "last": program.ends_on.isoformat()},
            )
            errors.append(RowError(row.line, "days", message))
        return errors

    def _key(self, data: ReferralRow) -> tuple[str, str, str]:
        """The identifier as stored (cleaned by its rules), or as given when it breaks them."""
        try:
            identifier = IdentifierIn(
                kind=data.identifier_kind, value=data.identifier, issuer=data.identifier_issuer
            )
        except ValidationError:
            return (data.identifier_kind.value, data.identifier_issuer or "", data.identifier)
        return (identifier.kind.value, identifier.issuer or "", identifier.value)

    def _registered(self, holder: int) -> Message:
        """The refusal of a row whose number is another's patient: named to whoever may open
        the record; to anyone else said without it, and the probe audited (issue 15)."""
        if service.hidden_patients(self.db, self.actor, [holder]):
            access.record_probe(self.db, "patients", [holder])
            return Message(service.REGISTERED_ELSEWHERE)
        return Message(service.REGISTERED, {"id": holder})

    def _holder(self, data: ReferralRow) -> int | None:
        """The registered patient with the row's identifier, if any."""
        kind, issuer, value = self._key(data)
        return self.db.scalar(
            select(PatientIdentifier.patient_id).where(
                PatientIdentifier.kind == kind,
                PatientIdentifier.issuer == issuer,
                PatientIdentifier.value == value,
            )
        )

    def _patient(self, data: ReferralRow) -> int:
        """The row's patient: registered already, met on an earlier row, or registered now."""
        key = self._key(data)
        if key not in self.patients:
            found = self._holder(data)
            if found is None:
                found = service.create_patient(
                    db=self.db,
                    actor=self.actor,
                    data=PatientCreate.model_validate(
                        {
                            **_patient_of(data),
                            "institution_id": self.institutions[data.institution],
                            "home_city_id": self.cities.get(data.home_city or ""),
                        }
                    ),
                ).id
            self.patients[key] = found
        return self.patients[key]

    def write(self, row: ReferralRow) -> None:
        patient_id = self._patient(row)
        patient = access.get_for(self.db, self.actor, Patient, patient_id, Action.CHANGE)
        for kind in row.consents:
            service.record_consent(
                db=self.db,
                actor=self.actor,
                patient=patient,
                data=ConsentCreate(kind=kind, decision=ConsentDecision.GIVEN),
            )
        service.create_referral(
            db=self.db,
            actor=self.actor,
            data=ReferralCreate(
                patient_id=patient_id,
                program_id=self.programs[row.program],
                specialty_id=self.specialties[row.specialty],
                reason=row.reason,
                icd10=row.icd10,
                priority=row.priority,
                referring_institution_id=self.institutions[row.referring_institution],
                city_ids=[self.cities[code] for code in row.cities],
                days=row.days,
            ),
        )


_PATIENT_COLUMNS = {"identifiers": "identifier", "institution_id": "institution"}


def _column(field: str) -> str:
    """The file's column of a field of :class:`PatientCreate`."""
    head = field.split(".")[0]
    if head == "identifiers":
        return "identifier_issuer" if field.endswith("issuer") else "identifier"
    return _PATIENT_COLUMNS.get(head, head)


def import_referrals(
    *, db: Session, actor: Actor, content: bytes, progress: Progress | None = None
) -> ImportResult:
    """Import a CSV or XLSX file of referrals: every row, or none when any row is refused."""
    service.require_intake(actor)
    return run_import(db, read_sheet(content), ReferralImport(db, actor), progress)
