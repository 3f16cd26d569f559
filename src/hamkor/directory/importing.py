"""Bulk imports of the directory: institutions, rooms and people from CSV or XLSX.

Rows refer to other records by code. Every row is checked against the file (duplicate codes)
and the database (codes taken, references unknown, institutions the importer may not change)
before anything is written; the rows are then created by the same service functions as the
forms, so an import obeys every rule a form does. The formats are in
``docs/formats/directory-import.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core import access
from hamkor.core.access import Action, Actor
from hamkor.core.i18n import N_, Message
from hamkor.core.importing import (
    Importer,
    ImportResult,
    Limits,
    ParsedRow,
    Progress,
    RowError,
    duplicates,
    ids_by_code,
    open_sheet,
    run_import,
    unknown_codes,
)
from hamkor.directory import service
from hamkor.directory.access import manages_directory, refuse_unless
from hamkor.directory.models import City, Country, Institution, Person, Room, Specialty
from hamkor.directory.schemas import (
    ImportKind,
    InstitutionCreate,
    InstitutionRow,
    PersonCreate,
    PersonRow,
    RoomCreate,
    RoomRow,
)

_TAKEN = N_("The code %(value)s is already in the directory.")


def _taken(line: int, column: str, code: str) -> RowError:
    return RowError(line, column, Message(_TAKEN, {"value": code}))


class _InstitutionReferences:
    """The institutions a file's rows refer to: all of them, and those the actor may change."""

    def __init__(self, db: Session, actor: Actor, codes: set[str]) -> None:
        self.all = ids_by_code(
            db, select(Institution.code, Institution.id), Institution.code, codes
        )
        changeable = select(Institution.code, Institution.id).where(
            access.condition(Institution, actor, Action.CHANGE)
        )
        self.changeable = ids_by_code(db, changeable, Institution.code, codes)

    def errors(self, line: int, code: str | None) -> list[RowError]:
        if code is None or code in self.changeable:
            return []
        if code not in self.all:
            message = Message(N_("Nothing with the code %(value)s exists."), {"value": code})
        else:
            message = Message(N_("You may not change the institution %(value)s."), {"value": code})
        return [RowError(line, "institution", message)]


class InstitutionImport:
    """Institutions, with their city and (if not the city's) country by code."""

    entity = Institution.__tablename__
    schema = InstitutionRow

    def __init__(self, db: Session, actor: Actor) -> None:
        refuse_unless(manages_directory(actor), self.entity)
        self.db, self.actor = db, actor
        self.cities: dict[str, int] = {}
        self.countries: dict[str, int] = {}

    def check(self, rows: Sequence[ParsedRow[InstitutionRow]]) -> list[RowError]:
        codes = {row.data.code for row in rows}
        taken = ids_by_code(
            self.db, select(Institution.code, Institution.id), Institution.code, codes
        )
        self.cities = ids_by_code(
            self.db, select(City.code, City.id), City.code, {row.data.city for row in rows}
        )
        self.countries = ids_by_code(
            self.db,
            select(Country.code, Country.id),
            Country.code,
            {row.data.country for row in rows if row.data.country},
        )
        return [
            *duplicates(rows, lambda data: data.code, "code"),
            *(_taken(row.line, "code", row.data.code) for row in rows if row.data.code in taken),
            *unknown_codes(rows, lambda data: [data.city], self.cities, "city"),
            *unknown_codes(
                rows, lambda data: [data.country] if data.country else [], self.countries, "country"
            ),
        ]

    def write(self, row: InstitutionRow) -> None:
        data = InstitutionCreate(
            code=row.code,
            kind=row.kind,
            names=row.names,
            city_id=self.cities[row.city],
            country_id=self.countries[row.country] if row.country else None,
        )
        service.create_institution(db=self.db, actor=self.actor, data=data)


