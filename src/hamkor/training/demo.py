"""Training in the demo: the program's master classes and trainings with 45 local doctors, the
Moscow qualification course of Tashkent-region doctors (``news/004``), attendance, completions
with their certificates (a few revoked) and a mentoring cascade two levels deep.

Everything goes through the module's service functions, acting as the demo's admin, so the demo
obeys the rules the pages do. The whole of it is loaded in the demo's one transaction: when the
Moscow course exists, an earlier run loaded everything, and nothing is added again.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.db import Base
from hamkor.core.models import User
from hamkor.directory.models import City, Institution, InstitutionKind, Person, Specialty
from hamkor.directory.service import ensure_country
from hamkor.programs import service as programs_service
from hamkor.programs.models import Activity, ActivityKind, Participation, ParticipationRole, Program
from hamkor.programs.schemas import ParticipationCreate
from hamkor.settings import get_settings
from hamkor.training import attendance, cascade, service
from hamkor.training.credentials import service as credentials
from hamkor.training.credentials.models import Credential
from hamkor.training.models import (
    Attendance,
    CascadeSession,
    Course,
    CourseSession,
    Enrolment,
    EnrolmentStatus,
    Mentorship,
    SessionMode,
)
from hamkor.training.schemas import (
    CascadeSessionCreate,
    CourseCreate,
    MentorshipCreate,
    SessionCreate,
)

DATA = Path(__file__).with_name("demo.json")
PROGRAM = "KZ-UZ-2025"
QUALIFICATION_PROGRAM = "UZ-RU-TASHREG-2025"
#: The institutions whose doctors join the program's master classes (45 of them, as reported).
LOCAL_HOSPITALS = (
    "VAKHIDOV",
    "TRAUMA_UZ",
    "NCMC",
    "CARDIO_KAR",
    "BUKHARA_MMC",
    "KARAKALPAK_MMC",
    "SAMSMU_CLINIC",
    "FERGANA_MMC",
)
LOCAL_TRAINEES = 45
DISTRICT_DOCTORS = 4
#: The demo trainee's own record, so that "my courses" and the QR check-in have something.
DEMO_TRAINEE = ("trainee", "UZ-SAMSMU_CLINIC-001")
MENTORS, MENTEES, SECOND_LEVEL_MENTORS, SECOND_LEVEL_MENTEES = 12, 3, 6, 2
#: The tables whose new rows the demo's summary reports.
TALLIED = (
    Course,
    CourseSession,
    Enrolment,
    Attendance,
    Mentorship,
    CascadeSession,
    Credential,
    Participation,
)
REVOKED = (
    "The attendance sheet of the last day was corrected after an audit.",
    "Issued under a misspelt name; the trainee asked for a corrected certificate.",
)


class Added(Protocol):
    """The demo's tally of added rows by table, which ``hamkor demo`` prints."""

    added: dict[str, int]


class DemoLoader(Protocol):
    """What the demo's loader lends this module: its session, its tally, its people."""

    @property
    def db(self) -> Session: ...

    @property
    def summary(self) -> Added: ...

    def add(self, obj: Base) -> None: ...

    def tally(self, models: Sequence[type[Base]]) -> AbstractContextManager[None]: ...

    def people(
        self,
        *,
        prefix: str,
        count: int,
        nation: str,
        institution: Institution,
        specialties: list[Specialty],
        languages: list[str],
    ) -> list[Person]: ...


@cache
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


def _by_code(db: Session, model: type[Any], code: str) -> Any:
    return db.scalars(select(model).where(model.code == code)).one()


def load_training(loader: DemoLoader) -> None:
    """Load the training demo once (see the module's docstring)."""
    db = loader.db
    if db.scalar(select(Course.id).where(Course.code == data()["moscow_course"]["code"])):
        return
    admin = db.scalars(select(User).where(User.username == "admin")).one()
    actor = Actor.of(admin)
    # The services write these rows; the loader's own ``add`` counts the rest.
    with loader.tally(TALLIED):
        _master_classes(db, actor)
        trained = _moscow_course(loader, actor)
        _cascade(loader, actor, trained)


# --- the program's master classes -----------------------------------------------------------


