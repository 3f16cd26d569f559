"""Courses, sessions and enrolments: queries and state changes.

Every function takes keyword arguments, the session and the acting user, and only flushes: the
request (or command) commits once. Reads go through ``core.access.restrict``; a write takes the
record its caller loaded with ``core.access.get_for(..., CHANGE)`` (a route, a command, the
planner placing trainees), so access is checked once, before the service. Rows and their
changes reach the audit trail by the flush hook.

Seats: a course holds ``capacity`` trainees (enrolled, completed or failed). Whoever finds it
full is put on the waiting list, ordered by the time they asked; when someone withdraws, the
first on the list moves up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from hamkor.core.access import AccessDenied, Action, Actor, can, require, restrict
from hamkor.core.db import assign, utcnow
from hamkor.core.errors import FieldError, UserError, problem, refuse_any
from hamkor.core.forms import record_values, validate
from hamkor.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_
from hamkor.core.pagination import Page, paginate
from hamkor.directory.models import City, Institution, Person, Room, Specialty
from hamkor.programs.models import Activity, ActivityKind, Program
from hamkor.training.access import may_create_course
from hamkor.training.credentials import service as credentials
from hamkor.training.filters import CourseFilter, EnrolmentFilter
from hamkor.training.models import (
    Attendance,
    Course,
    CourseKind,
    CourseSession,
    Enrolment,
    EnrolmentStatus,
    SessionMode,
)
from hamkor.training.schemas import CourseCreate, CourseUpdate, SessionCreate, SessionLinks

#: Statuses that hold one of the course's seats.
SEATED = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED)
#: Statuses that still count as being in the course (a new enrolment is refused for them).
ACTIVE = (*SEATED, EnrolmentStatus.REQUESTED, EnrolmentStatus.WAITLISTED)
#: The activities a program's trainees enrol in, and the course each becomes: local doctors
#: also learn by watching demonstration operations, interventions and consultations (news/003:
#: 45 doctors trained during the demonstration operations), which the planner seats them at.
COURSE_KIND_OF_ACTIVITY: dict[ActivityKind, CourseKind] = {
    ActivityKind.MASTER_CLASS: CourseKind.MASTER_CLASS,
    ActivityKind.LECTURE: CourseKind.MASTER_CLASS,
    ActivityKind.PRACTICAL_TRAINING: CourseKind.PRACTICAL_TRAINING,
    ActivityKind.DEMONSTRATION_OPERATION: CourseKind.PRACTICAL_TRAINING,
    ActivityKind.HIGH_TECH_INTERVENTION: CourseKind.PRACTICAL_TRAINING,
    ActivityKind.CONSULTATION_SESSION: CourseKind.PRACTICAL_TRAINING,
}
_CHOOSE = N_("Choose one of the offered values.")


def _exists(db: Session, model: type[Any], record_id: int | None) -> bool:
    return record_id is None or db.get(model, record_id) is not None


# --- courses --------------------------------------------------------------------------------


def courses_statement(actor: Actor, filters: CourseFilter) -> Select[Any]:
    """The courses matching the filter that the actor may see, for a page or a whole file."""
    return restrict(filters.statement(), actor)


def list_courses(
    *, db: Session, actor: Actor, filters: CourseFilter, page_size: int
) -> Page[Course]:
    """The courses matching the filter, one page of them (the catalogue is open to all)."""
    stmt = courses_statement(actor, filters)
    return paginate(db, stmt, number=filters.page, size=page_size)


def may_manage(db: Session, actor: Actor, course: Course) -> bool:
    """Whether the actor manages the course: pages show its forms and lists only then."""
    return can(db, actor, Action.CHANGE, course)


def _check_course(db: Session, data: CourseCreate, course: Course | None) -> dict[str, Any]:
    """The course's values once every rule that needs the database holds, else a refusal."""
    errors: list[FieldError] = []
    taken = select(Course.id).where(Course.code == data.code)
    if course is not None:
        taken = taken.where(Course.id != course.id)
    if db.scalar(taken) is not None:
        errors.append(problem("code", N_("The code %(value)s is taken."), value=data.code))
    if data.ends_on < data.starts_on:
        errors.append(problem("ends_on", N_("The course cannot end before it starts.")))
    for field, model, value in (
        ("program_id", Program, data.program_id),
        ("issuer_institution_id", Institution, data.issuer_institution_id),
        ("host_institution_id", Institution, data.host_institution_id),
    ):
        if not _exists(db, model, value):
            errors.append(problem(field, _CHOOSE))
    if (
        data.specialty
        and db.scalar(select(Specialty.id).where(Specialty.code == data.specialty)) is None
    ):
        errors.append(problem("specialty", _CHOOSE))
    values = data.model_dump()
    if data.activity_id is not None:
        values["program_id"] = _check_activity(db, data, course, errors)
    refuse_any(errors)
    return values


