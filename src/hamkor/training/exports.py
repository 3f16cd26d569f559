"""Training's lists as files: the course catalogue, a course's trainees, the certificates and
a course's cascade reach by place."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from hamkor.core.exports import Column, Kind, Listing, label_of, name_of, plain
from hamkor.core.i18n import N_
from hamkor.training import labels
from hamkor.training.cascade import LEVELS, Place
from hamkor.training.credentials.models import Credential
from hamkor.training.models import Course, Enrolment

COURSES: Listing[Course] = Listing(
    title=N_("Courses"),
    slug="courses",
    columns=(
        Column(N_("Code"), plain(lambda c: c.code), width=14),
        Column(N_("Course"), name_of(lambda c: c.title), width=44),
        Column(N_("Kind"), label_of(labels.COURSE_KIND, lambda c: c.kind), width=22),
        Column(N_("Starts on"), plain(lambda c: c.starts_on), Kind.DATE, 12),
        Column(N_("Ends on"), plain(lambda c: c.ends_on), Kind.DATE, 12),
        Column(N_("Held at"), name_of(lambda c: c.host_institution.names), width=40),
        Column(N_("City"), name_of(lambda c: c.host_institution.city.names)),
        Column(N_("Hours"), plain(lambda c: c.hours), Kind.INT, 8),
        Column(N_("Places"), plain(lambda c: c.capacity), Kind.INT, 8),
    ),
)


@dataclass(frozen=True)
class EnrolmentRow:
    """A trainee of the course with the share of its sessions they attended."""

    enrolment: Enrolment
    attendance_percent: int


def enrolment_rows(
    enrolments: list[Enrolment], percents: Mapping[int, int]
) -> Iterator[EnrolmentRow]:
    for enrolment in enrolments:
        yield EnrolmentRow(enrolment, percents[enrolment.id])


ENROLMENTS: Listing[EnrolmentRow] = Listing(
    title=N_("Trainees"),
    slug="trainees",
    columns=(
        Column(N_("Trainee"), name_of(lambda r: r.enrolment.person.names), width=32),
        Column(
            N_("Institution"),
            name_of(
                lambda r: (
                    r.enrolment.person.institution.names if r.enrolment.person.institution else None
                )
            ),
            width=40,
        ),
        Column(N_("Status"), label_of(labels.ENROLMENT_STATUS, lambda r: r.enrolment.status)),
        Column(N_("Attendance, %"), plain(lambda r: r.attendance_percent), Kind.INT, 12),
        Column(N_("Score"), plain(lambda r: r.enrolment.score), Kind.DECIMAL, 8),
    ),
)


def _holder(credential: Credential) -> dict[str, str]:
    """The holder's name as the certificate gives it: in the certificate's language."""
    names = credential.enrolment.person.names
    spelled = names.get(credential.language)
    return {credential.language: spelled} if spelled else names


CERTIFICATES: Listing[Credential] = Listing(
    title=N_("Certificates"),
    slug="certificates",
    columns=(
        Column(N_("Number"), plain(lambda c: c.number), width=18),
        Column(N_("Holder"), lambda c, t: t.name(_holder(c)), width=32),
        Column(N_("Course"), name_of(lambda c: c.enrolment.course.title), width=44),
        Column(N_("Issued by"), name_of(lambda c: c.issuer_institution.names), width=40),
        Column(N_("Issued on"), plain(lambda c: c.valid_from.date()), Kind.DATE, 12),
        Column(
            N_("Valid until"),
            plain(lambda c: c.valid_until.date() if c.valid_until else None),
            Kind.DATE,
            12,
        ),
        Column(N_("Revoked"), plain(lambda c: c.revoked), Kind.BOOL, 10),
    ),
)


#: The page's headers of the cascade's levels: the course, its mentees, theirs.
_LEVEL_HEADERS = {1: N_("Level 1"), 2: N_("Level 2"), 3: N_("Level 3")}


def _level(level: int) -> Column[Place]:
    return Column(_LEVEL_HEADERS[level], plain(lambda p: p.counts[level]), Kind.INT, 9)


REACH: Listing[Place] = Listing(
    title=N_("Cascade reach"),
    slug="cascade-reach",
    columns=(
        Column(N_("Country"), name_of(lambda p: p.country.names if p.country else None)),
        Column(N_("City or district"), name_of(lambda p: p.city.names if p.city else None)),
        *(_level(level) for level in LEVELS),
        Column(N_("Total"), plain(lambda p: p.total), Kind.INT, 9),
    ),
)