class RoomImport:
    """Rooms, each of an institution (by code) the actor may change."""

    entity = Room.__tablename__
    schema = RoomRow

    def __init__(self, db: Session, actor: Actor) -> None:
        self.db, self.actor = db, actor
        self.institutions: dict[str, int] = {}

    def check(self, rows: Sequence[ParsedRow[RoomRow]]) -> list[RowError]:
        references = _InstitutionReferences(
            self.db, self.actor, {row.data.institution for row in rows}
        )
        self.institutions = references.changeable
        existing = select(Institution.code, Room.code).join(Room.institution)
        taken = {
            (institution, code)
            for institution, code in self.db.execute(
                existing.where(Institution.code.in_(references.all))
            )
        }
        return [
            *duplicates(rows, lambda data: (data.institution, data.code), "code"),
            *(
                _taken(row.line, "code", row.data.code)
                for row in rows
                if (row.data.institution, row.data.code) in taken
            ),
            *(error for row in rows for error in references.errors(row.line, row.data.institution)),
        ]

    def write(self, row: RoomRow) -> None:
        data = RoomCreate(
            institution_id=self.institutions[row.institution],
            **row.model_dump(exclude={"institution"}),
        )
        service.create_room(db=self.db, actor=self.actor, data=data)


class PersonImport:
    """People, with their institution (optional) and specialties by code."""

    entity = Person.__tablename__
    schema = PersonRow

    def __init__(self, db: Session, actor: Actor) -> None:
        self.db, self.actor = db, actor
        self.institutions: dict[str, int] = {}
        self.specialties: dict[str, int] = {}

    def check(self, rows: Sequence[ParsedRow[PersonRow]]) -> list[RowError]:
        codes = {row.data.code for row in rows}
        taken = ids_by_code(self.db, select(Person.code, Person.id), Person.code, codes)
        references = _InstitutionReferences(
            self.db, self.actor, {row.data.institution for row in rows if row.data.institution}
        )
        self.institutions = references.changeable
        self.specialties = ids_by_code(
            self.db,
            select(Specialty.code, Specialty.id),
            Specialty.code,
            {code for row in rows for code in row.data.specialties},
        )
        unaffiliated = Message(
            N_("Only platform admins and program coordinators may add people of no institution.")
        )
        return [
            *duplicates(rows, lambda data: data.code, "code"),
            *(_taken(row.line, "code", row.data.code) for row in rows if row.data.code in taken),
            *(error for row in rows for error in references.errors(row.line, row.data.institution)),
            *(
                RowError(row.line, "institution", unaffiliated)
                for row in rows
                if row.data.institution is None and not manages_directory(self.actor)
            ),
            *unknown_codes(rows, lambda data: data.specialties, self.specialties, "specialties"),
        ]

    def write(self, row: PersonRow) -> None:
        data = PersonCreate(
            institution_id=self.institutions[row.institution] if row.institution else None,
            specialty_ids=[self.specialties[code] for code in row.specialties],
            **row.model_dump(exclude={"institution", "specialties"}),
        )
        service.create_person(db=self.db, actor=self.actor, data=data)


_IMPORTERS: dict[ImportKind, Callable[[Session, Actor], Importer[Any]]] = {
    ImportKind.INSTITUTIONS: InstitutionImport,
    ImportKind.ROOMS: RoomImport,
    ImportKind.PEOPLE: PersonImport,
}


def importer_for(db: Session, actor: Actor, kind: ImportKind) -> Importer[Any]:
    """The import of ``kind`` by ``actor``; refused at once (403) when they may import none of
    it (institutions are the directory managers')."""
    return _IMPORTERS[kind](db, actor)


#: The job kind of a directory import too large for one request.
IMPORT_JOB = "directory.import"


def import_file(
    *,
    db: Session,
    actor: Actor,
    kind: ImportKind,
    file: BinaryIO,
    limits: Limits | None = None,
    progress: Progress | None = None,
    total: int | None = None,
) -> ImportResult:
    """Import a CSV or XLSX file of ``kind``: every row, or none when any row is refused.

    The file is read as a stream (see ``core.importing``); ``total`` is its rows when counted
    already, for the progress.
    """
    importer = importer_for(db, actor, kind)
    with open_sheet(file, limits) as sheet:
        return run_import(db, sheet, importer, progress, total)


def run_job(
    db: Session, actor: Actor, file: BinaryIO, options: Mapping[str, Any], progress: Progress
) -> ImportResult:
    """The import as a job runs it (``core.import_jobs``)."""
    return import_file(
        db=db,
        actor=actor,
        kind=ImportKind(options["kind"]),
        file=file,
        progress=progress,
        total=options.get("rows"),
    )