def _check_activity(
    db: Session, data: CourseCreate, course: Course | None, errors: list[FieldError]
) -> int | None:
    """The program of the course's activity, after checking the activity can hold a course."""
    activity = db.get(Activity, data.activity_id)
    if activity is None:
        errors.append(problem("activity_id", _CHOOSE))
        return data.program_id
    if COURSE_KIND_OF_ACTIVITY.get(ActivityKind(activity.kind)) != data.kind:
        errors.append(
            problem(
                "activity_id", N_("Link a master class or training to an activity of its kind.")
            )
        )
    if data.program_id is not None and data.program_id != activity.program_id:
        errors.append(problem("program_id", N_("The activity belongs to another program.")))
    linked = select(Course.id).where(Course.activity_id == activity.id)
    if course is not None:
        linked = linked.where(Course.id != course.id)
    if db.scalar(linked) is not None:
        errors.append(problem("activity_id", N_("This activity already has a course.")))
    return activity.program_id


def create_course(*, db: Session, actor: Actor, data: CourseCreate) -> Course:
    """A new course, which the actor must be able to manage (their program or institution)."""
    if not may_create_course(actor):
        raise AccessDenied(Course.__tablename__, None, Action.CHANGE)
    course = Course(**_check_course(db, data, None))
    # Coordinators may only make courses they will manage (of their program or institution),
    # which is decided on the row itself: in a savepoint, so that a refusal leaves nothing.
    with db.begin_nested():
        db.add(course)
        db.flush()
        require(db, actor, Action.CHANGE, course)
    return course


def update_course(*, db: Session, actor: Actor, course: Course, data: CourseUpdate) -> Course:
    """Change what is given; the result is checked by the rules of a new course, and must stay
    a course the actor manages (a coordinator cannot give it away to another program). Seats
    added go to the waiting list."""
    current = record_values(course, CourseCreate)
    merged = validate(CourseCreate, {**current, **data.model_dump(exclude_unset=True)})
    with db.begin_nested():
        assign(course, _check_course(db, merged, course))
        db.flush()
        require(db, actor, Action.CHANGE, course)
    # More seats let the waiting list move up.
    _move_up(db, course)
    return course


# --- sessions -------------------------------------------------------------------------------


def session_zone(session: CourseSession) -> ZoneInfo:
    """The zone a session's times are read in: its city's, else the host institution's."""
    city = session.city or session.course.host_institution.city
    return ZoneInfo(city.timezone)


def course_zone(course: Course) -> ZoneInfo:
    """The zone of the course's host institution, in which its sessions are entered."""
    return ZoneInfo(course.host_institution.city.timezone)


def list_sessions(*, db: Session, course: Course) -> list[CourseSession]:
    return list(
        db.scalars(
            select(CourseSession)
            .where(CourseSession.course_id == course.id)
            .order_by(CourseSession.starts_at, CourseSession.id)
        )
    )


