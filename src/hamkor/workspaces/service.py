"""What each role finds on its start page: its own worklist, read from the modules it concerns.

A reader's workspace (issue 20) is made of the sections of the roles they hold, the most
operational first: a specialist's day, a registrar's desk, a coordinator's program, an
institution's house, a trainee's courses, an auditor's trail. Every section reads through the
modules' own queries under the reader's access, and nothing here writes (the views of patients
a list shows are audited by care, as on its own pages).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.agreements import service as agreements
from hamkor.agreements.due import DueLists, due_lists
from hamkor.agreements.models import Agreement
from hamkor.care import booking
from hamkor.care import service as care
from hamkor.care.models import Appointment, Referral, ReferralStatus
from hamkor.core.access import Actor, restrict
from hamkor.core.audit_query import AuditFilter, may_read_trail
from hamkor.core.i18n import Message
from hamkor.core.models import AuditEntry, Role
from hamkor.directory import service as directory
from hamkor.directory.filters import PersonFilter
from hamkor.directory.models import Institution, Person
from hamkor.programs import service as programs
from hamkor.programs.calendar import local_day
from hamkor.programs.models import Activity, Program, activity_leads
from hamkor.reports.worklist import ProgramState, program_state
from hamkor.training import service as training
from hamkor.training.credentials.models import Credential
from hamkor.training.models import CourseSession, Enrolment

#: How many rows a section lists before it links to the full page.
SHOWN = 10


# --- the day shown ------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """The day a desk or a specialist's list shows, with the program days around it.

    ``outside`` is set when today is not a day of the program, so the page says which day it
    shows instead (the demo program ran in October 2025)."""

    day: date
    previous: date | None
    next: date | None
    outside: bool


def program_day(
    program: Program | None, today: date, asked: date | None, busy: Iterable[date] = ()
) -> Day:
    """The day to show: the one asked for, else today when the program runs, else the first of
    ``busy`` days (the reader's own work) or the program's first day. Days step within the
    program's dates."""
    if program is None:
        shown = asked or today
        return Day(shown, shown - timedelta(days=1), shown + timedelta(days=1), False)
    running = program.starts_on <= today <= program.ends_on
    work = sorted(d for d in busy if program.starts_on <= d <= program.ends_on)
    fallback = today if running else (work[0] if work else program.starts_on)
    shown = asked if asked and program.starts_on <= asked <= program.ends_on else fallback
    before, after = shown - timedelta(days=1), shown + timedelta(days=1)
    return Day(
        day=shown,
        previous=before if before >= program.starts_on else None,
        next=after if after <= program.ends_on else None,
        outside=not running,
    )


# --- the specialist's day -------------------------------------------------------------------


@dataclass(frozen=True)
class Led:
    """An activity the specialist leads that day, with the patients booked into it."""

    activity: Activity
    booked: list[tuple[Appointment, care.Slot]]


@dataclass(frozen=True)
class SpecialistDay:
    program: Program | None
    day: Day
    led: list[Led]


def _led_by(db: Session, actor: Actor, person: Person) -> list[Activity]:
    return list(
        db.scalars(
            restrict(select(Activity), actor)
            .join(activity_leads, activity_leads.c.activity_id == Activity.id)
            .where(activity_leads.c.person_id == person.id)
            .order_by(Activity.starts_at, Activity.id)
        )
    )


def specialist_day(*, db: Session, actor: Actor, today: date, asked: date | None) -> SpecialistDay:
    """The activities the specialist leads on the day, in the program they lead in that is
    current, with the patients booked into their consultation sessions."""
    person = care.person_of(db, actor)
    led = _led_by(db, actor, person) if person else []
    program = programs.current_program(
        db=db, actor=actor, today=today, among={a.program_id for a in led}
    )
    mine = [a for a in led if program is not None and a.program_id == program.id]
    day = program_day(program, today, asked, (local_day(a) for a in mine))
    todays = [a for a in mine if local_day(a) == day.day]
    booked: dict[int, list[tuple[Appointment, care.Slot]]] = {}
    if todays:
        for appointment, slot in care.todays_patients(db=db, actor=actor, day=day.day):
            booked.setdefault(appointment.activity_id, []).append((appointment, slot))
    return SpecialistDay(program, day, [Led(a, booked.get(a.id, [])) for a in todays])


# --- the registrar's desk -------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A waiting referral and what would stop booking it (``None``: it can be booked)."""

    referral: Referral
    obstacle: Message | None


@dataclass(frozen=True)
class Desk:
    program: Program | None
    day: Day
    sessions: list[tuple[Activity, int, int]]
    waiting: list[Waiting]
    waiting_total: int


def _free_slots(db: Session, sessions: Sequence[Activity]) -> dict[int, int]:
    """Each session's free slots."""
    return {
        s.id: sum(1 for slot in care.session_slots(db, s) if slot.appointment is None)
        for s in sessions
    }


def desk(*, db: Session, actor: Actor, today: date, asked: date | None) -> Desk:
    """The consultation sessions of the day in the registrar's current program, those their
    institutions host first (each with its booked and free slots), and the waitlist, each
    referral with what blocks its booking."""
    hosts = actor.institutions(Role.REGISTRAR)
    sessions = care.consultation_sessions(db=db, actor=actor)
    referrals = care.list_referrals(db=db, actor=actor, status=ReferralStatus.WAITING)
    program = programs.current_program(
        db=db,
        actor=actor,
        today=today,
        among={s.program_id for s in sessions} | {r.program_id for r in referrals},
    )
    in_program = [s for s in sessions if program is None or s.program_id == program.id]
    day = program_day(program, today, asked, (local_day(s) for s in in_program))
    todays = sorted(
        (s for s in in_program if local_day(s) == day.day),
        key=lambda s: (s.institution_id not in hosts, s.starts_at, s.id),
    )
    free = _free_slots(db, todays)
    return Desk(
        program=program,
        day=day,
        sessions=[(s, care.slot_count(db, s) - free[s.id], free[s.id]) for s in todays],
        waiting=_obstacles(db, actor, referrals[:SHOWN]),
        waiting_total=len(referrals),
    )


def _obstacles(db: Session, actor: Actor, referrals: Sequence[Referral]) -> list[Waiting]:
    """Each referral with the verdict booking would give, the free slots of its program's
    sessions of its specialty counted once per pair."""
    free: dict[tuple[int, int], int] = {}
    result = []
    for referral in referrals:
        key = (referral.program_id, referral.specialty_id)
        if key not in free:
            sessions = care.consultation_sessions(
                db=db, actor=actor, program_id=key[0], specialty_id=key[1]
            )
            free[key] = sum(_free_slots(db, sessions).values())
        result.append(Waiting(referral, booking.obstacle(db, referral, free[key])))
    return result


# --- the trainee's courses ------------------------------------------------------------------


@dataclass(frozen=True)
class Course:
    enrolment: Enrolment
    next_session: CourseSession | None
    credential: Credential | None


def courses(*, db: Session, actor: Actor, now: datetime) -> list[Course]:
    """The trainee's enrolments, latest course first, each with its next session and the
    certificate it earned."""
    enrolments = training.my_enrolments(db=db, actor=actor)
    ids = [e.id for e in enrolments]
    credentials = {
        c.enrolment_id: c
        for c in db.scalars(
            restrict(select(Credential), actor)
            .where(Credential.enrolment_id.in_(ids), Credential.revoked_at.is_(None))
            .order_by(Credential.id)
        )
    }
    coming: dict[int, CourseSession] = {}
    for session in db.scalars(
        select(CourseSession)
        .where(
            CourseSession.course_id.in_([e.course_id for e in enrolments]),
            CourseSession.starts_at >= now,
        )
        .order_by(CourseSession.starts_at)
    ):
        coming.setdefault(session.course_id, session)
    return [Course(e, coming.get(e.course_id), credentials.get(e.id)) for e in enrolments]


# --- the institution's house ----------------------------------------------------------------


@dataclass(frozen=True)
class House:
    institution: Institution
    people: list[Person]
    people_total: int
    waiting: int
    agreements: list[Agreement]
    due: DueLists


def houses(*, db: Session, actor: Actor, today: date) -> list[House]:
    """Each institution the reader coordinates: its people, how many of its patients wait,
    its agreements and their items due or late."""
    result = []
    for institution_id in sorted(actor.institutions(Role.INSTITUTION_COORDINATOR)):
        institution = db.get_one(Institution, institution_id)
        people = directory.list_people(
            db=db, actor=actor, filters=PersonFilter(institution=institution_id), size=SHOWN
        )
        result.append(
            House(
                institution=institution,
                people=people.items,
                people_total=people.total,
                waiting=care.waiting_at(db, {institution_id}),
                agreements=agreements.list_agreements(
                    db=db, actor=actor, institution_id=institution_id
                )[:SHOWN],
                due=due_lists(db=db, actor=actor, today=today, institution_id=institution_id),
            )
        )
    return result


# --- the workspace --------------------------------------------------------------------------


@dataclass
class Workspace:
    """The sections of one reader's start page, in the order shown."""

    sections: list[str] = field(default_factory=list)
    day: SpecialistDay | None = None
    desk: Desk | None = None
    state: ProgramState | None = None
    houses: list[House] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)
    trail: list[AuditEntry] = field(default_factory=list)


