"""Bulk import of referrals, with their patients, from CSV or XLSX (all or nothing).

One row is one referral of one patient. The patient is found by their national identifier
(registered already, or on an earlier row of the file) or registered from the row; the referral
is then put on the program's waitlist. Rows refer to programs, specialties, institutions and
cities by code. Every row is checked against the database first, then the rows are written by
the same service functions as the pages (so an import obeys every rule a form does). The format
is in ``docs/formats/referral-import.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from itertools import chain
from typing import Annotated, Any, BinaryIO, TypeVar

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hamkor.care import service
from hamkor.care.models import (
    ConsentDecision,
    ConsentKind,
    IdentifierKind,
    Patient,
    PatientIdentifier,
    Referral,
    ReferralStatus,
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
    Limits,
    ParsedRow,
    Progress,
    RowError,
    chunks,
    duplicates,
    open_sheet,
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


Key = tuple[str, str, str]
CodedT = TypeVar("CodedT", Program, Specialty, Institution, City)


class ReferralImport:
    """Referrals with their patients; a patient already registered is found by identifier.

    What the rows refer to is loaded once for the whole file, in a few queries: programs,
    specialties, institutions and cities by code, the patients already holding the rows'
    identifiers, whether the importer may change them and whether they wait already. The
    loaded records are held for the whole import, so that the services, which look each one
    up by id again for every row, find it in the session's identity map (which keeps only the
    records something holds) instead of asking the database.
    """

    entity = Referral.__tablename__
    schema = ReferralRow

    def __init__(self, db: Session, actor: Actor) -> None:
        self.db = db
        self.actor = actor
        self.programs: dict[str, Program] = {}
        self.specialties: dict[str, Specialty] = {}
        self.institutions: dict[str, Institution] = {}
        self.cities: dict[str, City] = {}
        #: Registered patients by identifier, then also those registered by this import.
        self.patients: dict[Key, int] = {}

    def _by_code(self, model: type[CodedT], codes: Iterable[str]) -> dict[str, CodedT]:
        found: dict[str, CodedT] = {}
        for chunk in chunks(codes):
            found.update(
                {
                    record.code: record
                    for record in self.db.scalars(select(model).where(model.code.in_(chunk)))
                }
            )
        return found

    def _load(self, data: Sequence[ReferralRow]) -> None:
        self.programs = self._by_code(Program, (d.program for d in data))
        self.specialties = self._by_code(Specialty, (d.specialty for d in data))
        self.institutions = self._by_code(
            Institution,
            chain((d.institution for d in data), (d.referring_institution for d in data)),
        )
        self.cities = self._by_code(
            City,
            chain((c for d in data for c in d.cities), (d.home_city for d in data if d.home_city)),
        )

    def _holders(self, keys: Iterable[Key]) -> dict[Key, int]:
        """The registered patients holding these identifiers."""
        wanted = set(keys)
        found: dict[Key, int] = {}
        for chunk in chunks(value for _kind, _issuer, value in wanted):
            stmt = select(
                PatientIdentifier.kind,
                PatientIdentifier.issuer,
                PatientIdentifier.value,
                PatientIdentifier.patient_id,
            ).where(PatientIdentifier.value.in_(chunk))
            for kind, issuer, value, patient_id in self.db.execute(stmt):
                key = (str(kind), issuer, value)
                if key in wanted:
                    found[key] = patient_id
        return found

    def _ids(self, stmt: Select[Any], column: Any, ids: Iterable[int]) -> set[Any]:
        found: set[Any] = set()
        for chunk in chunks(ids):
            found.update(self.db.execute(stmt.where(column.in_(chunk))).scalars())
        return found

    def check(self, rows: Sequence[ParsedRow[ReferralRow]]) -> list[RowError]:
        self._load([row.data for row in rows])
        keys = {row.line: self._key(row.data) for row in rows}
        self.patients = self._holders(keys.values())
        holders = set(self.patients.values())
        changeable = self._ids(
            select(Patient.id).where(access.condition(Patient, self.actor, Action.CHANGE)),
            Patient.id,
            holders,
        )
        waiting = {
            (patient_id, program_id, specialty_id)
            for chunk in chunks(holders)
            for patient_id, program_id, specialty_id in self.db.execute(
                select(Referral.patient_id, Referral.program_id, Referral.specialty_id).where(
                    Referral.patient_id.in_(chunk),
                    Referral.status.in_((ReferralStatus.WAITING, ReferralStatus.BOOKED)),
                )
            )
        }
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
        refused_holders: list[tuple[int, int]] = []
        for row in rows:
            holder = self.patients.get(keys[row.line])
            errors += self._check_row(row, holder, changeable, waiting)
            if holder is not None and holder not in changeable:
                refused_holders.append((row.line, holder))
        errors += self._registered(refused_holders)
        return errors

    def _check_row(
        self,
        row: ParsedRow[ReferralRow],
        holder: int | None,
        changeable: set[int],
        waiting: set[tuple[int, int, int]],
    ) -> list[RowError]:
        """What only this row can be refused for: its patient by the intake rules, the
        institution the importer registers for, a patient who waits already, the days."""
        data = row.data
        institution = self.institutions.get(data.institution)
        try:
            PatientCreate.model_validate(
                {**_patient_of(data), "institution_id": institution.id if institution else 1}
            )
        except ValidationError as error:
            return [
                RowError(row.line, _column(item.field), item.message)
                for item in from_validation(error).errors
            ]
        errors: list[RowError] = []
        if institution is not None and not service.may_register_for(self.actor, institution.id):
            message = Message(N_("You register patients for your own institution only."))
            errors.append(RowError(row.line, "institution", message))
        program = self.programs.get(data.program)
        specialty = self.specialties.get(data.specialty)
        if (
            holder is not None
            and program is not None
            and specialty is not None
            and (holder, program.id, specialty.id) in waiting
        ):
            errors.append(RowError(row.line, "specialty", Message(service.ALREADY_WAITING)))
        if program is not None and any(
            not program.starts_on <= day <= program.ends_on for day in data.days
        ):
            message = Message(
                N_("Choose days between %(first)s and %(last)s, the program's dates."),
                {"first": program.starts_on.isoformat(), "last": program.ends_on.isoformat()},
            )
            errors.append(RowError(row.line, "days", message))
        return errors

    def _key(self, data: ReferralRow) -> Key:
        """The identifier as stored (cleaned by its rules), or as given when it breaks them."""
        try:
            identifier = IdentifierIn(
                kind=data.identifier_kind, value=data.identifier, issuer=data.identifier_issuer
            )
        except ValidationError:
            return (data.identifier_kind.value, data.identifier_issuer or "", data.identifier)
        return (identifier.kind.value, identifier.issuer or "", identifier.value)

    def _registered(self, refused: list[tuple[int, int]]) -> list[RowError]:
        """The refusals of rows whose number is another's patient: named to whoever may open
        the record; to anyone else said without it, and the probe audited (issue 15)."""
        hidden = service.hidden_patients(self.db, self.actor, {holder for _, holder in refused})
        errors = []
        for line, holder in refused:
            if holder in hidden:
                access.record_probe(self.db, "patients", [holder])
                message = Message(service.REGISTERED_ELSEWHERE)
            else:
                message = Message(service.REGISTERED, {"id": holder})
            errors.append(RowError(line, "identifier", message))
        return errors

    def _patient(self, data: ReferralRow) -> Patient:
        """The row's patient: registered already, met on an earlier row, or registered now."""
        key = self._key(data)
        if key in self.patients:
            return self.db.get_one(Patient, self.patients[key])
        home_city = self.cities.get(data.home_city or "")
        patient = service.create_patient(
            db=self.db,
            actor=self.actor,
            data=PatientCreate.model_validate(
                {
                    **_patient_of(data),
                    "institution_id": self.institutions[data.institution].id,
                    "home_city_id": home_city.id if home_city else None,
                }
            ),
        )
        self.patients[key] = patient.id
        return patient

    def write(self, row: ReferralRow) -> None:
        # Held while the row is written: the services find the patient in the identity map.
        # Checked for change with the other rows' patients before any row was written.
        patient = self._patient(row)
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
                patient_id=patient.id,
                program_id=self.programs[row.program].id,
                specialty_id=self.specialties[row.specialty].id,
                reason=row.reason,
                icd10=row.icd10,
                priority=row.priority,
                referring_institution_id=self.institutions[row.referring_institution].id,
                city_ids=[self.cities[code].id for code in row.cities],
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


#: The job kind of a referral import too large for one request.
IMPORT_JOB = "care.import_referrals"


def import_referrals(
    *,
    db: Session,
    actor: Actor,
    file: BinaryIO,
    limits: Limits | None = None,
    progress: Progress | None = None,
    total: int | None = None,
) -> ImportResult:
    """Import a CSV or XLSX file of referrals: every row, or none when any row is refused.

    The file is read as a stream (see ``core.importing``); ``total`` is its rows when counted
    already, for the progress.
    """
    service.require_intake(actor)
    with open_sheet(file, limits) as sheet:
        return run_import(db, sheet, ReferralImport(db, actor), progress, total)


def run_job(
    db: Session, actor: Actor, file: BinaryIO, options: Mapping[str, Any], progress: Progress
) -> ImportResult:
    """The import as a job runs it (``core.import_jobs``)."""
    return import_referrals(
        db=db, actor=actor, file=file, progress=progress, total=options.get("rows")
    )
