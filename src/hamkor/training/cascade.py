"""The mentoring cascade: trained doctors mentor colleagues at home, who mentor theirs.

The reach of a course is a tree: level 1 are the doctors who completed the course, level 2
their mentees (mentorships that came from the course), level 3 the mentees' mentees. Each
person is counted once, at the first level that reaches them. The figures are given by the
place of the person's institution (country and city or district), as the reports quote them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hamkor.core.access import Action, Actor, require
from hamkor.core.errors import FieldError, UserError, problem, refuse_any
from hamkor.core.i18n import N_
from hamkor.directory.models import City, Country, Institution, Person
from hamkor.training.models import (
    CascadeAttendee,
    CascadeSession,
    Course,
    Enrolment,
    EnrolmentStatus,
    Mentorship,
)
from hamkor.training.schemas import CascadeSessionCreate, MentorshipCreate

#: The levels the reach counts: the course, the mentees, the mentees' mentees.
LEVELS = (1, 2, 3)
_CHOOSE = N_("Choose one of the offered values.")


def _completed(db: Session, course_id: int) -> list[int]:
    return list(
        db.scalars(
            select(Enrolment.person_id).where(
                Enrolment.course_id == course_id, Enrolment.status == EnrolmentStatus.COMPLETED
            )
        )
    )


def _mentees_of(db: Session, course_id: int) -> dict[int, list[int]]:
    """Each mentor's mentees, in mentorships that came from the course."""
    links: dict[int, list[int]] = defaultdict(list)
    for mentor_id, mentee_id in db.execute(
        select(Mentorship.mentor_id, Mentorship.mentee_id)
        .where(Mentorship.course_id == course_id)
        .order_by(Mentorship.started_on, Mentorship.id)
    ):
        links[mentor_id].append(mentee_id)
    return links


def _may_mentor(db: Session, course_id: int, person_id: int) -> bool:
    """A mentor of a course's cascade completed it, or was brought in by its cascade."""
    return (
        person_id in _completed(db, course_id)
        or db.scalar(
            select(Mentorship.id).where(
                Mentorship.course_id == course_id, Mentorship.mentee_id == person_id
            )
        )
        is not None
    )


def _check_people(db: Session, fields: dict[str, int | None], errors: list[FieldError]) -> None:
    for name, person_id in fields.items():
        if person_id is not None and db.get(Person, person_id) is None:
            errors.append(problem(name, _CHOOSE))


def _check_place(
    db: Session, institution_id: int, course_id: int | None, errors: list[FieldError]
) -> None:
    if db.get(Institution, institution_id) is None:
        errors.append(problem("institution_id", _CHOOSE))
    if course_id is not None and db.get(Course, course_id) is None:
        errors.append(problem("course_id", _CHOOSE))


def add_mentorship(*, db: Session, actor: Actor, data: MentorshipCreate) -> Mentorship:
    """A trained doctor taking a colleague under their wing; the actor must keep the cascade
    (the mentor themself, the home institution's or the course's coordinators)."""
    errors: list[FieldError] = []
    _check_people(db, {"mentor_id": data.mentor_id, "mentee_id": data.mentee_id}, errors)
    _check_place(db, data.institution_id, data.course_id, errors)
    if data.mentor_id == data.mentee_id:
        errors.append(problem("mentee_id", N_("A doctor cannot mentor themself.")))
    if (
        not errors
        and data.course_id is not None
        and not _may_mentor(db, data.course_id, data.mentor_id)
    ):
        errors.append(
            problem(
                "mentor_id",
                N_("The mentor has neither completed the course nor been mentored in it."),
            )
        )
    refuse_any(errors)
    mentorship = Mentorship(**data.model_dump())
    try:
        with db.begin_nested():
            db.add(mentorship)
            db.flush()
            require(db, actor, Action.CHANGE, mentorship)
    except IntegrityError as error:
        raise UserError.one("mentee_id", N_("This mentor already mentors this doctor.")) from error
    return mentorship