def coordinates(actor: Actor) -> bool:
    """Whether the reader runs programs: their workspace is a program's state."""
    return actor.is_admin or actor.has_role(Role.PROGRAM_COORDINATOR)


def workspace(
    *, db: Session, actor: Actor, now: datetime, today: date, day: date | None = None
) -> Workspace:
    """The reader's workspace as of ``now`` (``today`` its date), ``day`` the one asked for."""
    found = Workspace()
    if actor.has_role(Role.SPECIALIST):
        found.day = specialist_day(db=db, actor=actor, today=today, asked=day)
        found.sections.append("day")
    if actor.has_role(Role.REGISTRAR):
        found.desk = desk(db=db, actor=actor, today=today, asked=day)
        found.sections.append("desk")
    if coordinates(actor):
        program = programs.current_program(db=db, actor=actor, today=today)
        if program is not None:
            found.state = program_state(db=db, actor=actor, program=program, now=now, today=today)
            found.sections.append("program")
    if actor.has_role(Role.INSTITUTION_COORDINATOR):
        found.houses = houses(db=db, actor=actor, today=today)
        found.sections.append("houses")
    if actor.has_role(Role.TRAINEE):
        found.courses = courses(db=db, actor=actor, now=now)
        found.sections.append("courses")
    if may_read_trail(actor) and not actor.is_admin:
        found.trail = list(db.scalars(AuditFilter().statement().limit(SHOWN)))
        found.sections.append("trail")
    return found