def add_session(*, db: Session, actor: Actor, course: Course, data: SessionCreate) -> CourseSession:
    """A new sitting of the course, within the course's days."""
    errors: list[FieldError] = []
    if data.ends_at <= data.starts_at:
        errors.append(problem("ends_at", N_("The session must end after it starts.")))
    if not _exists(db, Room, data.room_id):
        errors.append(problem("room_id", _CHOOSE))
    city = db.get(City, data.city_id) if data.city_id else None
    if data.city_id and city is None:
        errors.append(problem("city_id", _CHOOSE))
    zone = ZoneInfo(city.timezone) if city else course_zone(course)
    if not course.starts_on <= data.starts_at.astimezone(zone).date() <= course.ends_on:
        errors.append(problem("starts_at", N_("The session must fall within the course's days.")))
    links = SessionLinks(
        mode=data.mode, meeting_url=data.meeting_url, recording_url=data.recording_url
    )
    errors.extend(_link_problems(links))
    refuse_any(errors)
    session = CourseSession(
        course_id=course.id,
        starts_at=data.starts_at.astimezone(UTC),
        ends_at=data.ends_at.astimezone(UTC),
        topic=data.topic or "",
        city_id=data.city_id,
        room_id=data.room_id,
        **links.model_dump(),
    )
    db.add(session)
    db.flush()
    return session


def _link_problems(links: SessionLinks) -> list[FieldError]:
    """An online or hybrid session needs the link trainees join by; one held in the room only
    has no links (a link left there would be shown to trainees as if they could join)."""
    if links.mode == SessionMode.IN_PERSON:
        given = [f for f in ("meeting_url", "recording_url") if getattr(links, f) is not None]
        return [problem(f, N_("Only an online or hybrid session has links.")) for f in given]
    if links.meeting_url is None:
        return [problem("meeting_url", N_("An online session needs its meeting link."))]
    return []


def set_session_links(
    *, db: Session, actor: Actor, session: CourseSession, data: SessionLinks
) -> CourseSession:
    """Hold the session online, hybrid or in person, with its meeting link and, once it is
    over, its recording (distance learning, issue 18)."""
    refuse_any(_link_problems(data))
    assign(session, data.model_dump())
    db.flush()
    return session


def delete_session(*, db: Session, actor: Actor, session: CourseSession) -> None:
    """Remove a sitting entered by mistake (with its attendance)."""
    db.delete(session)
    db.flush()


# --- enrolments -----------------------------------------------------------------------------


def _enrolments(actor: Actor, course: Course, filters: EnrolmentFilter) -> Select[Any]:
    """The course's enrolments the actor may see: seated first, then the list in order."""
    rank = case(
        {status.value: rank for rank, status in enumerate(EnrolmentStatus)},
        value=Enrolment.status,
    )
    stmt = select(Enrolment).where(Enrolment.course_id == course.id)
    return restrict(filters.apply(stmt), actor).order_by(rank, Enrolment.requested_at, Enrolment.id)


def list_enrolments(
    *, db: Session, actor: Actor, course: Course, filters: EnrolmentFilter | None = None
) -> list[Enrolment]:
    """The course's enrolments the actor may see, narrowed by ``filters`` (the page's file)."""
    return list(db.scalars(_enrolments(actor, course, filters or EnrolmentFilter())))


def page_enrolments(
    *, db: Session, actor: Actor, course: Course, filters: EnrolmentFilter, size: int
) -> Page[Enrolment]:
    """One page of the course's trainees (issue 20)."""
    stmt = _enrolments(actor, course, filters)
    return paginate(db, stmt, number=filters.page, size=size)


def enrolment_of(db: Session, course: Course, person: Person | None) -> Enrolment | None:
    """The person's own enrolment in the course, if any (what the course page offers them)."""
    if person is None:
        return None
    return db.scalar(
        select(Enrolment).where(Enrolment.course_id == course.id, Enrolment.person_id == person.id)
    )