def _local_doctors(db: Session) -> list[Person]:
    return list(
        db.scalars(
            select(Person)
            .join(Institution, Institution.id == Person.institution_id)
            .where(Institution.code.in_(LOCAL_HOSPITALS))
            .order_by(Person.code)
        )
    )[:LOCAL_TRAINEES]


def _master_classes(db: Session, actor: Actor) -> None:
    """Every master class and training of the program becomes a course; 45 local doctors are
    placed in those of their own city (else wherever seats are left), attend, and complete."""
    program = _by_code(db, Program, PROGRAM)
    activities = db.scalars(
        select(Activity)
        .where(
            Activity.program_id == program.id,
            Activity.kind.in_([ActivityKind.MASTER_CLASS, ActivityKind.PRACTICAL_TRAINING]),
        )
        .order_by(Activity.starts_at, Activity.id)
    ).all()
    courses = {
        a.id: service.course_for_activity(db=db, actor=actor, activity=a) for a in activities
    }
    _link_demo_trainee(db)
    placements: list[tuple[int, int]] = []
    for doctor in _local_doctors(db):
        city = doctor.institution.city_id if doctor.institution else None
        nearby = [a for a in activities if a.city_id == city] or list(activities)
        chosen = next(
            (a for a in nearby if service.seats_left(db, courses[a.id]) > _placed(placements, a)),
            None,
        )
        if chosen is not None:
            placements.append((doctor.id, chosen.id))
    service.place_planned(db=db, actor=actor, placements=placements)
    for number, course in enumerate(courses.values()):
        _attend_and_complete(db, actor, course, absent_every=9 if number % 2 else 0)


def _placed(placements: Sequence[tuple[int, int]], activity: Activity) -> int:
    return sum(1 for _person, activity_id in placements if activity_id == activity.id)


def _link_demo_trainee(db: Session) -> None:
    username, code = DEMO_TRAINEE
    user = db.scalars(select(User).where(User.username == username)).one()
    person = _by_code(db, Person, code)
    if person.user_id is None:
        person.user_id = user.id
        db.flush()


def _seated(db: Session, course: Course) -> list[Enrolment]:
    return list(
        db.scalars(
            select(Enrolment)
            .where(Enrolment.course_id == course.id, Enrolment.status == EnrolmentStatus.ENROLLED)
            .order_by(Enrolment.id)
        )
    )


def _attend_and_complete(db: Session, actor: Actor, course: Course, absent_every: int) -> None:
    """The demo trainee checks in by QR; the coordinator marks the others on the list (every
    ``absent_every``-th missing); then the completion rule is applied to everyone."""
    enrolments = _seated(db, course)
    sessions = service.list_sessions(db=db, course=course)
    for session in sessions:
        present = {
            e.id for n, e in enumerate(enrolments, 1) if not absent_every or n % absent_every
        }
        _scan_demo_trainee(db, session, enrolments, present)
        attendance.mark_attendance(db=db, actor=actor, session=session, present=present)
    ended = _course_end(sessions)
    for enrolment in enrolments:
        service.evaluate_completion(db=db, actor=actor, enrolment=enrolment, now=ended)


def _course_end(sessions: Sequence[CourseSession]) -> datetime:
    """When the last session ended: the day the demo's completions and certificates carry,
    so that they read as of the 2025 course, whatever the day the demo is loaded."""
    return max(session.ends_at for session in sessions)


def _scan_demo_trainee(
    db: Session, session: CourseSession, enrolments: Sequence[Enrolment], present: set[int]
) -> None:
    user_id = db.scalar(select(User.id).where(User.username == DEMO_TRAINEE[0]))
    mine = next((e for e in enrolments if e.person.user_id == user_id), None)
    if mine is None or user_id is None or mine.id not in present:
        return
    trainee = Actor.of(db.get_one(User, user_id))
    when = session.starts_at + timedelta(minutes=5)
    secret = get_settings().resolved_secret_key()
    token = attendance.checkin_token(secret_key=secret, session_id=session.id, now=when)
    attendance.check_in(
        db=db, actor=trainee, session=session, token=token, secret_key=secret, now=when
    )


# --- the Moscow qualification course --------------------------------------------------------