def record_session(*, db: Session, actor: Actor, data: CascadeSessionCreate) -> CascadeSession:
    """A session a mentor held at home, with the colleagues who came."""
    errors: list[FieldError] = []
    _check_people(db, {"mentor_id": data.mentor_id}, errors)
    _check_place(db, data.institution_id, data.course_id, errors)
    attendees = sorted(set(data.attendee_ids))
    found = set(db.scalars(select(Person.id).where(Person.id.in_(attendees))))
    if found != set(attendees):
        errors.append(problem("attendee_ids", _CHOOSE))
    refuse_any(errors)
    session = CascadeSession(**data.model_dump(exclude={"attendee_ids"}))
    session.attendees = [CascadeAttendee(person_id=person_id) for person_id in attendees]
    # Who may record it depends on the row (its mentor, institution, course): checked on the
    # row itself, in a savepoint, so that a refusal leaves nothing behind.
    with db.begin_nested():
        db.add(session)
        db.flush()
        require(db, actor, Action.CHANGE, session)
    return session


@dataclass
class Node:
    """A person reached by the course's cascade, with those they brought in."""

    person: Person
    level: int
    children: list[Node] = field(default_factory=list)


@dataclass(frozen=True)
class Place:
    """Where reached people work: a city or district of a country, with counts per level."""

    country: Country | None
    city: City | None
    counts: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Reach:
    """How far a course went: the tree, the counts per level and per place, the sessions."""

    course: Course
    roots: list[Node]
    levels: dict[int, int]
    places: list[Place]
    sessions: list[CascadeSession]
    attendees: int


def _tree(db: Session, course: Course) -> tuple[list[Node], list[Node]]:
    """The roots (level 1) and every node, each person once at the first level reaching them."""
    completed = _completed(db, course.id)
    links = _mentees_of(db, course.id)
    wanted = set(completed) | {mentee for mentees in links.values() for mentee in mentees}
    people = {p.id: p for p in db.scalars(select(Person).where(Person.id.in_(wanted)))}
    roots = [Node(people[person_id], 1) for person_id in completed]
    seen = set(completed)
    every, frontier = list(roots), list(roots)
    for level in LEVELS[1:]:
        following = []
        for node in frontier:
            for mentee_id in links.get(node.person.id, []):
                if mentee_id not in seen:
                    seen.add(mentee_id)
                    child = Node(people[mentee_id], level)
                    node.children.append(child)
                    following.append(child)
        every += following
        frontier = following
    return roots, every


def _places(nodes: list[Node]) -> list[Place]:
    counts: dict[tuple[int | None, int | None], Counter[int]] = defaultdict(Counter)
    where: dict[tuple[int | None, int | None], tuple[Country | None, City | None]] = {}
    for node in nodes:
        institution = node.person.institution
        city = institution.city if institution else None
        country = institution.country if institution else None
        key = (country.id if country else None, city.id if city else None)
        where[key] = (country, city)
        counts[key][node.level] += 1
    places = [
        Place(where[key][0], where[key][1], {level: counter[level] for level in LEVELS})
        for key, counter in counts.items()
    ]
    return sorted(places, key=lambda place: (-place.total, place.city.code if place.city else ""))


def reach(*, db: Session, course: Course) -> Reach:
    """The reach of a course the caller loaded for its reader: the cascade is reported openly
    (who mentors whom is no health data), so nothing in it is narrowed further."""
    roots, nodes = _tree(db, course)
    levels = Counter(node.level for node in nodes)
    sessions = list(
        db.scalars(
            select(CascadeSession)
            .where(CascadeSession.course_id == course.id)
            .order_by(CascadeSession.held_on, CascadeSession.id)
        )
    )
    return Reach(
        course=course,
        roots=roots,
        levels={level: levels[level] for level in LEVELS},
        places=_places(nodes),
        sessions=sessions,
        attendees=len({a.person_id for s in sessions for a in s.attendees}),
    )