def my_enrolments(*, db: Session, actor: Actor) -> list[Enrolment]:
    """The enrolments of the person the actor is, latest course first."""
    return list(
        db.scalars(
            select(Enrolment)
            .join(Person, Person.id == Enrolment.person_id)
            .join(Course, Course.id == Enrolment.course_id)
            .where(Person.user_id == actor.user_id)
            .order_by(Course.starts_on.desc(), Enrolment.id)
        )
    )


def person_of(db: Session, actor: Actor) -> Person | None:
    """The directory's person who is the actor (a trainee's own record), if any."""
    return db.scalar(select(Person).where(Person.user_id == actor.user_id))


def _seated(db: Session, course_id: int) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Enrolment)
            .where(Enrolment.course_id == course_id, Enrolment.status.in_(SEATED))
        )
        or 0
    )


def _lock(db: Session, course: Course) -> None:
    """Serialise seat counting per course (PostgreSQL row lock; SQLite writes one at a time)."""
    db.execute(select(Course.id).where(Course.id == course.id).with_for_update())


def seats_left(db: Session, course: Course) -> int:
    return max(0, course.capacity - _seated(db, course.id))


def _seat_or_wait(db: Session, course: Course) -> EnrolmentStatus:
    _lock(db, course)
    return EnrolmentStatus.ENROLLED if seats_left(db, course) else EnrolmentStatus.WAITLISTED


def _language(course: Course, person: Person, asked: str | None) -> str:
    """The certificate's language: as asked, else the person's first platform language, else
    the course's if it is one of the platform's, else the default."""
    for candidate in (asked, *person.languages, course.language):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


def _existing(db: Session, course: Course, person_id: int) -> Enrolment | None:
    return db.scalar(
        select(Enrolment).where(Enrolment.course_id == course.id, Enrolment.person_id == person_id)
    )


def _place(
    db: Session, course: Course, person: Person, status: EnrolmentStatus, language: str | None
) -> Enrolment:
    """A new enrolment, or a withdrawn one taken up again (a person has one per course)."""
    enrolment = _existing(db, course, person.id)
    if enrolment is not None and enrolment.status in ACTIVE:
        raise UserError.one("person_id", N_("This person is already in the course."))
    if enrolment is None:
        enrolment = Enrolment(course_id=course.id, person_id=person.id)
        db.add(enrolment)
    enrolment.status = status
    enrolment.requested_at = utcnow()
    enrolment.language = _language(course, person, language)
    db.flush()
    return enrolment


def enrol(
    *, db: Session, actor: Actor, course: Course, person_id: int, language: str | None = None
) -> Enrolment:
    """A coordinator enrolling a person in a course they manage: a seat if one is free, else
    the waiting list."""
    person = db.get(Person, person_id)
    if person is None:
        raise UserError.one("person_id", _CHOOSE)
    return _place(db, course, person, _seat_or_wait(db, course), language)


def request_enrolment(
    *, db: Session, actor: Actor, course: Course, language: str | None = None
) -> Enrolment:
    """A trainee asking for a place in a course they can see; a coordinator approves it."""
    person = person_of(db, actor)
    if person is None:
        raise UserError.one("", N_("Your account is not linked to a person of the directory."))
    return _place(db, course, person, EnrolmentStatus.REQUESTED, language)


def approve(*, db: Session, actor: Actor, enrolment: Enrolment) -> Enrolment:
    """Accept a trainee's request: a seat if one is free, else the waiting list."""
    if enrolment.status != EnrolmentStatus.REQUESTED:
        raise UserError.one("status", N_("Only a request can be approved."))
    enrolment.status = _seat_or_wait(db, enrolment.course)
    db.flush()
    return enrolment