def _districts(loader: DemoLoader) -> list[Institution]:
    """The four district hospitals of Tashkent region the news names beside the four towns."""
    db = loader.db
    uzbekistan = ensure_country(db, "UZ")
    found = []
    for row in data()["districts"]:
        city_row, institution_row = row["city"], row["institution"]
        city = db.scalar(select(City).where(City.code == city_row["code"]))
        if city is None:
            city = City(
                code=city_row["code"],
                country=uzbekistan,
                names=city_row["names"],
                latitude=city_row["lat"],
                longitude=city_row["lon"],
                timezone=city_row["timezone"],
            )
            loader.add(city)
        institution = db.scalar(
            select(Institution).where(Institution.code == institution_row["code"])
        )
        if institution is None:
            institution = Institution(
                code=institution_row["code"],
                kind=InstitutionKind.HOSPITAL,
                country=uzbekistan,
                city=city,
                names=institution_row["names"],
            )
            loader.add(institution)
        found.append(institution)
    db.flush()
    return found


def _course_trainees(loader: DemoLoader, actor: Actor, program: Program) -> list[Person]:
    """The course's doctors: the program's trainees from the four towns, and four doctors of
    each district hospital, added to the program too."""
    db = loader.db
    specialties = [_by_code(db, Specialty, c) for c in ("obstetrics_gynaecology", "neonatology")]
    for hospital in _districts(loader):
        for person in loader.people(
            prefix=f"UZ-{hospital.code}",
            count=DISTRICT_DOCTORS,
            nation="uz",
            institution=hospital,
            specialties=specialties,
            languages=["uz", "ru"],
        ):
            programs_service.create_participation(
                db=db,
                actor=actor,
                program=program,
                data=ParticipationCreate(person_id=person.id, role=ParticipationRole.TRAINEE),
            )
    return list(
        db.scalars(
            select(Person)
            .join(Participation, Participation.person_id == Person.id)
            .where(
                Participation.program_id == program.id,
                Participation.role == ParticipationRole.TRAINEE,
            )
            .order_by(Person.code)
        )
    )


def _moscow_course(loader: DemoLoader, actor: Actor) -> list[Person]:
    """The two weeks in Moscow: ten days of sessions, a final test, certificates."""
    db = loader.db
    row = data()["moscow_course"]
    program = _by_code(db, Program, QUALIFICATION_PROGRAM)
    issuer = _by_code(db, Institution, row["issuer"])
    course = service.create_course(
        db=db,
        actor=actor,
        data=CourseCreate(
            code=row["code"],
            title=row["title"],
            kind="qualification_course",
            program_id=program.id,
            specialty=row["specialty"],
            issuer_institution_id=issuer.id,
            host_institution_id=issuer.id,
            starts_on=program.starts_on,
            ends_on=program.ends_on,
            hours=row["hours"],
            cme_credits=row["cme_credits"],
            language=row["language"],
            capacity=row["capacity"],
            min_attendance_percent=row["min_attendance_percent"],
            min_score=row["min_score"],
            certificate_valid_years=row["certificate_valid_years"],
        ),
    )
    _sessions(db, actor, course, row["topics"])
    trainees = _course_trainees(loader, actor, program)
    for number, person in enumerate(trainees):
        language = "ru" if number % 5 == 4 else "uz"
        service.enrol(db=db, actor=actor, course=course, person_id=person.id, language=language)
    _attend_and_test(db, actor, course)
    completed = [e for e in _all(db, course) if e.status == EnrolmentStatus.COMPLETED]
    for enrolment, reason in zip(completed[-len(REVOKED) :], REVOKED, strict=True):
        _revoke(db, actor, enrolment, reason)
    return [e.person for e in completed]


def _sessions(db: Session, actor: Actor, course: Course, topics: list[str]) -> None:
    """A session each working day, 09:00–15:00 on Moscow's clocks. The lecture of 4 November,
    a public holiday in Russia, is hybrid: given from the neonatal unit, followed in the hall
    and online, and recorded (issue 18's distance learning)."""
    zone = ZoneInfo(course.host_institution.city.timezone)
    days = [
        course.starts_on + timedelta(days=n)
        for n in range((course.ends_on - course.starts_on).days + 1)
        if (course.starts_on + timedelta(days=n)).weekday() < 5
    ]
    remote = data()["moscow_course"]["online_session"]
    for number, (day, topic) in enumerate(zip(days, topics, strict=False)):
        links = (
            {k: remote[k] for k in ("mode", "meeting_url", "recording_url")}
            if number == remote["topic"]
            else {}
        )
        service.add_session(
            db=db,
            actor=actor,
            course=course,
            data=SessionCreate(
                starts_at=datetime.combine(day, time(9), zone),
                ends_at=datetime.combine(day, time(15), zone),
                topic=topic,
                **links,
            ),
        )


