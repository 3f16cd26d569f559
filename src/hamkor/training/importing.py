"""Bulk enrolment from CSV or XLSX: a course's trainees by their directory codes.

Every row is checked against the file (a person twice) and the database (unknown people,
people already in the course) before anything is written; the rows are then enrolled by the
same service function as the course page, in the file's order, so the seats go to the first
lines and the rest join the waiting list. The format is in ``docs/formats/training-enrolments.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import Action, Actor, get_for
from hamkor.core.i18n import N_, Message
from hamkor.core.importing import (
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
from hamkor.directory.models import Person
from hamkor.training import service
from hamkor.training.models import Course, Enrolment
from hamkor.training.schemas import EnrolmentRow


class EnrolmentImport:
    """Enrolments of one course, which the caller loaded for change."""

    entity = Enrolment.__tablename__
    schema = EnrolmentRow

    def __init__(self, db: Session, actor: Actor, course: Course) -> None:
        self.db, self.actor, self.course = db, actor, course
        self.people: dict[str, int] = {}

    def check(self, rows: Sequence[ParsedRow[EnrolmentRow]]) -> list[RowError]:
        codes = {row.data.person for row in rows}
        self.people = ids_by_code(self.db, select(Person.code, Person.id), Person.code, codes)
        enrolled = set(
            self.db.scalars(
                select(Enrolment.person_id).where(
                    Enrolment.course_id == self.course.id, Enrolment.status.in_(service.ACTIVE)
                )
            )
        )
        already = N_("%(value)s is already in the course.")
        return [
            *duplicates(rows, lambda data: data.person, "person"),
            *unknown_codes(rows, lambda data: [data.person], self.people, "person"),
            *(
                RowError(row.line, "person", Message(already, {"value": row.data.person}))
                for row in rows
                if self.people.get(row.data.person) in enrolled
            ),
        ]

    def write(self, row: EnrolmentRow) -> None:
        service.enrol(
            db=self.db,
            actor=self.actor,
            course=self.course,
            person_id=self.people[row.person],
            language=row.language,
        )


#: The job kind of an enrolment import too large for one request.
IMPORT_JOB = "training.import_enrolments"


def import_enrolments(
    *,
    db: Session,
    actor: Actor,
    course: Course,
    file: BinaryIO,
    limits: Limits | None = None,
    progress: Progress | None = None,
    total: int | None = None,
) -> ImportResult:
    """Enrol the people of a CSV or XLSX file in a course the caller loaded for change: every
    row, or none when any row is refused.

    The file is read as a stream (see ``core.importing``); ``total`` is its rows when counted
    already, for the progress.
    """
    importer = EnrolmentImport(db, actor, course)
    with open_sheet(file, limits) as sheet:
        return run_import(db, sheet, importer, progress, total)


def run_job(
    db: Session, actor: Actor, file: BinaryIO, options: Mapping[str, Any], progress: Progress
) -> ImportResult:
    """The import as a job runs it (``core.import_jobs``): the course loaded for change by the
    job's actor, as the page that started it had."""
    return import_enrolments(
        db=db,
        actor=actor,
        course=get_for(db, actor, Course, int(options["course_id"]), Action.CHANGE),
        file=file,
        progress=progress,
        total=options.get("rows"),
    )
