"""The filters of the course and certificate lists: one definition for the page, the file and
the JSON API."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, or_, select

from hamkor.core.dates import OptionalSearchDate
from hamkor.core.forms import BlankIsNone
from hamkor.core.text import SearchQuery
from hamkor.core.translit import cyrl_to_latn
from hamkor.directory.filters import matching
from hamkor.directory.models import Person
from hamkor.programs.schemas import OptionalId
from hamkor.training.credentials.models import Credential
from hamkor.training.models import Course, CourseKind, Enrolment, EnrolmentStatus


class CourseFilter(BaseModel):
    """What the course list narrows by: words of the title or code, kind, specialty, program,
    issuing institution and days (``?q=&kind=&specialty=&program=&issuer=&from=&to=``)."""

    model_config = ConfigDict(populate_by_name=True)

    q: SearchQuery = None
    kind: Annotated[CourseKind | None, BlankIsNone] = None
    specialty: SearchQuery = None
    program: OptionalId = None
    issuer: OptionalId = None
    from_: OptionalSearchDate = Field(default=None, alias="from")
    to: OptionalSearchDate = None
    page: int = Field(default=1, ge=1)

    def statement(self) -> Select[Any]:
        """Courses matching the filter, latest first."""
        stmt = select(Course).order_by(Course.starts_on.desc(), Course.id.desc())
        if self.q:
            # Titles are folded with their Latin transliteration, so either script finds them.
            words = self.q.strip().casefold()
            stmt = stmt.where(
                or_(
                    Course.search.contains(words, autoescape=True),
                    Course.search.contains(cyrl_to_latn(words), autoescape=True),
                )
            )
        if self.kind:
            stmt = stmt.where(Course.kind == self.kind)
        if self.specialty:
            stmt = stmt.where(Course.specialty == self.specialty)
        if self.program:
            stmt = stmt.where(Course.program_id == self.program)
        if self.issuer:
            stmt = stmt.where(Course.issuer_institution_id == self.issuer)
        if self.from_:
            stmt = stmt.where(Course.ends_on >= self.from_)
        if self.to:
            stmt = stmt.where(Course.starts_on <= self.to)
        return stmt


class CertificateStatus(StrEnum):
    """What the certificate list tells apart: still valid, or revoked."""

    VALID = "valid"
    REVOKED = "revoked"


class CertificateFilter(BaseModel):
    """What the certificate list narrows by (issue 20): its number or words of the holder's name
    in either script, the course and the status. ``?q=aziz&course=3&status=revoked&page=2``."""

    q: SearchQuery = None
    course: OptionalId = None
    status: Annotated[CertificateStatus | None, BlankIsNone] = None
    page: int = Field(default=1, ge=1)

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        if self.q:
            holder = matching(Person.search, self.q)
            by_holder = Credential.enrolment.has(Enrolment.person.has(holder))
            number = Credential.number.contains(self.q.strip().upper(), autoescape=True)
            stmt = stmt.where(or_(number, by_holder) if holder is not None else number)
        if self.course is not None:
            stmt = stmt.where(Credential.enrolment.has(Enrolment.course_id == self.course))
        if self.status is CertificateStatus.VALID:
            stmt = stmt.where(Credential.revoked_at.is_(None))
        elif self.status is CertificateStatus.REVOKED:
            stmt = stmt.where(Credential.revoked_at.is_not(None))
        return stmt


class EnrolmentFilter(BaseModel):
    """What a course's trainees narrow by (issue 20): words of the trainee's name in either
    script and the enrolment's status. ``?q=aziz&status=waitlisted&page=2``."""

    q: SearchQuery = None
    status: Annotated[EnrolmentStatus | None, BlankIsNone] = None
    page: int = Field(default=1, ge=1)

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        condition = matching(Person.search, self.q) if self.q else None
        if condition is not None:
            stmt = stmt.where(Enrolment.person.has(condition))
        if self.status is not None:
            stmt = stmt.where(Enrolment.status == self.status)
        return stmt