def _all(db: Session, course: Course) -> list[Enrolment]:
    return list(
        db.scalars(select(Enrolment).where(Enrolment.course_id == course.id).order_by(Enrolment.id))
    )


def _attend_and_test(db: Session, actor: Actor, course: Course) -> None:
    """Two doctors miss three days (70 % < 80 %), one fails the test; the others pass. Every
    third doctor follows the hybrid lecture online, which counts as being in the hall."""
    rng = random.Random(20251108)
    enrolments = _seated(db, course)
    missing = {enrolments[7].id, enrolments[23].id}
    every = data()["moscow_course"]["online_session"]["online_every"]
    afar = {e.id for n, e in enumerate(enrolments) if n % every == 1}
    sessions = service.list_sessions(db=db, course=course)
    for number, session in enumerate(sessions):
        present = {e.id for e in enrolments if e.id not in missing or number < 7}
        attendance.mark_attendance(
            db=db,
            actor=actor,
            session=session,
            present=present,
            online=afar & present if session.mode != SessionMode.IN_PERSON else set(),
        )
    ended = _course_end(sessions)
    for number, enrolment in enumerate(enrolments):
        score = 64.0 if number == 15 else float(rng.randint(72, 98))
        service.set_score(db=db, actor=actor, enrolment=enrolment, score=score)
        service.evaluate_completion(db=db, actor=actor, enrolment=enrolment, now=ended)


def _revoke(db: Session, actor: Actor, enrolment: Enrolment, reason: str) -> None:
    credential = next(
        c
        for c in credentials.list_credentials(db=db, actor=actor)
        if c.enrolment_id == enrolment.id
    )
    credentials.revoke(db=db, actor=actor, credential=credential, reason=reason)


# --- the cascade ----------------------------------------------------------------------------


def _mentees(loader: DemoLoader, mentor: Person, count: int) -> list[Person]:
    assert mentor.institution is not None
    return loader.people(
        prefix=f"{mentor.code}-M",
        count=count,
        nation="uz",
        institution=mentor.institution,
        specialties=list(mentor.specialties),
        languages=["uz", "ru"],
    )


def _cascade(loader: DemoLoader, actor: Actor, trained: list[Person]) -> None:
    """Twelve of the certified doctors mentor three colleagues each at home; six of those
    mentees mentor two more: the course reaches a third level. Each mentor holds a session."""
    db = loader.db
    course = _by_code(db, Course, data()["moscow_course"]["code"])
    start = course.ends_on + timedelta(days=9)
    second_level: list[Person] = []
    for number, mentor in enumerate(trained[:MENTORS]):
        mentees = _mentees(loader, mentor, MENTEES)
        _mentor(db, actor, course, mentor, mentees, start + timedelta(days=number))
        second_level += mentees[:1]
    for number, mentor in enumerate(second_level[:SECOND_LEVEL_MENTORS]):
        mentees = _mentees(loader, mentor, SECOND_LEVEL_MENTEES)
        _mentor(db, actor, course, mentor, mentees, start + timedelta(days=30 + number))


def _mentor(
    db: Session, actor: Actor, course: Course, mentor: Person, mentees: list[Person], day: date
) -> None:
    assert mentor.institution_id is not None
    for mentee in mentees:
        cascade.add_mentorship(
            db=db,
            actor=actor,
            data=MentorshipCreate(
                mentor_id=mentor.id,
                mentee_id=mentee.id,
                institution_id=mentor.institution_id,
                course_id=course.id,
                started_on=day,
            ),
        )
    cascade.record_session(
        db=db,
        actor=actor,
        data=CascadeSessionCreate(
            mentor_id=mentor.id,
            course_id=course.id,
            institution_id=mentor.institution_id,
            held_on=day + timedelta(days=7),
            topic=data()["moscow_course"]["topics"][day.toordinal() % 9],
            attendee_ids=[m.id for m in mentees],
        ),
    )