def withdraw(*, db: Session, actor: Actor, enrolment: Enrolment) -> Enrolment:
    """Take a trainee out of the course (the trainee themself, or a coordinator declining a
    request); a seat set free goes to the first on the waiting list.

    The caller loads the enrolment for viewing, which its trainee may; whoever is not that
    trainee must manage it, which only this rule knows to ask.
    """
    own = person_of(db, actor)
    if own is None or own.id != enrolment.person_id:
        require(db, actor, Action.CHANGE, enrolment)
    if enrolment.status not in (
        EnrolmentStatus.REQUESTED,
        EnrolmentStatus.WAITLISTED,
        EnrolmentStatus.ENROLLED,
    ):
        raise UserError.one("status", N_("A finished enrolment cannot be withdrawn."))
    freed = enrolment.status == EnrolmentStatus.ENROLLED
    enrolment.status = EnrolmentStatus.WITHDRAWN
    db.flush()
    if freed:
        _move_up(db, enrolment.course)
    return enrolment


def _move_up(db: Session, course: Course) -> None:
    """Give the free seats to those waiting longest."""
    _lock(db, course)
    free = seats_left(db, course)
    waiting = db.scalars(
        select(Enrolment)
        .where(Enrolment.course_id == course.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        .order_by(Enrolment.requested_at, Enrolment.id)
        .limit(free)
    )
    for enrolment in waiting:
        enrolment.status = EnrolmentStatus.ENROLLED
    db.flush()


def set_score(*, db: Session, actor: Actor, enrolment: Enrolment, score: float) -> Enrolment:
    """Record the trainee's assessment score."""
    enrolment.score = score
    db.flush()
    return enrolment


# --- completion -----------------------------------------------------------------------------


def attendance_percents(db: Session, enrolments: Sequence[Enrolment]) -> dict[int, int]:
    """The share of their course's sessions each trainee attended, in whole percent (rounded
    down, so that 79.9 % never passes a rule of 80 %); two queries for a whole list."""
    course_ids = {e.course_id for e in enrolments}
    sessions: dict[int, int] = {
        course_id: count
        for course_id, count in db.execute(
            select(CourseSession.course_id, func.count())
            .where(CourseSession.course_id.in_(course_ids))
            .group_by(CourseSession.course_id)
        )
    }
    attended: dict[int, int] = {
        enrolment_id: count
        for enrolment_id, count in db.execute(
            select(Attendance.enrolment_id, func.count())
            .where(Attendance.enrolment_id.in_([e.id for e in enrolments]))
            .group_by(Attendance.enrolment_id)
        )
    }
    return {
        e.id: attended.get(e.id, 0) * 100 // sessions[e.course_id]
        if sessions.get(e.course_id)
        else 0
        for e in enrolments
    }


def attendance_percent(db: Session, enrolment: Enrolment) -> int:
    """The share of the course's sessions one trainee attended (see :func:`attendance_percents`)."""
    return attendance_percents(db, [enrolment])[enrolment.id]


def evaluate_completion(
    *, db: Session, actor: Actor, enrolment: Enrolment, now: datetime | None = None
) -> Enrolment:
    """Apply the course's completion rule and, when the trainee completes, issue the
    certificate: attendance at least ``min_attendance_percent`` of the sessions and, when the
    course sets one, a score at least ``min_score``. ``now`` is when (the clock's now unless
    the record is of an earlier day, as the demo's course of 2025 is)."""
    now = now or utcnow()
    course = enrolment.course
    if enrolment.status != EnrolmentStatus.ENROLLED:
        raise UserError.one("status", N_("Only an enrolled trainee can complete the course."))
    if not course.sessions:
        raise UserError.one("", N_("The course has no sessions yet."))
    if course.min_score is not None and enrolment.score is None:
        raise UserError.one("score", N_("Record the trainee's score first."))
    attended = attendance_percent(db, enrolment) >= course.min_attendance_percent
    scored = course.min_score is None or (enrolment.score or 0) >= course.min_score
    if attended and scored:
        enrolment.status = EnrolmentStatus.COMPLETED
        enrolment.completed_at = now
    else:
        enrolment.status = EnrolmentStatus.FAILED
    db.flush()
    if enrolment.status == EnrolmentStatus.COMPLETED:
        credentials.issue_certificate(db=db, actor=actor, enrolment=enrolment, now=now)
    return enrolment


# --- the planning optimizer's placements ----------------------------------------------------


def course_for_activity(*, db: Session, actor: Actor, activity: Activity) -> Course:
    """The course of a master class or training, which the actor must manage; made from the
    activity when it has none: its kind, title, specialty, days, seats and one session at the
    activity's time; issued and hosted by the activity's institution."""
    found = db.scalar(select(Course).where(Course.activity_id == activity.id))
    if found is not None:
        require(db, actor, Action.CHANGE, found)
        return found
    kind = COURSE_KIND_OF_ACTIVITY.get(ActivityKind(activity.kind))
    if kind is None:
        raise UserError.one("activity_id", N_("Trainees do not attend this kind of activity."))
    if activity.institution_id is None:
        raise UserError.one("activity_id", N_("Give the activity its institution first."))
    day = activity.starts_at.astimezone(ZoneInfo(activity.city.timezone)).date()
    course = create_course(
        db=db,
        actor=actor,
        data=CourseCreate(
            code=f"ACT-{activity.id}",
            title=activity.titles,
            kind=kind,
            program_id=activity.program_id,
            activity_id=activity.id,
            specialty=activity.specialty.code if activity.specialty else None,
            issuer_institution_id=activity.institution_id,
            host_institution_id=activity.institution_id,
            starts_on=day,
            ends_on=day,
            hours=_hours(activity.starts_at, activity.ends_at),
            language=DEFAULT_LANGUAGE,
            capacity=activity.trainee_capacity,
        ),
    )
    add_session(
        db=db,
        actor=actor,
        course=course,
        data=SessionCreate(
            starts_at=activity.starts_at, ends_at=activity.ends_at, city_id=activity.city_id
        ),
    )
    return course


def _hours(start: datetime, end: datetime) -> int:
    return max(1, round((end - start).total_seconds() / 3600))


def place_planned(*, db: Session, actor: Actor, placements: Sequence[tuple[int, int]]) -> int:
    """Enrol each planned ``(person_id, activity_id)`` in the course of the activity (made
    when missing), within its seats; how many were newly placed. A pair already enrolled is
    left as it is; a pair that cannot be placed refuses the whole batch, naming the pair.

    The plan names its activities by id, so they are loaded and checked here, as a form's
    references are; each course is one the actor manages (:func:`course_for_activity`).
    """
    placed = 0
    for index, (person_id, activity_id) in enumerate(placements):
        field = f"placements.{index}"
        pair = {"person": person_id, "activity": activity_id}
        if db.get(Person, person_id) is None:
            raise UserError.one(field, N_("Person %(person)s does not exist."), **pair)
        activity = db.get(Activity, activity_id)
        if activity is None:
            raise UserError.one(field, N_("Activity %(activity)s does not exist."), **pair)
        require(db, actor, Action.VIEW, activity)
        try:
            course = course_for_activity(db=db, actor=actor, activity=activity)
        except UserError as error:
            raise UserError([FieldError(field, e.message) for e in error.errors]) from error
        current = _existing(db, course, person_id)
        if current is not None and current.status in SEATED:
            continue
        if _seat_or_wait(db, course) != EnrolmentStatus.ENROLLED:
            raise UserError.one(
                field, N_("No seat is left for person %(person)s in activity %(activity)s."), **pair
            )
        if current is not None and current.status in ACTIVE:
            current.status = EnrolmentStatus.ENROLLED
            db.flush()
        else:
            enrol(db=db, actor=actor, course=course, person_id=person_id)
        placed += 1
    return placed
